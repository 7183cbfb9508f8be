"""Record kinds of the circulation app, on real rows.

For each kind: when a record is active, when it closed (`closed_on`, what retention
counts from), which records `closed_before(cutoff)` hands to the expunge, and what the
patron's export and an emergency (identity-only) release carry.
"""

import datetime
from decimal import Decimal

import pytest
from django.db import transaction

from circulation.models import Hold, Loan, ProgramRegistration
from privacy.registry import registry
from tests.factories import (
    ComputerSessionFactory,
    FineFactory,
    HoldFactory,
    ItemFactory,
    LoanFactory,
    PatronFactory,
    ProgramFactory,
    ProgramRegistrationFactory,
    TitleFactory,
    VisitFactory,
    one_record_of_each_kind,
)
from tests.helpers import pks

pytestmark = pytest.mark.django_db

DAY = datetime.timedelta(days=1)
HOUR = datetime.timedelta(hours=1)

loan_kind = registry.get("loan")
hold_kind = registry.get("hold")
fine_kind = registry.get("fine")
registration_kind = registry.get("program_registration")
visit_kind = registry.get("visit")
session_kind = registry.get("computer_session")


def closed_on(kind, record, now):
    return kind.closed_records(now).get(pk=record.pk).closed_on


def returned_loan(now, *, returned_days_ago, **kwargs):
    return LoanFactory(
        checked_out_at=now - (returned_days_ago + 14) * DAY,
        returned_at=now - returned_days_ago * DAY,
        **kwargs,
    )


def settle(fine, when):
    fine.amount_paid = fine.amount
    fine.settled_at = when
    fine.save()


# -- loans -------------------------------------------------------------------------------


def test_an_open_loan_is_active(now):
    loan = LoanFactory(checked_out_at=now - 40 * DAY)  # long overdue, still open
    assert pks(loan_kind.active_records(now)) == {loan.pk}
    assert pks(loan_kind.closed_records(now)) == set()


def test_a_returned_loan_closes_when_it_is_returned(now):
    loan = returned_loan(now, returned_days_ago=3)
    assert pks(loan_kind.active_records(now)) == set()
    assert closed_on(loan_kind, loan, now) == loan.returned_at == now - 3 * DAY


def test_a_returned_loan_with_an_unpaid_fine_stays_active_until_the_fine_is_settled(now):
    loan = returned_loan(now, returned_days_ago=10)
    fine = FineFactory(patron=loan.patron, loan=loan, assessed_at=now - 10 * DAY)

    assert pks(loan_kind.active_records(now)) == {loan.pk}
    assert pks(loan_kind.closed_before(now, now=now)) == set()

    settle(fine, now - 2 * DAY)

    assert pks(loan_kind.active_records(now)) == set()
    assert closed_on(loan_kind, loan, now) == now - 2 * DAY


def test_a_loan_closes_when_its_last_fine_is_settled(now):
    loan = returned_loan(now, returned_days_ago=10)
    overdue = FineFactory(patron=loan.patron, loan=loan)
    damaged = FineFactory(patron=loan.patron, loan=loan, reason="damaged")
    settle(damaged, now - 5 * DAY)
    assert pks(loan_kind.active_records(now)) == {loan.pk}  # one fine still unpaid

    settle(overdue, now - 3 * DAY)

    assert closed_on(loan_kind, loan, now) == now - 3 * DAY


def test_a_fine_paid_before_the_return_does_not_move_the_close_earlier(now):
    loan = returned_loan(now, returned_days_ago=2)
    fine = FineFactory(patron=loan.patron, loan=loan, reason="lost")
    settle(fine, now - 6 * DAY)  # paid as lost, then the item turned up
    assert closed_on(loan_kind, loan, now) == now - 2 * DAY


def test_loans_past_retention_are_exactly_those_closed_before_the_cutoff(now):
    due = returned_loan(now, returned_days_ago=20)
    due_after_fine = returned_loan(now, returned_days_ago=40)
    settle(FineFactory(patron=due_after_fine.patron, loan=due_after_fine), now - 15 * DAY)
    recently_settled = returned_loan(now, returned_days_ago=40)
    settle(FineFactory(patron=recently_settled.patron, loan=recently_settled), now - 5 * DAY)
    returned_loan(now, returned_days_ago=5)
    LoanFactory(checked_out_at=now - 60 * DAY)  # open
    unpaid = returned_loan(now, returned_days_ago=30)
    FineFactory(patron=unpaid.patron, loan=unpaid)

    due_now = loan_kind.closed_before(now - 10 * DAY, now=now)

    assert pks(due_now) == {due.pk, due_after_fine.pk}


