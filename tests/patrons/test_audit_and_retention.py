"""Every read leaves a trace; the trace is no reading history; the expunge keeps its
promises (active records untouched, history and holds kept, reruns idempotent)."""

import datetime
import json
from io import StringIO
from unittest import mock

import pytest
from auditlog.models import LogEntry
from django.contrib.auth.models import Group
from django.contrib.contenttypes.models import ContentType
from django.core.management import call_command
from django.db import connection, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from django_q.models import Schedule
from django_q.tasks import async_task
from hypothesis import HealthCheck, given
from hypothesis import settings as hyp_settings
from hypothesis import strategies as st

from circulation.models import ComputerSession, Fine, Hold, Loan, Visit
from core.client import client_ip
from patrons.models import Patron
from patrons.services import reading_history_set
from privacy import retention
from privacy.audit_trail import delete_trail
from privacy.models import ExpungeRun
from privacy.services import legal_hold_place, legal_hold_release
from staff.roles import CIRCULATION_STAFF, LIBRARY_ADMINISTRATOR
from tests.factories import (
    DEFAULT_PIN,
    CardFactory,
    ComputerSessionFactory,
    FineFactory,
    HoldFactory,
    ItemFactory,
    LoanFactory,
    PatronFactory,
    StaffUserFactory,
    TitleFactory,
    VisitFactory,
)

pytestmark = pytest.mark.django_db
ACCESS = LogEntry.Action.ACCESS


def staff(name, group):
    user = StaffUserFactory(username=name)
    user.groups.add(Group.objects.get(name=group))
    client = Client()
    client.force_login(user)
    return user, client


@pytest.fixture
def card():
    return CardFactory(
        number="21234444400001", patron=PatronFactory(first_name="Octavia", last_name="Pell")
    )


# -- audit ---------------------------------------------------------------------------------


def test_the_patron_change_page_logs_one_entry_about_the_patron(card):
    loan = LoanFactory(patron=card.patron, pk=987654)
    clerk, client = staff("clerk", CIRCULATION_STAFF)
    client.get(f"/admin/patrons/patron/{card.patron.pk}/change/")
    entries = LogEntry.objects.filter(action=ACCESS, actor=clerk)
    assert entries.count() == 1
    entry = entries.get()
    assert entry.object_pk == str(card.patron.pk) and entry.content_type.model == "patron"
    data = entry.additional_data
    assert data["patron"] == card.patron.pk and data["access"] == "opened"
    assert data["kinds"]["patron"] == 1 and data["kinds"]["loan"] == 1
    assert str(loan.pk) not in json.dumps(data)  # no other record's id


def test_a_reload_within_minutes_is_not_a_new_look(card, settings):
    settings.CALUMET_AUDIT_REPEAT_MINUTES = 5
    clerk, client = staff("clerk", CIRCULATION_STAFF)
    url = f"/admin/patrons/patron/{card.patron.pk}/change/"
    for _ in range(3):
        client.get(url)
    assert LogEntry.objects.filter(action=ACCESS, actor=clerk).count() == 1
    later = timezone.now() + datetime.timedelta(minutes=6)
    with mock.patch("django.utils.timezone.now", return_value=later):
        client.get(url)
    assert LogEntry.objects.filter(action=ACCESS, actor=clerk).count() == 2


def test_a_list_logs_each_patron_as_listed_in_one_insert(card):
    for _ in range(3):
        LoanFactory(patron=card.patron)
    other = LoanFactory()
    clerk, client = staff("clerk", CIRCULATION_STAFF)
    with CaptureQueriesContext(connection) as queries:
        client.get("/admin/circulation/loan/")
    inserts = [
        q
        for q in queries.captured_queries
        if q["sql"].startswith("INSERT") and "auditlog_logentry" in q["sql"]
    ]
    assert len(inserts) == 1
    logged = LogEntry.objects.filter(action=ACCESS, actor=clerk)
    assert {e.additional_data["patron"] for e in logged} == {card.patron.pk, other.patron_id}
    assert {e.additional_data["access"] for e in logged} == {"listed"}
    mine = logged.get(additional_data__patron=card.patron.pk)
    assert mine.additional_data["kinds"] == {"loan": 3}


