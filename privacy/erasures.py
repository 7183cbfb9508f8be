"""The erasure journal: every erasure made ahead of the retention policy is noted here
(`journal`), so that a database restored from an older backup can make it again
(`replay`, run by `manage.py restore`; docs/deployment.md, "Backups").

An entry holds what repeating the erasure needs and nothing more: the action, the record
kind, an opaque id and the day. Never a name, a title, a card number or a text. The
nightly expunge is not journaled: `restore` runs it again as of now, which removes
everything it had removed under the same policy (policy changes are journaled).

Apps whose erasures touch their own fields register how to repeat them
(`register_replay`), as they register expunge clean-ups."""

from __future__ import annotations

import datetime
from collections.abc import Callable, Iterable

from django.db import transaction
from django.utils import timezone

from privacy.models import ErasureAction, ErasureJournal, LegalHold, RetentionPolicy
from privacy.registry import registry

_REPLAYS: dict[str, Callable[[ErasureJournal, datetime.datetime], None]] = {}


def register_replay(action: str, func: Callable[[ErasureJournal, datetime.datetime], None]):
    """How to make an erasure again: func(entry, now), in a transaction, idempotent (the
    record may already be gone, or may never have existed in the restored database)."""
    _REPLAYS[action] = func


def journal(
    action: str, *, ref: int, kind: str = "", at: datetime.datetime | None = None
) -> ErasureJournal:
    """Note an erasure, in the caller's transaction (it is kept only if the erasure is).

    Only the day is kept (its local midnight), as for the patron's own reading-history
    choice: the moment would say when the patron was at the desk or in the portal. A
    restore repeats every erasure from the day of the backup on; repeating one made
    hours before the backup changes nothing."""
    return ErasureJournal.objects.create(
        action=action, kind=kind, ref=int(ref), at=day_of(at or timezone.now())
    )


def day_of(moment: datetime.datetime) -> datetime.datetime:
    return timezone.localtime(moment).replace(hour=0, minute=0, second=0, microsecond=0)


def prune(before: datetime.datetime) -> int:
    """Entries older than the oldest backup kept are needed by no restore."""
    return ErasureJournal.objects.filter(at__lt=before).delete()[0]


def as_rows(entries: Iterable[ErasureJournal]) -> list[dict]:
    return [
        {"at": entry.at.isoformat(), "action": entry.action, "kind": entry.kind, "ref": entry.ref}
        for entry in entries
    ]


def import_rows(rows: Iterable[dict]) -> int:
    """Add entries from another copy of the journal (a newer backup's, the live
    database's) that this database does not have yet."""
    added = 0
    with transaction.atomic():
        for row in rows:
            at = datetime.datetime.fromisoformat(row["at"])
            action = row["action"]
            if action not in ErasureAction.values:
                raise ValueError(f"Unknown erasure action in the journal: {action!r}.")
            _entry, created = ErasureJournal.objects.get_or_create(
                at=at, action=action, kind=row.get("kind", ""), ref=int(row["ref"])
            )
            added += created
    return added


def replay(since: datetime.datetime, now: datetime.datetime | None = None) -> int:
    """Make again, in order, every erasure journaled after `since`. Returns the count."""
    now = now or timezone.now()
    done = 0
    for entry in ErasureJournal.objects.filter(at__gte=since).order_by("at", "pk"):
        func = _REPLAYS.get(entry.action)
        if func is None:
            raise LookupError(f"No way to repeat the erasure {entry.action!r} is registered.")
        with transaction.atomic():
            func(entry, now)
        done += 1
    return done


# -- the privacy kernel's own erasures ------------------------------------------------------


def _record_erased(entry: ErasureJournal, now: datetime.datetime) -> None:
    if entry.kind not in registry:
        return
    kind = registry.get(entry.kind)
    # Only a closed record: one still active in the restored database (a loan returned
    # after the backup) is not the record that was erased.
    ids = list(kind.closed_records(now).filter(pk=entry.ref).values_list("pk", flat=True))
    kind.expunge_ids(ids, now)


def _hold_released(entry: ErasureJournal, now: datetime.datetime) -> None:
    LegalHold.objects.filter(pk=entry.ref, released_at__isnull=True).update(released_at=entry.at)


def _retention_changed(entry: ErasureJournal, now: datetime.datetime) -> None:
    RetentionPolicy.objects.filter(kind=entry.kind).update(days=entry.ref)


def journal_retention_change(sender, instance, created, **kwargs) -> None:
    """post_save of RetentionPolicy: a shorter period expunges more at the next run, and a
    restore must run with it too."""
    if not created and not kwargs.get("raw"):
        journal(ErasureAction.RETENTION_CHANGED, kind=instance.kind, ref=instance.days)


register_replay(ErasureAction.RECORD_ERASED, _record_erased)
register_replay(ErasureAction.HOLD_RELEASED, _hold_released)
register_replay(ErasureAction.RETENTION_CHANGED, _retention_changed)
