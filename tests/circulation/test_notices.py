"""Overdue and hold-ready notices, the django-q2 tasks that send them, and their schedules."""

import datetime
from unittest import mock

import pytest
from django.core import mail
from django.utils import timezone
from django_q.models import Schedule, Task

from circulation import schedules, services, tasks
from circulation.models import Hold, Loan
from circulation.notices import sending as notices
from tests.factories import HoldFactory, PatronFactory, TitleFactory

pytestmark = pytest.mark.django_db

DAY = datetime.timedelta(days=1)
TASK_NAMES = {
    "circulation: expire unclaimed holds": "circulation.tasks.expire_unclaimed_holds",
    "circulation: overdue notices": "circulation.tasks.send_overdue_notices",
}


@pytest.fixture
def overdue(lend, now):
    """`overdue(patron, days=...)`: a loan that fell due that many days before `now`."""

    def make(patron, *, days: int = 3, title: str | None = None):
        fields = {"title": TitleFactory(title=title)} if title else {}
        return lend(patron, due_in_days=-days, now=now, **fields)

    return make


def sent_to(address: str) -> list:
    return [message for message in mail.outbox if message.to == [address]]


# -- overdue notices --------------------------------------------------------------------------


def test_one_overdue_notice_per_patron_without_titles(overdue, lend, now):
    two_late = PatronFactory(first_name="Ishmael")
    one_late = PatronFactory()
    overdue(two_late, title="The Whale")
    overdue(two_late, days=10, title="Typee")
    lend(two_late, due_in_days=5, now=now, title=TitleFactory(title="Omoo"))  # not due yet
    overdue(one_late, title="Mardi")

    assert notices.send_overdue_notices(now=now) == 2

    assert len(mail.outbox) == 2
    [first] = sent_to(two_late.email)
    [second] = sent_to(one_late.email)
    assert first.subject == "Overdue items on your library card"
    assert "Hello Ishmael," in first.body
    assert "2 items on your card are overdue. Please return or renew them." in first.body
    assert "1 item on your card is overdue. Please return or renew it." in second.body
    for message in mail.outbox:
        for title in ("The Whale", "Typee", "Omoo", "Mardi"):
            assert title not in message.body and title not in message.subject


def test_overdue_notices_list_titles_only_when_the_setting_is_on(overdue, now, settings):
    settings.CALUMET_NOTICES_INCLUDE_TITLES = True
    patron = PatronFactory()
    loan = overdue(patron, title="The Whale")
    assert notices.send_overdue_notices(now=now) == 1
    due = timezone.localtime(loan.due_at)
    assert f"  - The Whale (due {due:%b} {due.day})" in mail.outbox[0].body


def test_overdue_notice_is_recorded_on_each_loan(overdue, lend, now):
    patron = PatronFactory()
    late = [overdue(patron), overdue(patron, days=20)]
    not_due = lend(patron, due_in_days=2, now=now)
    notices.send_overdue_notices(now=now)
    for loan in late:
        loan.refresh_from_db()
        assert (loan.overdue_notices_sent, loan.last_overdue_notice_at) == (1, now)
    not_due.refresh_from_db()
    assert (not_due.overdue_notices_sent, not_due.last_overdue_notice_at) == (0, None)


def test_no_second_overdue_notice_within_seven_days(overdue, now):
    patron = PatronFactory()
    overdue(patron)
    assert notices.send_overdue_notices(now=now) == 1
    assert notices.send_overdue_notices(now=now + DAY) == 0
    assert notices.send_overdue_notices(now=now + 7 * DAY - datetime.timedelta(minutes=1)) == 0
    assert len(mail.outbox) == 1
    assert notices.send_overdue_notices(now=now + 7 * DAY) == 1
    assert len(mail.outbox) == 2


def test_at_most_three_overdue_notices_per_loan(overdue, now):
    patron = PatronFactory()
    loan = overdue(patron)
    sent = [notices.send_overdue_notices(now=now + week * 7 * DAY) for week in range(6)]
    assert sent == [1, 1, 1, 0, 0, 0]
    assert len(sent_to(patron.email)) == 3
    assert Loan.objects.get(pk=loan.pk).overdue_notices_sent == 3


def test_patrons_without_email_are_skipped(overdue, now):
    no_email = PatronFactory(email="")
    loan = overdue(no_email)
    assert notices.send_overdue_notices(now=now) == 0
    assert mail.outbox == []
    assert Loan.objects.get(pk=loan.pk).overdue_notices_sent == 0


def test_returned_loans_get_no_overdue_notice(overdue, clerk, now):
    loan = overdue(PatronFactory())
    services.loan_return(barcode=loan.item.barcode, actor=clerk, now=now)
    assert notices.send_overdue_notices(now=now + DAY) == 0
    assert mail.outbox == []


# -- hold-ready notices -------------------------------------------------------------------------


def test_the_hold_ready_notice_is_sent_once(branch, now):
    hold = HoldFactory(waiting=True, pickup_branch=branch)
    assert notices.send_hold_ready_notice(hold.pk) == 1
    assert notices.send_hold_ready_notice(hold.pk) == 0
    assert len(mail.outbox) == 1
    assert Hold.objects.get(pk=hold.pk).notified_at is not None