def test_portal_pages_log_with_the_patron_as_subject(card):
    LoanFactory(patron=card.patron)
    client = Client()
    client.post(reverse("portal:login"), {"card_number": card.number, "pin": DEFAULT_PIN})
    client.get(reverse("portal:account"))
    client.get(reverse("portal:my_data"), {"download": "1"})
    entries = LogEntry.objects.filter(action=ACCESS, additional_data__patron=card.patron.pk)
    pages = set(entries.values_list("additional_data__page", flat=True))
    assert {"portal:login", "portal:account", "portal:my_data:download"} <= pages
    assert not entries.filter(actor__isnull=False).exists()


def test_a_forged_forwarded_for_is_not_recorded(card, rf, settings):
    request = rf.get("/", HTTP_X_FORWARDED_FOR="203.0.113.9", REMOTE_ADDR="198.51.100.7")
    assert client_ip(request) == "198.51.100.7"
    settings.CALUMET_TRUSTED_PROXIES = ["198.51.100.0/24"]
    assert client_ip(request) == "203.0.113.9"
    chain = rf.get(
        "/", HTTP_X_FORWARDED_FOR="203.0.113.9, 198.51.100.8", REMOTE_ADDR="198.51.100.7"
    )
    assert client_ip(chain) == "203.0.113.9"
    junk = rf.get("/", HTTP_X_FORWARDED_FOR="not-an-address", REMOTE_ADDR="198.51.100.7")
    assert client_ip(junk) == "198.51.100.7"


def test_changes_keep_field_names_not_values_and_never_the_pin(card):
    patron = card.patron
    patron.first_name = "Renamed"
    patron.set_pin("8264")
    patron.save()
    text = " ".join(
        f"{e.object_repr} {e.changes} {e.changes_text} {e.serialized_data}"
        for e in LogEntry.objects.all()
    )
    assert "Renamed" not in text and "Octavia" not in text
    assert "argon2" not in text and "pin_hash" not in text
    change = LogEntry.objects.filter(
        action=LogEntry.Action.UPDATE, object_pk=str(patron.pk)
    ).latest("pk")
    assert "first_name" in json.dumps(change.changes)


def test_an_expunged_records_trail_goes_with_it(card):
    loan = LoanFactory(
        pk=987654,
        patron=card.patron,
        item=ItemFactory(title=TitleFactory(title="Scandalous Memoirs")),
    )
    _, client = staff("clerk", CIRCULATION_STAFF)
    client.get(f"/admin/circulation/loan/{loan.pk}/change/")
    assert LogEntry.objects.filter(object_pk=str(loan.pk), content_type__model="loan").exists()
    delete_trail(Loan, [loan.pk])
    assert not LogEntry.objects.filter(object_pk=str(loan.pk), content_type__model="loan").exists()
    # The access entry is about the patron and names no loan.
    access = LogEntry.objects.get(action=LogEntry.Action.ACCESS, object_pk=str(card.patron.pk))
    assert access.additional_data["kinds"] == {"loan": 1}
    assert str(loan.pk) not in json.dumps(access.additional_data)


def test_only_administrators_read_the_audit_log_and_nobody_edits_it(card):
    _, clerk = staff("clerk", CIRCULATION_STAFF)
    _, director = staff("director", LIBRARY_ADMINISTRATOR)
    for url in (
        "/admin/auditlog/logentry/",
        "/admin/auditlog/patron-access/",
        "/admin/auditlog/staff-access/",
    ):
        assert clerk.get(url).status_code == 403, url
        assert director.get(url).status_code == 200, url
    entry = LogEntry.objects.first()
    superuser = Client()
    superuser.force_login(StaffUserFactory(username="root", is_superuser=True))
    assert superuser.get("/admin/auditlog/logentry/add/").status_code == 403
    assert (
        superuser.post(f"/admin/auditlog/logentry/{entry.pk}/delete/", {"post": "yes"}).status_code
        == 403
    )
    assert LogEntry.objects.filter(pk=entry.pk).exists()