def test_retention_leaves_the_loans_of_a_patron_who_keeps_reading_history(now):
    keeper = PatronFactory(keep_reading_history=True)
    kept = returned_loan(now, returned_days_ago=30, patron=keeper)
    others = returned_loan(now, returned_days_ago=30)

    assert pks(loan_kind.closed_before(now, now=now)) == {others.pk}
    # The kept loan is closed all the same: only the patron's choice keeps it.
    assert kept.pk in pks(loan_kind.closed_records(now))

    keeper.keep_reading_history = False
    keeper.save()
    assert pks(loan_kind.closed_before(now, now=now)) == {kept.pk, others.pk}


def test_an_expunged_loan_is_gone_and_its_use_stays_counted(now):
    loan = returned_loan(now, returned_days_ago=30)
    patron = loan.patron

    with transaction.atomic():
        loan_kind.expunge_ids([loan.pk], now)

    assert not Loan.objects.filter(pk=loan.pk).exists()
    assert pks(loan_kind.for_patron(patron)) == set()
    assert loan_kind.refs == {"item": "item_id"}


def test_loans_for_patron_are_only_that_patrons(now):
    patron = PatronFactory()
    mine = {
        LoanFactory(patron=patron).pk,
        returned_loan(now, returned_days_ago=1, patron=patron).pk,
    }
    LoanFactory()
    assert pks(loan_kind.for_patron(patron)) == mine


def test_the_export_of_a_loan_names_the_item_for_the_patron(now):
    item = ItemFactory(
        title=TitleFactory(title="Moby-Dick", author="Melville, Herman"),
        barcode="31234000000042",
    )
    loan = LoanFactory(item=item, renewals=1)

    exported = loan_kind.export(loan)

    assert exported == {
        "item__title__title": "Moby-Dick",
        "item__title__author": "Melville, Herman",
        "item__barcode": "31234000000042",
        "branch__name": item.branch.name,
        "checked_out_at": loan.checked_out_at.isoformat(),
        "due_at": loan.due_at.isoformat(),
        "returned_at": None,
        "renewals": 1,
    }


# -- holds -------------------------------------------------------------------------------


def test_a_hold_is_active_while_queued_in_transit_or_on_the_shelf(now):
    placed = HoldFactory()
    in_transit = HoldFactory(status=Hold.Status.IN_TRANSIT)
    waiting = HoldFactory(waiting=True)
    cancelled = HoldFactory(status=Hold.Status.CANCELLED, closed_at=now - 2 * DAY)
    fulfilled = HoldFactory(status=Hold.Status.FULFILLED, closed_at=now - 3 * DAY)
    expired = HoldFactory(status=Hold.Status.EXPIRED, closed_at=now - 4 * DAY)

    assert pks(hold_kind.active_records(now)) == {placed.pk, in_transit.pk, waiting.pk}
    assert {h.pk: h.closed_on for h in hold_kind.closed_records(now)} == {
        cancelled.pk: now - 2 * DAY,
        fulfilled.pk: now - 3 * DAY,
        expired.pk: now - 4 * DAY,
    }


def test_holds_past_retention_are_exactly_those_closed_before_the_cutoff(now):
    old = HoldFactory(status=Hold.Status.CANCELLED, closed_at=now - 8 * DAY)
    HoldFactory(status=Hold.Status.FULFILLED, closed_at=now - 6 * DAY)
    HoldFactory(placed_at=now - 100 * DAY)  # a long queue, still active
    assert pks(hold_kind.closed_before(now - 7 * DAY, now=now)) == {old.pk}


