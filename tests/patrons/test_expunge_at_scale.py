"""The expunge's behaviour that the benchmark made faster must stay correct:
every deletion leaves exactly one scrubbed DELETE entry, batches continue after the last
key without skipping or repeating records, and entries naming a patron are scrubbed in
one statement."""

import datetime
import threading

import pytest
from auditlog.models import LogEntry
from django.contrib.contenttypes.models import ContentType
from django.db import connection, connections, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from circulation.models import Hold, Loan, Visit
from patrons.models import Patron
from privacy import retention
from tests.factories import (
    CardFactory,
    HoldFactory,
    LoanFactory,
    PatronFactory,
    VisitFactory,
)

pytestmark = pytest.mark.django_db
DAY = datetime.timedelta(days=1)


def test_deleted_records_leave_no_audit_entry_at_all(now):
    """Not even a scrubbed DELETE entry: an entry with the record's id and the moment of
    the run is still something to match on. The run's counts are the record."""
    patron = CardFactory(number="21234555500001").patron
    visits = [VisitFactory(patron=patron, visited_at=now - DAY) for _ in range(3)]
    hold = HoldFactory(patron=patron, status=Hold.Status.CANCELLED, closed_at=now - DAY)
    result = retention.expunge(now=now)
    assert not Visit.objects.filter(pk__in=[v.pk for v in visits]).exists()
    for model, pks in ((Visit, [v.pk for v in visits]), (Hold, [hold.pk])):
        assert not LogEntry.objects.filter(
            content_type=ContentType.objects.get_for_model(model),
            object_pk__in=[str(pk) for pk in pks],
        ).exists()
    assert result.counts["visit"]["expunged"] == 3 and result.counts["hold"]["expunged"] == 1


def test_small_batches_expunge_everything_due_and_nothing_else(now):
    patrons = PatronFactory.create_batch(3)
    due, kept = [], []
    for n in range(11):
        patron = patrons[n % 3]
        due.append(
            LoanFactory(
                patron=patron,
                checked_out_at=now - 20 * DAY,
                due_at=now - 10 * DAY,
                returned_at=now - 5 * DAY,
            )
        )
        kept.append(LoanFactory(patron=patron))  # open: interleaved with the due ones
    result = retention.expunge(now=now, batch_size=2)
    assert result.counts["loan"]["anonymised"] == 11
    assert not Loan.objects.filter(pk__in=[loan.pk for loan in due], patron__isnull=False)
    assert (
        Loan.objects.filter(pk__in=[loan.pk for loan in kept], patron__isnull=False).count() == 11
    )


def test_a_batch_of_patrons_loses_its_trail_in_one_statement(now):
    gone = []
    for n in range(4):
        patron = PatronFactory(
            card_expires_on=(now - 1000 * DAY).date(), last_activity_at=now - 1000 * DAY
        )
        CardFactory(patron=patron, number=f"2123466660000{n}")
        gone.append(patron.pk)
        LogEntry.objects.create(
            content_type=ContentType.objects.get_for_model(Patron),
            object_pk=str(patron.pk),
            object_repr=f"Patron #{patron.pk}",
            action=LogEntry.Action.ACCESS,
            additional_data={"patron": patron.pk, "page": "admin"},
        )
    with CaptureQueriesContext(connection) as queries:
        retention.expunge(now=now, kinds=["patron"])
    patron_key_deletes = [
        q["sql"]
        for q in queries
        if q["sql"].startswith('DELETE FROM "auditlog_logentry"')
        and "additional_data" in q["sql"].split("WHERE", 1)[1]
    ]
    assert len(patron_key_deletes) == 1, "\n".join(patron_key_deletes)
    assert not Patron.objects.filter(pk__in=gone).exists()
    assert not LogEntry.objects.filter(additional_data__patron__in=gone).exists()
    assert not LogEntry.objects.filter(
        content_type=ContentType.objects.get_for_model(Patron),
        object_pk__in=[str(pk) for pk in gone],
    ).exists()


@pytest.mark.postgres("row locks are PostgreSQL's (SQLite has one writer at a time)")
@pytest.mark.django_db(transaction=True)
def test_a_record_a_desk_is_changing_is_skipped_and_left_for_the_next_run():
    """The expunge locks each batch; a row another transaction holds locked (a return or a
    renewal in progress) is skipped, not waited for, and goes at the next run."""
    now = timezone.now()
    patron = PatronFactory()
    busy, free = (
        LoanFactory(
            patron=patron,
            checked_out_at=now - 20 * DAY,
            due_at=now - 10 * DAY,
            returned_at=now - 5 * DAY,
        )
        for _ in range(2)
    )
    locked, release = threading.Event(), threading.Event()

    def desk():
        try:
            with transaction.atomic():
                Loan.objects.select_for_update().get(pk=busy.pk)
                locked.set()
                release.wait(30)
        finally:
            connections.close_all()

    thread = threading.Thread(target=desk)
    thread.start()
    try:
        assert locked.wait(30)
        retention.expunge(now=now, kinds=["loan"])
        assert not Loan.objects.filter(pk=free.pk).exists()
        assert Loan.objects.get(pk=busy.pk).patron_id == patron.pk
    finally:
        release.set()
        thread.join(30)
    retention.expunge(now=now, kinds=["loan"])
    assert not Loan.objects.filter(pk=busy.pk).exists()


@pytest.mark.postgres("VACUUM is PostgreSQL's (SQLite overwrites with secure_delete)")
@pytest.mark.django_db(transaction=True)
def test_the_audit_log_is_vacuumed_after_a_scrub(settings):
    """A scrub rewrites entries; their old versions (titles of nothing, but the patron's
    id and the record's name) stay in the table's files as dead rows until VACUUM."""
    settings.CALUMET_EXPUNGE_VACUUM = True
    VisitFactory(patron=PatronFactory(), visited_at=timezone.now() - DAY)
    calls = []
    real = connection.cursor

    def spy():
        cursor = real()
        execute = cursor.execute

        def recording(sql, params=None):
            calls.append(sql)
            return execute(sql, params)

        cursor.execute = recording
        return cursor

    connection.cursor = spy
    try:
        retention.expunge()
    finally:
        del connection.cursor
    assert 'VACUUM "auditlog_logentry"' in calls
    assert 'VACUUM "circulation_visit"' in calls