def test_the_patron_access_report_and_the_patrons_own_page(card):
    clerk, client = staff("clerk", CIRCULATION_STAFF)
    client.get(f"/admin/patrons/patron/{card.patron.pk}/change/")
    _, director = staff("director", LIBRARY_ADMINISTRATOR)
    report = director.post(
        "/admin/auditlog/patron-access/", {"card_number": card.number}
    ).content.decode()
    assert "Patron record" in report and "admin:patrons.patron:change" not in report
    assert (
        "No library card has that number"
        in director.post("/admin/auditlog/patron-access/", {"card_number": "1"}).content.decode()
    )
    portal = Client()
    portal.post(reverse("portal:login"), {"card_number": card.number, "pin": DEFAULT_PIN})
    page = portal.get(reverse("portal:access")).content.decode()
    assert "Circulation staff" in page and "You signed in" in page
    assert clerk.username not in page and clerk.first_name not in page


def test_the_staff_access_report_flags_browsing(settings):
    settings.CALUMET_AUDIT_FLAG_PATRONS_PER_HOUR = 2
    _clerk, client = staff("browser", CIRCULATION_STAFF)
    patrons = [PatronFactory() for _ in range(3)]
    LogEntry.objects.filter(additional_data__patron__in=[p.pk for p in patrons]).delete()
    for patron in patrons:
        client.get(f"/admin/patrons/patron/{patron.pk}/change/")
    _, director = staff("director", LIBRARY_ADMINISTRATOR)
    page = director.get("/admin/auditlog/staff-access/", {"flagged": "1"}).content.decode()
    assert "3 patrons in one hour" in page
    assert "opened with no transaction that day" in page
    bad = director.get(
        "/admin/auditlog/staff-access/", {"start": "2026-12-01", "end": "2026-01-01"}
    )
    assert bad.status_code == 200 and "before the start date" in bad.content.decode()


# -- retention -----------------------------------------------------------------------------


def test_the_expunge_keeps_every_promise(card, now):
    patron = card.patron
    day = datetime.timedelta(days=1)
    active_loan = LoanFactory(patron=patron)
    returned = LoanFactory(
        patron=patron, checked_out_at=now - 9 * day, due_at=now - 2 * day, returned_at=now - day
    )
    owing = LoanFactory(
        patron=patron, checked_out_at=now - 9 * day, due_at=now - 2 * day, returned_at=now - day
    )
    FineFactory(patron=patron, loan=owing)
    placed = HoldFactory(patron=patron)
    cancelled = HoldFactory(patron=patron, status=Hold.Status.CANCELLED, closed_at=now - day)
    visit = VisitFactory(patron=patron, visited_at=now - day)
    on_pc = ComputerSessionFactory(patron=patron, started_at=now - datetime.timedelta(minutes=5))
    reader = PatronFactory(keep_reading_history=True)
    kept = LoanFactory(
        patron=reader, checked_out_at=now - 9 * day, due_at=now - 2 * day, returned_at=now - day
    )

    result = retention.expunge(now=now)
    assert Loan.objects.get(pk=active_loan.pk).patron_id == patron.pk
    assert Loan.objects.get(pk=owing.pk).patron_id == patron.pk  # a fine is unpaid
    assert not Loan.objects.filter(pk=returned.pk).exists()  # counted, then deleted
    assert (
        Hold.objects.filter(pk=placed.pk).exists()
        and not Hold.objects.filter(pk=cancelled.pk).exists()
    )
    assert not Visit.objects.filter(pk=visit.pk).exists()
    assert ComputerSession.objects.filter(pk=on_pc.pk).exists()
    assert Loan.objects.get(pk=kept.pk).patron_id == reader.pk
    assert result.counts["loan"]["anonymised"] == 1

    again = retention.expunge(now=now)
    assert all(c["expunged"] == 0 and c["anonymised"] == 0 for c in again.counts.values())
    run = ExpungeRun.objects.get(pk=result.run.pk)
    assert "Octavia" not in json.dumps(run.counts) and card.number not in json.dumps(run.counts)

    reading_history_set(patron=reader, keep=False, actor=reader)
    assert not Loan.objects.filter(pk=kept.pk).exists()


