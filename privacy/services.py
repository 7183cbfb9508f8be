"""Services of the privacy kernel: legal holds, which keep a patron's records from the
expunge while a legal request names them."""

import datetime

from django.db import transaction
from django.utils import timezone

from core.refusals import Refused
from privacy.acting import service
from privacy.erasures import journal
from privacy.legal_holds import holdable_names, kind_set_for
from privacy.models import ErasureAction, LegalHold


@service
def legal_hold_place(
    *,
    patron,
    reason: str,
    actor,
    kinds: list[str] | None = None,
    covers_from: datetime.datetime | None = None,
    covers_until: datetime.datetime | None = None,
    reference: str = "",
) -> LegalHold:
    """Keep a patron's records from the expunge until the hold is released.

    `kinds=None` holds every kind of record (including kinds registered later); a list
    holds the kinds named, each a kind of the record registry."""
    if kinds is not None:
        kinds = sorted(set(kinds))
        unknown = [kind for kind in kinds if kind not in holdable_names()]
        if unknown:
            raise Refused(
                f"Unknown record kind: {', '.join(unknown)[:200]}. Choose kinds from the list, "
                "or every kind.",
                code="kind",
            )
        if not kinds:
            raise Refused("Choose the kinds of record to keep, or every kind.", code="kind")
    reason = (reason or "").strip()
    if not reason:
        raise Refused("Say why the records must be kept.", code="reason")
    if covers_from and covers_until and covers_until < covers_from:
        raise Refused("The end of the range is before its start.", code="range")
    with transaction.atomic():
        return LegalHold.objects.create(
            patron=patron,
            every_kind=kinds is None,
            kind_set=kind_set_for(kinds) if kinds is not None else None,
            covers_from=covers_from,
            covers_until=covers_until,
            reason=reason[:300],
            reference=reference[:100],
            set_by=actor if getattr(actor, "is_staff", False) else None,
        )


@service
def legal_hold_release(
    *, hold: LegalHold, actor, now: datetime.datetime | None = None
) -> LegalHold:
    """The request is closed: the next expunge may destroy what the hold kept."""

    now = now or timezone.now()
    with transaction.atomic():
        hold = LegalHold.objects.select_for_update().get(pk=hold.pk)
        if hold.released_at is not None:
            raise Refused("This legal hold was already released.", code="released")
        hold.released_at = now
        hold.released_by = actor if getattr(actor, "is_staff", False) else None
        hold.save(update_fields=["released_at", "released_by"])
        journal(ErasureAction.HOLD_RELEASED, ref=hold.pk, at=now)
        return hold
