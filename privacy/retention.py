"""The retention engine: expunge every record kind when the policy says it is no longer
needed (docs/retention.md).

For each kind in the record registry it selects the records that are closed, past their
`RetentionPolicy` days, not kept at the patron's request (opted-in reading history) and
not under a legal hold, and expunges them the kind's way (delete, or anonymise into
statistics). Then it deletes registrations past their retention, with their cards and
PIN, audit entries past the audit retention, and the side copies our libraries keep
(task results, expired sessions, old lockout records).

It works in batches, each in its own transaction that also scrubs the audit entries of
the records it expunges, so a run stopped at any moment leaves every batch either done
or untouched, and a rerun finishes the job. Active records are never selected.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from auditlog.models import LogEntry
from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.conf import settings
from django.contrib.sessions.models import Session
from django.db import connection, transaction
from django.db.models import Min, QuerySet, TextField
from django.db.models.functions import Cast
from django.utils import timezone
from django_q.models import Task

from core.db import in_values
from privacy.audit_trail import delete_quietly, delete_trail, delete_trail_of_patrons
from privacy.legal_holds import held_q  # the expunge's test for held records
from privacy.models import ExpungeRun, RetentionPolicy
from privacy.policy import RULES_BY_KIND
from privacy.registry import Expunge, RecordKind, registry
from privacy.served import reduce_served, rewrite_months
from privacy.sessions import scrub_sessions, scrub_stale_sessions

SIDE_COPIES = "side_copies"
AUDIT = "audit_entry"
#: django-auditlog's table: a scrub leaves the entries' old versions behind as dead rows
#: until VACUUM, so it is vacuumed after any run that scrubbed.
AUDIT_TABLE = "auditlog_logentry"


@dataclass
class KindCounts:
    expunged: int = 0
    anonymised: int = 0
    held: int = 0

    def as_dict(self) -> dict[str, int]:
        return {"expunged": self.expunged, "anonymised": self.anonymised, "held": self.held}


@dataclass
class Touched:
    """What a run removed records of: ids per reference name ("patron", "card", "item",
    ...), and the earliest day any of those records began. Apps that keep rows the
    removed records pointed at (counts, copies, sessions) act on it after the run."""

    refs: dict[str, set] = field(default_factory=dict)
    since: datetime.date | None = None
    #: Months whose transaction entries were reduced (privacy.served.reduce_served).
    months: set = field(default_factory=set)
    #: Patrons whose transaction entries before the run are reduced already: a later
    #: batch of records of theirs has none left to reduce.
    served: set = field(default_factory=set)

    def add(self, refs: dict[str, set], began: datetime.datetime | None = None) -> None:
        for name, ids in refs.items():
            self.refs.setdefault(name, set()).update(ids)
        if began is not None:
            day = timezone.localdate(began)
            self.since = day if self.since is None else min(self.since, day)

    def __bool__(self) -> bool:
        return any(self.refs.values())


@dataclass
class RunResult:
    run: ExpungeRun
    counts: dict[str, dict[str, int]] = field(default_factory=dict)

    @property
    def total(self) -> int:
        return sum(c.get("expunged", 0) + c.get("anonymised", 0) for c in self.counts.values())


# Other apps' rows that have a retention policy but no patron link of their own (the
# disclosure register, release packages) register a cleanup: (now, dry_run) -> count.
_CLEANUPS: dict[str, Callable[..., int]] = {}


def register_cleanup(name: str, func: Callable[..., int]) -> None:
    _CLEANUPS[name] = func


# Apps that keep rows pointing at what a run removed register a follow-up:
# (touched: Touched, now) -> None, called in its own transaction after the run.
_AFTER_RUN: dict[str, Callable[..., None]] = {}


def register_after_run(name: str, func: Callable[..., None]) -> None:
    _AFTER_RUN[name] = func


# Apps that keep counts of what the records did register a step run before anything is
# removed, while every record those counts describe is still there to be counted:
# (now) -> rows rewritten, in its own transaction (the statistics' generalisation, so
# that no count kept singles out fewer than k patrons once the records are gone).
_BEFORE_RUN: dict[str, Callable[..., int]] = {}


def register_before_run(name: str, func: Callable[..., int]) -> None:
    _BEFORE_RUN[name] = func


# -- what may go ---------------------------------------------------------------------------


def retention_days(kind_name: str) -> int:
    rule = registry.get(kind_name).rule if kind_name in registry else None
    days = RetentionPolicy.objects.filter(kind=kind_name).values_list("days", flat=True).first()
    if days is None:
        days = (rule or RULES_BY_KIND[kind_name]).default_days
    return days


def due_for_expunge(kind: RecordKind, now: datetime.datetime) -> tuple[QuerySet, QuerySet]:
    """(records to expunge now, records that would be expunged but are held)."""
    days = retention_days(kind.policy_kind or kind.name)
    cutoff = now - datetime.timedelta(days=days)
    due = kind.closed_before(cutoff, now)
    return due.exclude(held_q(kind)), due.filter(held_q(kind))


# -- the run -------------------------------------------------------------------------------


def _record_kinds(only: Iterable[str] | None) -> list[RecordKind]:
    wanted = set(only or [])
    kinds = [
        kind
        for kind in registry
        # patrons go last; an applicant's kind (patron_path None) on its own rule
        if kind.expunge is not Expunge.WITH_OWNER and kind.patron_path != ""
    ]
    if wanted:
        kinds = [kind for kind in kinds if kind.name in wanted]
    return kinds


class ExpungeBusy(Exception):
    """Another expunge holds the lock (two workers never run it at once)."""


LOCK_KEY = 7_202_611  # any fixed number: the PostgreSQL advisory lock of the expunge


def _try_lock() -> bool:
    """PostgreSQL: a session advisory lock, released if the process dies. SQLite has one
    writer at a time and is meant for a single worker; no lock is needed there."""
    if connection.vendor != "postgresql":
        return True
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_lock(%s)", [LOCK_KEY])
        return bool(cursor.fetchone()[0])


def _unlock() -> None:
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_unlock(%s)", [LOCK_KEY])


def expunge(**kwargs) -> RunResult:
    """Run the expunge, unless another run holds the lock (then ExpungeBusy)."""
    if not _try_lock():
        raise ExpungeBusy("Another expunge is running; this one was skipped.")
    try:
        return _expunge(**kwargs)
    finally:
        _unlock()


def _expunge(
    *,
    kinds: Iterable[str] | None = None,
    dry_run: bool = False,
    now: datetime.datetime | None = None,
    batch_size: int | None = None,
    trigger: str = "manual",
    progress: Callable[[str, int], None] | None = None,
) -> RunResult:
    """Run the expunge (or count what it would do, with `dry_run`)."""
    now = now or timezone.now()
    batch_size = batch_size or settings.CALUMET_EXPUNGE_BATCH_SIZE
    only = set(kinds or [])
    unknown = only - set(registry.names()) - {AUDIT, SIDE_COPIES} - set(_CLEANUPS)
    if unknown:
        raise ValueError(f"Unknown record kind: {', '.join(sorted(unknown))}.")
    run = ExpungeRun.objects.create(started_at=now, dry_run=dry_run, trigger=trigger)
    result = RunResult(run=run)
    touched: set[str] = set()
    removed = Touched()

    if not dry_run:
        for before in _BEFORE_RUN.values():
            with transaction.atomic():
                before(now=now)

    # Entries past the audit log's own retention go first, so that the expunge of the
    # records below does not scrub entries that are about to be deleted anyway.
    if not only or AUDIT in only:
        result.counts[AUDIT] = {
            "expunged": _expunge_audit(now, dry_run, touched),
            "anonymised": 0,
            "held": 0,
        }
    for kind in _record_kinds(only):
        counts = _expunge_kind(kind, now, batch_size, dry_run, progress, touched, removed)
        result.counts[kind.name] = counts.as_dict()
    if not only or "patron" in only:
        result.counts["patron"] = _expunge_patrons(
            now, batch_size, dry_run, progress, touched, removed
        ).as_dict()
    if not only or SIDE_COPIES in only:
        result.counts[SIDE_COPIES] = {
            "expunged": _expunge_side_copies(now, dry_run, touched),
            "anonymised": 0,
            "held": 0,
        }

    for name, cleanup in _CLEANUPS.items():
        if not only or name in only:
            with transaction.atomic():
                done = cleanup(now=now, dry_run=dry_run)
            result.counts[name] = {"expunged": done, "anonymised": 0, "held": 0}

    if removed.months and not dry_run:
        with transaction.atomic():
            rewrite_months(removed.months)
    if removed and not dry_run:
        for follow_up in _AFTER_RUN.values():
            with transaction.atomic():
                follow_up(removed, now)
        # No session may keep what the run removed: a desk serving one of these
        # patrons, cards or copies forgets it; a removed patron's portal session ends.
        scrub_sessions(
            patron_ids=removed.refs.get("patron", ()),
            card_ids=removed.refs.get("card", ()),
            item_ids=removed.refs.get("item", ()),
        )

    run.counts = result.counts
    run.finished_at = timezone.now()
    run.save(update_fields=["counts", "finished_at"])
    if touched and not dry_run:
        _vacuum(touched)
    return result


def _next_batch(due: QuerySet, after, size: int, columns: tuple = ()) -> list:
    """The next `size` due ids after `after`, in key order, locked until the batch's
    transaction ends (call it inside one). With `columns`, rows of (id, *columns) read by
    the same statement.

    The selection runs inside the batch's transaction and locks the rows it returns, so
    no desk or portal change to them can land before the expunge commits; rows another
    transaction is changing right now are skipped and left for the next run. Each batch
    starts where the last one ended, so a run reads each table once rather than once per
    batch."""
    if after is not None:
        due = due.filter(pk__gt=after)
    if connection.vendor == "postgresql":
        # Each selection is estimated to cost as much as the whole backlog, so PostgreSQL
        # compiled it (JIT) on every batch, which took longer than running it.
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL jit = off")
    due = due.select_for_update(skip_locked=True, of=("self",)).order_by("pk")
    if columns:
        return list(due.values_list("pk", *columns)[:size])
    return list(due.values_list("pk", flat=True)[:size])


def _moment(text: str | None) -> datetime.datetime | None:
    """A moment the database wrote as text: PostgreSQL's timestamptz in the connection's
    UTC ("2025-03-01 12:00:00.5+00"), SQLite's UTC without an offset. Either way the text
    sorts as the moments do (same width to the second, a fraction after it), so the
    earliest of many is the least string, read once."""
    if text is None:
        return None
    moment = datetime.datetime.fromisoformat(text)
    return moment if moment.tzinfo else moment.replace(tzinfo=datetime.UTC)


def _began(kind: RecordKind, ids: list) -> datetime.datetime | None:
    if kind.opened_at is None:
        return None

    rows = kind.model._default_manager.filter(pk__in=in_values(ids))
    return rows.aggregate(began=Min(kind.opened_at()))["began"]


def _expunge_kind(kind, now, batch_size, dry_run, progress, touched, removed) -> KindCounts:
    counts = KindCounts()
    due, held = due_for_expunge(kind, now)
    counts.held = held.count()
    if dry_run:
        total = due.count()
        if kind.expunge is Expunge.ANONYMISE:
            counts.anonymised = total
        else:
            counts.expunged = total
        return counts
    # What the run notes of each record (whose, which copy or program, when it began)
    # is read by the statement that chooses and locks the batch.
    lookups = kind.ref_lookups()
    names = list(lookups)
    columns = [lookups[name] for name in names]
    if kind.opened_at is not None:
        # As text: the earliest of a batch is all the run needs, and a datetime read per
        # record (Django's time zone loader, in Python) was a twentieth of a run.
        due = due.annotate(expunge_began=Cast(kind.opened_at(), output_field=TextField()))
        columns.append("expunge_began")
    last = None
    while True:
        with transaction.atomic():
            rows = _next_batch(due, last, batch_size, tuple(columns))
            if not rows:
                break
            ids = [row[0] for row in rows]
            last = ids[-1]
            refs = kind.refs_from(names, (row[1 : 1 + len(names)] for row in rows))
            began = None
            if kind.opened_at is not None:
                began = _moment(min((row[-1] for row in rows if row[-1] is not None), default=None))
            removed.add(refs, began)
            done = kind.expunge_ids(ids, now)
            # The patrons' own transactions go with their records: reduced to the month.
            patrons = {int(pk) for pk in refs.get("patron", ())} - removed.served
            removed.months |= reduce_served(patrons, before=now)
            removed.served |= patrons
        touched.add(kind.model._meta.db_table)
        touched.add(AUDIT_TABLE)  # the deleted entries are dead rows until VACUUM
        if kind.expunge is Expunge.ANONYMISE:
            counts.anonymised += done
        else:
            counts.expunged += done
        if progress:
            progress(kind.name, done)
    return counts


def _expunge_patrons(now, batch_size, dry_run, progress, touched, removed) -> KindCounts:
    """Registrations past retention: their remaining records go first (the kind's way),
    then every audit entry naming them, then the patron with cards and PIN."""
    kind = registry.get("patron")
    counts = KindCounts()
    due, held = due_for_expunge(kind, now)
    counts.held = held.count()
    if dry_run:
        counts.expunged = due.count()
        return counts
    last = None
    while True:
        with transaction.atomic():
            ids = _next_batch(due, last, batch_size)
            if not ids:
                break
            last = ids[-1]
            for other in registry:
                if other is kind or not other.reaches_patron:
                    continue
                records = other.all().filter(**{other.patron_lookup("pk") + "__in": ids})
                record_ids = list(records.values_list("pk", flat=True))
                if not record_ids:
                    continue
                refs = other.refs_of(record_ids)
                refs.setdefault(other.name, set()).update(record_ids)
                removed.add(refs, _began(other, record_ids))
                if other.expunge is not Expunge.WITH_OWNER:
                    other.expunge_ids(record_ids, now)
                    touched.add(other.model._meta.db_table)
            removed.add({"patron": set(ids)})
            delete_trail_of_patrons(ids)
            deleted = delete_quietly(kind.model.objects.filter(pk__in=ids))
            for model, pks in deleted.items():
                delete_trail(model, pks)
                touched.add(model._meta.db_table)
        touched.add(AUDIT_TABLE)
        done = len(deleted.get(kind.model, []))
        counts.expunged += done
        if progress:
            progress("patron", done)
    return counts


def _expunge_audit(now, dry_run, touched) -> int:
    cutoff = now - datetime.timedelta(days=retention_days(AUDIT))
    old = LogEntry.objects.filter(timestamp__lt=cutoff)
    if dry_run:
        return old.count()
    # One DELETE by the timestamp (nothing cascades from an entry, and no receiver is
    # told of it): Django's delete() would select the ids first.
    deleted = old._raw_delete(old.db)
    if deleted:
        touched.add(LogEntry._meta.db_table)
    return deleted


def _expunge_side_copies(now, dry_run, touched) -> int:
    """Copies our libraries keep: django-q2 task results, expired sessions, old lockout
    records. (Notices are emails; nothing of them is stored.)"""
    day_ago = now - datetime.timedelta(days=1)
    lockout = now - datetime.timedelta(minutes=settings.CALUMET_EXPUNGE_LOCKOUT_KEEP_MINUTES)
    querysets = [
        Task.objects.filter(stopped__lt=day_ago),
        Session.objects.filter(expire_date__lt=now),
        AccessAttempt.objects.filter(attempt_time__lt=lockout),
        AccessFailureLog.objects.filter(attempt_time__lt=lockout),
        AccessLog.objects.filter(attempt_time__lt=lockout),
    ]
    total = 0 if dry_run else scrub_stale_sessions(now=now)
    for qs in querysets:
        if dry_run:
            total += qs.count()
            continue
        with transaction.atomic():
            deleted = qs.delete()[0]
        if deleted:
            touched.add(qs.model._meta.db_table)
        total += deleted
    return total


def _vacuum(tables: set[str]) -> None:
    """PostgreSQL: reclaim the space of deleted rows so they are not left in the files.
    (SQLite connections run with secure_delete, which overwrites them at once.)"""
    if connection.vendor != "postgresql" or not settings.CALUMET_EXPUNGE_VACUUM:
        return
    if connection.in_atomic_block:
        return  # VACUUM cannot run in a transaction (tests wrap each one in one)
    with connection.cursor() as cursor:
        for table in sorted(tables):
            cursor.execute(f'VACUUM "{table}"')