def test_no_hold_ready_notice_without_an_email_or_for_a_closed_hold(branch, now):
    no_email = HoldFactory(waiting=True, pickup_branch=branch, patron=PatronFactory(email=""))
    closed = HoldFactory(status=Hold.Status.CANCELLED, closed_at=now)
    assert notices.send_hold_ready_notice(no_email.pk) == 0
    assert notices.send_hold_ready_notice(closed.pk) == 0
    assert notices.send_hold_ready_notice(999_999) == 0
    assert mail.outbox == []


# -- the worker's tasks --------------------------------------------------------------------------


def test_the_overdue_task_returns_how_many_emails_it_sent(overdue):
    overdue(PatronFactory())
    overdue(PatronFactory())
    assert tasks.send_overdue_notices() == 2
    assert tasks.send_overdue_notices() == 0
    assert len(mail.outbox) == 2


def test_the_expiry_task_returns_how_many_holds_it_expired(branch, now):
    late = [HoldFactory(waiting=True, pickup_branch=branch) for _ in range(3)]
    Hold.objects.filter(pk__in=[h.pk for h in late]).update(pickup_by=now - DAY)
    HoldFactory(waiting=True, pickup_branch=branch)
    assert tasks.expire_unclaimed_holds() == 3
    assert Hold.objects.filter(status=Hold.Status.EXPIRED).count() == 3
    assert tasks.expire_unclaimed_holds() == 0


def test_the_hold_ready_task_is_queued_with_the_hold_id_only(
    card, branch, clerk, lend, django_capture_on_commit_callbacks
):
    loan = lend(PatronFactory(), title=TitleFactory(title="The Confidence-Man"))
    hold = HoldFactory(title=loan.item.title, pickup_branch=branch, patron=card.patron)
    with (
        mock.patch("django_q.tasks.async_task") as async_task,
        django_capture_on_commit_callbacks(execute=True),
    ):
        services.loan_return(barcode=loan.item.barcode, actor=clerk, branch=branch)
    async_task.assert_called_once()
    func, *args = async_task.call_args.args
    assert func == "circulation.notices.sending.send_hold_ready_notice"
    assert args == [hold.pk]
    assert all(type(arg) is int for arg in args)
    assert set(async_task.call_args.kwargs) <= {"group"}


def test_the_stored_task_holds_ids_and_a_count_only(
    card, branch, clerk, lend, django_capture_on_commit_callbacks
):
    title = "The Confidence-Man"
    loan = lend(PatronFactory(), title=TitleFactory(title=title))
    hold = HoldFactory(title=loan.item.title, pickup_branch=branch, patron=card.patron)
    with django_capture_on_commit_callbacks(execute=True):
        services.loan_return(barcode=loan.item.barcode, actor=clerk, branch=branch)
    task = Task.objects.get(func="circulation.notices.sending.send_hold_ready_notice")
    assert task.success is True
    assert tuple(task.args) == (hold.pk,)
    assert not task.kwargs
    assert task.result == 1
    stored = repr((task.args, task.kwargs, task.result, task.name, task.group))
    for secret in (title, card.number, card.patron.email, card.patron.last_name):
        assert secret not in stored
    assert len(mail.outbox) == 1


# -- schedules ----------------------------------------------------------------------------------


def test_ensure_schedules_creates_the_two_daily_jobs_once(settings):
    settings.CALUMET_OVERDUE_NOTICE_TIME = "07:00"
    Schedule.objects.filter(name__in=TASK_NAMES).delete()  # migrate already made them
    schedules.ensure_schedules()
    rows = {s.name: s for s in Schedule.objects.filter(name__in=TASK_NAMES)}
    assert {name: s.func for name, s in rows.items()} == TASK_NAMES
    now = timezone.now()
    for schedule in rows.values():
        assert schedule.schedule_type == Schedule.DAILY and schedule.repeats == -1
        assert now < schedule.next_run <= now + DAY
    times = {name: timezone.localtime(s.next_run).strftime("%H:%M") for name, s in rows.items()}
    assert times == {
        "circulation: expire unclaimed holds": "00:15",
        "circulation: overdue notices": "07:00",
    }

    first_runs = {name: s.next_run for name, s in rows.items()}
    schedules.ensure_schedules()
    again = Schedule.objects.filter(name__in=TASK_NAMES)
    assert again.count() == 2
    assert {s.name: s.next_run for s in again} == first_runs


def test_ensure_schedules_after_migrate_adds_no_duplicate():
    schedules.ensure_schedules()
    schedules.ensure_schedules()
    for name in TASK_NAMES:
        assert Schedule.objects.filter(name=name).count() == 1


def test_a_changed_overdue_notice_time_moves_the_next_run(settings):
    settings.CALUMET_OVERDUE_NOTICE_TIME = "07:00"
    Schedule.objects.filter(name__in=TASK_NAMES).delete()
    schedules.ensure_schedules()
    settings.CALUMET_OVERDUE_NOTICE_TIME = "09:30"
    schedules.ensure_schedules()
    schedule = Schedule.objects.get(name="circulation: overdue notices")
    assert timezone.localtime(schedule.next_run).strftime("%H:%M") == "09:30"
