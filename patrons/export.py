"""Everything the library holds about one patron, built from the record registry."""

from __future__ import annotations

import datetime

from django.conf import settings
from django.utils import timezone

from patrons.models import Patron
from privacy.registry import registry


def patron_export(*, patron: Patron, now: datetime.datetime | None = None, log=None) -> dict:
    """One dict per record kind: the patron's own download (their data, all of it).

    `log`, when given, is called with every record the export contains (the audit)."""
    now = now or timezone.now()
    records = {}
    shown = []
    for kind in registry:
        rows = list(kind.for_patron_export(patron).order_by("pk"))
        shown.extend(rows)
        records[kind.name] = {
            "label": kind.rule.label if kind.policy_kind is None else kind.label,
            "records": [kind.export(row) for row in rows],
        }
    if log is not None:
        log(shown)
    return {
        "library": settings.CALUMET_LIBRARY_NAME,
        "generated_at": now.isoformat(),
        "about": (
            "Everything the library holds about you on the day this file was made. "
            "Records are erased when they are no longer needed; see the privacy page."
        ),
        "records": records,
    }