def test_holds_for_patron_and_their_export(now):
    patron = PatronFactory()
    hold = HoldFactory(patron=patron, title=TitleFactory(title="Middlemarch"), waiting=True)
    HoldFactory(title=hold.title)

    assert pks(hold_kind.for_patron(patron)) == {hold.pk}
    exported = hold_kind.export(hold)
    assert list(exported) == list(hold_kind.export_fields)
    assert exported["title__title"] == "Middlemarch"
    assert exported["status"] == "waiting"
    assert exported["pickup_by"] == hold.pickup_by.isoformat()
    assert exported["closed_at"] is None


# -- fines -------------------------------------------------------------------------------


def test_a_fine_is_active_until_settled(now):
    unpaid = FineFactory()
    part_paid = FineFactory(amount=Decimal("5.00"), amount_paid=Decimal("4.99"))
    paid = FineFactory()
    settle(paid, now - DAY)
    waived = FineFactory(waived_at=now - 2 * DAY, settled_at=now - 2 * DAY)

    assert pks(fine_kind.active_records(now)) == {unpaid.pk, part_paid.pk}
    assert {f.pk: f.closed_on for f in fine_kind.closed_records(now)} == {
        paid.pk: now - DAY,
        waived.pk: now - 2 * DAY,
    }


def test_fines_past_retention_are_exactly_those_closed_before_the_cutoff(now):
    old = FineFactory(assessed_at=now - 90 * DAY)
    settle(old, now - 60 * DAY)
    recent = FineFactory(assessed_at=now - 90 * DAY)
    settle(recent, now - 10 * DAY)
    FineFactory(assessed_at=now - 400 * DAY)  # never paid: kept as long as it is owed
    assert pks(fine_kind.closed_before(now - 30 * DAY, now=now)) == {old.pk}


def test_fines_for_patron_export_and_anonymisation(now):
    patron = PatronFactory()
    loan = LoanFactory(patron=patron, item=ItemFactory(title=TitleFactory(title="Emma")))
    fine = FineFactory(patron=patron, loan=loan, amount=Decimal("3.75"))
    FineFactory()

    assert pks(fine_kind.for_patron(patron)) == {fine.pk}
    exported = fine_kind.export(fine)
    assert list(exported) == list(fine_kind.export_fields)
    assert exported["amount"] == "3.75"
    assert exported["amount_paid"] == "0.00"
    assert exported["reason"] == "overdue"
    assert exported["loan__item__title__title"] == "Emma"


# -- program registrations ---------------------------------------------------------------


def test_a_program_sign_up_is_active_until_the_program_ends(now):
    program = ProgramFactory(starts_at=now - HOUR, ends_at=now + HOUR)  # happening now
    registration = ProgramRegistrationFactory(program=program)
    waitlisted = ProgramRegistrationFactory(program=program, status="waitlisted")

    assert pks(registration_kind.active_records(now)) == {registration.pk, waitlisted.pk}

    after = now + 2 * HOUR
    assert pks(registration_kind.active_records(after)) == set()
    assert closed_on(registration_kind, registration, after) == program.ends_at


def test_a_cancelled_sign_up_closes_when_it_was_cancelled(now):
    registration = ProgramRegistrationFactory(
        status=ProgramRegistration.Status.CANCELLED, cancelled_at=now - 2 * DAY
    )
    assert registration.program.ends_at > now
    assert pks(registration_kind.active_records(now)) == set()
    assert closed_on(registration_kind, registration, now) == now - 2 * DAY


def test_sign_ups_past_retention_are_exactly_those_closed_before_the_cutoff(now):
    long_past = ProgramFactory(starts_at=now - 10 * DAY)
    recent = ProgramFactory(starts_at=now - 2 * DAY)
    due = ProgramRegistrationFactory(program=long_past)
    cancelled_early = ProgramRegistrationFactory(
        status=ProgramRegistration.Status.CANCELLED, cancelled_at=now - 9 * DAY
    )
    ProgramRegistrationFactory(program=recent)
    ProgramRegistrationFactory()  # coming program

    due_now = registration_kind.closed_before(now - 5 * DAY, now=now)

    assert pks(due_now) == {due.pk, cancelled_early.pk}


