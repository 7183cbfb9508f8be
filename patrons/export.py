"""Everything the library holds about one patron, built from the record registry."""

from __future__ import annotations

import datetime

from django.conf import settings
from django.utils import timezone

from .models import Patron
from .registry import registry


def patron_export(*, patron: Patron, now: datetime.datetime | None = None) -> dict:
    """One dict per record kind: the patron's own download (their data, all of it)."""
    now = now or timezone.now()
    records = {}
    for kind in registry:
        rows = kind.for_patron(patron).order_by("pk")
        records[kind.name] = {
            "label": kind.rule.label if kind.policy_kind is None else kind.label,
            "records": [kind.export(row) for row in rows],
        }
    return {
        "library": settings.CALUMET_LIBRARY_NAME,
        "generated_at": now.isoformat(),
        "about": (
            "Everything the library holds about you on the day this file was made. "
            "Records are erased when they are no longer needed; see the privacy page."
        ),
        "records": records,
    }
