"""Holds that are not picked up, programs, visits, public computers, overdue notices."""

import datetime

import pytest
from auditlog.models import LogEntry
from django.contrib.auth.models import Group
from django.core import mail
from django.test import Client
from django.utils import timezone

from circulation import services, tasks
from circulation.exceptions import CirculationRefusal, CirculationRefused
from circulation.models import ComputerSession, Hold, Item, Program, ProgramRegistration, VisitCount
from circulation.notices.sending import send_overdue_notices
from staff.roles import CIRCULATION_STAFF
from tests.factories import (
    BranchFactory,
    CardFactory,
    HoldFactory,
    ItemFactory,
    LoanFactory,
    PatronFactory,
    ProgramFactory,
    StaffUserFactory,
    TitleFactory,
)

pytestmark = pytest.mark.django_db


def test_unclaimed_holds_expire_and_the_item_goes_to_the_next_patron(now):
    expired = HoldFactory(waiting=True)
    Hold.objects.filter(pk=expired.pk).update(pickup_by=now - datetime.timedelta(hours=1))
    next_in_line = HoldFactory(title=expired.title, pickup_branch=expired.pickup_branch)
    still_time = HoldFactory(waiting=True)
    item_id = expired.item_id
    assert tasks.expire_unclaimed_holds() == 1
    expired.refresh_from_db()
    next_in_line.refresh_from_db()
    assert expired.status == Hold.Status.EXPIRED and expired.closed_at is not None
    assert next_in_line.status == Hold.Status.WAITING
    assert next_in_line.item_id == item_id
    assert Hold.objects.get(pk=still_time.pk).status == Hold.Status.WAITING


def test_cancelling_a_waiting_hold_puts_the_item_back(now):
    hold = HoldFactory(waiting=True)
    services.hold_cancel(hold=hold, actor=None)
    assert Item.objects.get(pk=hold.item_id).status == Item.Status.AVAILABLE


def test_program_capacity_waiting_list_and_attendance():
    program = ProgramFactory(capacity=1)
    first, second = PatronFactory(), PatronFactory()
    a = services.program_register(program=program, patron=first, actor=None)
    b = services.program_register(program=program, patron=second, actor=None)
    assert a.status == ProgramRegistration.Status.REGISTERED
    assert b.status == ProgramRegistration.Status.WAITLISTED
    with pytest.raises(CirculationRefused):
        services.program_register(program=program, patron=first, actor=None)
    services.program_cancel_registration(registration=a, actor=None)
    b.refresh_from_db()
    assert b.status == ProgramRegistration.Status.REGISTERED
    services.program_mark_attended(registration=b, actor=None)
    services.program_mark_attended(registration=b, actor=None)
    assert Program.objects.get(pk=program.pk).attendance_count == 1
    past = ProgramFactory(
        starts_at=timezone.now() - datetime.timedelta(days=2),
        ends_at=timezone.now() - datetime.timedelta(days=1),
    )
    with pytest.raises(CirculationRefused):
        services.program_register(program=past, patron=first, actor=None)


def test_visits_count_per_branch_and_day():
    branch = BranchFactory()
    card = CardFactory()
    services.visit_record(card_number=card.number, branch=branch, actor=None)
    services.visit_record(card_number=card.number, branch=branch, actor=None)
    assert VisitCount.objects.get(branch=branch, day=timezone.localdate()).count == 2


def test_public_computer_sessions():
    branch = BranchFactory()
    card, other = CardFactory(), CardFactory()
    first = services.computer_session_start(
        card_number=card.number, branch=branch, workstation="PC-01", actor=None
    )
    with pytest.raises(CirculationRefused) as busy:
        services.computer_session_start(
            card_number=other.number, branch=branch, workstation="PC-01", actor=None
        )
    assert busy.value.code == CirculationRefusal.WORKSTATION_BUSY
    services.computer_session_start(
        card_number=card.number, branch=branch, workstation="PC-02", actor=None
    )
    first.refresh_from_db()
    assert first.ended_at is not None  # one computer at a time
    session = ComputerSession.objects.get(workstation="PC-02")
    services.computer_session_end(session=session, actor=None)
    with pytest.raises(CirculationRefused):
        services.computer_session_end(session=session, actor=None)


def test_overdue_notices_weekly_at_most_three_and_without_titles(settings, now):
    patron = PatronFactory(email="reader@example.org")
    for _ in range(2):
        LoanFactory(
            patron=patron,
            item=ItemFactory(title=TitleFactory(title="Secret Overdue Book")),
            checked_out_at=now - datetime.timedelta(days=30),
            due_at=now - datetime.timedelta(days=3),
        )
    LoanFactory(
        patron=PatronFactory(email=""),
        checked_out_at=now - datetime.timedelta(days=30),
        due_at=now - datetime.timedelta(days=3),
    )
    assert tasks.send_overdue_notices() == 1
    assert len(mail.outbox) == 1 and "2 items" in mail.outbox[0].body
    assert "Secret Overdue Book" not in mail.outbox[0].body
    assert tasks.send_overdue_notices() == 0  # not again within a week

    for week in range(1, 5):
        send_overdue_notices(now=now + datetime.timedelta(days=8 * week))
    assert len(mail.outbox) == 3  # at most three per loan
    settings.CALUMET_NOTICES_INCLUDE_TITLES = True
    LoanFactory(
        patron=patron,
        item=ItemFactory(title=TitleFactory(title="Shown If Asked")),
        checked_out_at=now - datetime.timedelta(days=30),
        due_at=now - datetime.timedelta(days=3),
    )
    send_overdue_notices(now=now + datetime.timedelta(days=60))
    assert "Shown If Asked" in mail.outbox[-1].body


def test_task_arguments_are_ids_only(monkeypatch, django_capture_on_commit_callbacks):
    calls = []
    monkeypatch.setattr("django_q.tasks.async_task", lambda *args, **kwargs: calls.append(args))
    title = TitleFactory()
    loan = LoanFactory(item=ItemFactory(title=title, status=Item.Status.ON_LOAN))
    HoldFactory(title=title, pickup_branch=loan.item.branch)
    with django_capture_on_commit_callbacks(execute=True):
        services.loan_return(barcode=loan.item.barcode, actor=None, branch=loan.item.branch)
    assert calls and all(isinstance(arg, int) for call in calls for arg in call[1:])


def test_desk_pages_log_what_they_show():
    clerk = StaffUserFactory(username="logging-clerk")
    clerk.groups.add(Group.objects.get(name=CIRCULATION_STAFF))
    BranchFactory()
    card = CardFactory()
    loan = LoanFactory(patron=card.patron)
    client = Client()
    client.force_login(clerk)
    client.post("/admin/circulation/checkout/", {"action": "card", "card_number": card.number})
    client.get("/admin/circulation/checkout/")
    client.post("/admin/circulation/payment/", {"action": "card", "card_number": card.number})
    client.get("/admin/circulation/payment/")
    HoldFactory(waiting=True)
    client.get("/admin/circulation/hold-shelf/?all=1")
    entries = LogEntry.objects.filter(action=LogEntry.Action.ACCESS, actor=clerk)
    pages = set(entries.values_list("additional_data__page", flat=True))
    assert {"desk:checkout", "desk:payment", "desk:hold_shelf"} <= pages
    checkout = entries.get(additional_data__page="desk:checkout")
    assert checkout.additional_data["patron"] == loan.patron_id
    assert checkout.additional_data["kinds"]["loan"] == 1