def test_a_legal_hold_keeps_records_until_released(card, now):
    day = datetime.timedelta(days=1)
    loan = LoanFactory(
        patron=card.patron,
        checked_out_at=now - 9 * day,
        due_at=now - 2 * day,
        returned_at=now - day,
    )
    visit = VisitFactory(patron=card.patron, visited_at=now - day)
    hold = legal_hold_place(patron=card.patron, kinds=["loan"], reason="Subpoena", actor=None)
    result = retention.expunge(now=now)
    assert result.counts["loan"]["held"] == 1
    assert Loan.objects.get(pk=loan.pk).patron_id == card.patron.pk
    assert not Visit.objects.filter(pk=visit.pk).exists()  # not covered by the hold
    legal_hold_release(hold=hold, actor=None)
    retention.expunge(now=now)
    assert not Loan.objects.filter(pk=loan.pk).exists()


def test_registrations_past_retention_go_with_cards_and_pin(now):
    old = PatronFactory(
        card_expires_on=(now - datetime.timedelta(days=1000)).date(),
        last_activity_at=now - datetime.timedelta(days=1000),
    )
    card = CardFactory(patron=old)
    loan = LoanFactory(
        patron=old,
        checked_out_at=now - datetime.timedelta(days=1100),
        due_at=now - datetime.timedelta(days=1090),
        returned_at=now - datetime.timedelta(days=1080),
    )
    recent = PatronFactory(
        card_expires_on=(now - datetime.timedelta(days=1000)).date(),
        last_activity_at=now - datetime.timedelta(days=10),
    )
    retention.expunge(now=now)
    assert not Patron.objects.filter(pk=old.pk).exists()
    assert not type(card).objects.filter(pk=card.pk).exists()
    assert not Loan.objects.filter(pk=loan.pk).exists()
    assert not LogEntry.objects.filter(object_pk=str(loan.pk), content_type__model="loan")
    assert Patron.objects.filter(pk=recent.pk).exists()
    assert not LogEntry.objects.filter(additional_data__patron=old.pk).exists()


def test_old_audit_entries_are_deleted(card, now):
    kind = ContentType.objects.get_for_model(Patron)
    old = LogEntry.objects.create(
        content_type=kind,
        action=ACCESS,
        object_repr="Patron #1",
        object_pk="1",
        timestamp=now - datetime.timedelta(days=400),
    )
    young = LogEntry.objects.create(
        content_type=kind,
        action=ACCESS,
        object_repr="Patron #1",
        object_pk="1",
        timestamp=now - datetime.timedelta(days=10),
    )
    retention.expunge(now=now)
    assert not LogEntry.objects.filter(pk=old.pk).exists()
    assert LogEntry.objects.filter(pk=young.pk).exists()


def test_the_command_dry_run_json_and_kind(card, now):
    VisitFactory(patron=card.patron, visited_at=timezone.now() - datetime.timedelta(days=1))
    out = StringIO()
    call_command("expunge", "--dry-run", "--json", stdout=out)
    assert json.loads(out.getvalue())["counts"]["visit"]["expunged"] == 1
    assert Visit.objects.count() == 1
    out = StringIO()
    call_command("expunge", "--json", "--kind", "visit", stdout=out)
    counts = json.loads(out.getvalue())["counts"]
    assert set(counts) == {"visit"} and counts["visit"]["expunged"] == 1
    assert Visit.objects.count() == 0


