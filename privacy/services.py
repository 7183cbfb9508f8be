"""Services of the privacy kernel: legal holds, which keep a patron's records from the
expunge while a legal request names them, and the days each kind of record is kept."""

import datetime

from django.db import transaction
from django.utils import timezone
from django_q import tasks as django_q_tasks

from core.checked_writes import save_checked
from core.refusals import Refused
from privacy import retention
from privacy.acting import service
from privacy.erasures import journal
from privacy.exceptions import PrivacyRefusal
from privacy.legal_holds import holdable_names, kind_set_for
from privacy.models import ErasureAction, LegalHold, RetentionPolicy
from staff.roles import require


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
                code=PrivacyRefusal.KIND,
            )
        if not kinds:
            raise Refused(PrivacyRefusal.KIND)
    reason = (reason or "").strip()
    if not reason:
        raise Refused(PrivacyRefusal.REASON)
    if covers_from and covers_until and covers_until < covers_from:
        raise Refused(PrivacyRefusal.RANGE)
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
            raise Refused(PrivacyRefusal.RELEASED)
        hold.released_at = now
        hold.released_by = actor if getattr(actor, "is_staff", False) else None
        hold.save(update_fields=["released_at", "released_by"])
        journal(ErasureAction.HOLD_RELEASED, ref=hold.pk, at=now)
        return hold


# -- the expunge from the staff site ("Run now") ---------------------------------------------

RUN_EXPUNGE = "privacy.run_expunge"


class ExpungeRefused(Refused):
    """A run of the expunge that was not started, with the reason."""


@service
def expunge_preview(*, actor):
    """Count what the expunge would remove now, removing nothing (a dry run, which leaves
    its `ExpungeRun` row like any run). Counting is quick (no row is read or written), so
    it runs in the request."""
    require(actor, RUN_EXPUNGE, "run the expunge")
    try:
        return retention.expunge(dry_run=True, trigger="preview").run
    except retention.ExpungeBusy as busy:
        raise ExpungeRefused(str(busy), code=PrivacyRefusal.BUSY) from None


@service
def expunge_queue(*, actor) -> None:
    """Queue a real run of the expunge for the worker (django-q), as the nightly run is:
    removing a large library's records takes minutes, longer than a page may wait. The run
    leaves its `ExpungeRun` row (trigger "staff") when the worker has done it."""
    require(actor, RUN_EXPUNGE, "run the expunge")

    def enqueue() -> None:
        django_q_tasks.async_task("privacy.tasks.staff_expunge", group="expunge")

    transaction.on_commit(enqueue)


@service
def retention_policy_save(policy: RetentionPolicy, *, actor) -> RetentionPolicy:
    """Change how many days a kind of record is kept (its kind stays what it is)."""
    return save_checked(policy, actor=actor, code=PrivacyRefusal.NOT_SAVED, kept=("kind",))