def test_sign_ups_for_patron_and_their_export(now):
    patron = PatronFactory()
    registration = ProgramRegistrationFactory(
        patron=patron, program=ProgramFactory(name="Story time")
    )
    ProgramRegistrationFactory(program=registration.program)

    assert pks(registration_kind.for_patron(patron)) == {registration.pk}
    exported = registration_kind.export(registration)
    assert list(exported) == list(registration_kind.export_fields)
    assert exported["program__name"] == "Story time"
    assert exported["status"] == "registered"
    assert exported["attended"] is False


# -- visits ------------------------------------------------------------------------------


def test_a_visit_is_never_active_and_closes_when_it_happens(now):
    visit = VisitFactory(visited_at=now - HOUR)
    assert pks(visit_kind.active_records(now)) == set()
    assert closed_on(visit_kind, visit, now) == now - HOUR


def test_visits_are_all_due_at_the_next_run(now):
    """Retention 0: every visit recorded before the run is erased by it."""
    earlier = {VisitFactory(visited_at=now - HOUR).pk, VisitFactory(visited_at=now - 3 * DAY).pk}
    VisitFactory(visited_at=now + HOUR)
    assert pks(visit_kind.closed_before(now, now=now)) == earlier


def test_visits_for_patron_and_their_export(now):
    patron = PatronFactory()
    visit = VisitFactory(patron=patron)
    VisitFactory()
    assert pks(visit_kind.for_patron(patron)) == {visit.pk}
    assert visit_kind.export(visit) == {
        "branch__name": visit.branch.name,
        "visited_at": visit.visited_at.isoformat(),
    }


# -- computer sessions -------------------------------------------------------------------


def test_a_computer_session_is_active_until_it_ends(now):
    session = ComputerSessionFactory(started_at=now - 2 * HOUR)
    assert pks(session_kind.active_records(now)) == {session.pk}

    session.ended_at = now - HOUR
    session.save()

    assert pks(session_kind.active_records(now)) == set()
    assert closed_on(session_kind, session, now) == now - HOUR


def test_sessions_past_retention_are_exactly_those_closed_before_the_cutoff(now):
    ended = ComputerSessionFactory(started_at=now - 3 * HOUR, ended_at=now - 2 * HOUR)
    ComputerSessionFactory(started_at=now - 30 * HOUR)  # forgotten, never ended
    assert pks(session_kind.closed_before(now, now=now)) == {ended.pk}
    assert pks(session_kind.closed_before(now - 3 * HOUR, now=now)) == set()


def test_sessions_for_patron_and_their_export(now):
    patron = PatronFactory()
    session = ComputerSessionFactory(patron=patron, workstation="PC-04")
    ComputerSessionFactory()
    assert pks(session_kind.for_patron(patron)) == {session.pk}
    exported = session_kind.export(session)
    assert exported["workstation"] == "PC-04"
    assert exported["ended_at"] is None
    assert list(exported) == list(session_kind.export_fields)


# -- across kinds ------------------------------------------------------------------------


def give_everything(patron):
    one_record_of_each_kind(patron)
    return patron


@pytest.fixture
def patron_with_everything():
    return give_everything(PatronFactory(first_name="Ada", last_name="Byron"))


def test_every_kind_finds_the_patrons_own_records_and_no_one_elses(patron_with_everything):
    patron = patron_with_everything
    other = give_everything(PatronFactory())
    for kind in registry:
        mine, theirs = pks(kind.for_patron(patron)), pks(kind.for_patron(other))
        if not kind.reaches_patron:  # an applicant's record (online sign-up): no one's
            assert not mine and not theirs, kind.name
            continue
        assert mine, kind.name
        assert theirs, kind.name
        assert not mine & theirs, kind.name
        assert mine | theirs == pks(kind.all()), kind.name


def test_an_emergency_release_carries_identity_fields_only(patron_with_everything):
    """identity-only exports of every kind carry nothing about loans, holds, fines,
    programs, visits or computer use."""
    patron = patron_with_everything
    released = {
        kind.name: [kind.export(record, identity_only=True) for record in kind.for_patron(patron)]
        for kind in registry
    }

    assert released.pop("patron")[0]["last_name"] == "Byron"
    for name, records in released.items():
        assert all(record == {} for record in records), name
    # ...while the patron's own export of the same records does name them.
    full = [loan_kind.export(loan) for loan in loan_kind.for_patron(patron)]
    assert full[0]["item__title__title"] == "Dracula"