def test_the_nightly_schedule_runs_the_expunge():
    schedule = Schedule.objects.get(name="patrons: nightly expunge")
    assert schedule.func == "privacy.tasks.nightly_expunge"
    async_task(schedule.func)  # sync in tests, as the worker would run it
    assert ExpungeRun.objects.filter(trigger="nightly").exists()


STATES = st.lists(
    st.sampled_from(
        [
            "open",
            "returned",
            "owing",
            "history",
            "held",
            "visit",
            "session",
            "ended",
            "placed",
            "cancelled",
        ]
    ),
    min_size=1,
    max_size=12,
)


@hyp_settings(
    max_examples=20,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(states=STATES)
def test_property_no_active_record_changes_no_closed_one_stays_and_reruns_do_nothing(states):
    now = timezone.now().replace(microsecond=0)
    day = datetime.timedelta(days=1)
    sid = transaction.savepoint()
    try:
        patron = PatronFactory()
        active_loans, active_holds, active_sessions = [], [], []
        for state in states:
            if state == "open":
                active_loans.append(LoanFactory(patron=patron).pk)
            elif state in ("returned", "history", "held"):
                who = patron
                if state == "history":
                    who = PatronFactory(keep_reading_history=True)
                if state == "held":
                    who = PatronFactory()
                    legal_hold_place(patron=who, reason="court", actor=None)
                LoanFactory(
                    patron=who,
                    checked_out_at=now - 9 * day,
                    due_at=now - 2 * day,
                    returned_at=now - day,
                )
            elif state == "owing":
                loan = LoanFactory(
                    patron=patron,
                    checked_out_at=now - 9 * day,
                    due_at=now - 2 * day,
                    returned_at=now - day,
                )
                FineFactory(patron=patron, loan=loan)
                active_loans.append(loan.pk)
            elif state == "visit":
                VisitFactory(patron=patron, visited_at=now - day)
            elif state == "session":
                active_sessions.append(
                    ComputerSessionFactory(
                        patron=patron,
                        started_at=now - datetime.timedelta(minutes=1),
                        workstation=f"PC-{len(active_sessions)}",
                    ).pk
                )
            elif state == "ended":
                ComputerSessionFactory(patron=patron, started_at=now - 2 * day, ended_at=now - day)
            elif state == "placed":
                active_holds.append(HoldFactory(patron=patron).pk)
            elif state == "cancelled":
                HoldFactory(patron=patron, status=Hold.Status.CANCELLED, closed_at=now - day)
        before = (
            list(Loan.objects.filter(pk__in=active_loans).values()),
            list(Hold.objects.filter(pk__in=active_holds).values()),
        )

        retention.expunge(now=now)
        after = (
            list(Loan.objects.filter(pk__in=active_loans).values()),
            list(Hold.objects.filter(pk__in=active_holds).values()),
        )
        assert before == after
        assert ComputerSession.objects.filter(pk__in=active_sessions).count() == len(
            active_sessions
        )
        leftover = Loan.objects.filter(patron__isnull=False, returned_at__isnull=False).exclude(
            pk__in=active_loans
        )
        for loan in leftover:
            assert (
                loan.patron.keep_reading_history
                or loan.patron.legal_holds.filter(released_at__isnull=True).exists()
            )
        assert not Visit.objects.exists()
        assert not Hold.objects.filter(status=Hold.Status.CANCELLED).exists()
        second = retention.expunge(now=now)
        assert all(c["expunged"] == 0 and c["anonymised"] == 0 for c in second.counts.values())
        assert Fine.objects.filter(settled_at__isnull=True, patron__isnull=True).count() == 0
    finally:
        transaction.savepoint_rollback(sid)
