"""After an expunge, nothing ties a patron to what they borrowed, used or attended.

A week at two branches is played through the services and the staff and patron pages
(loans, renewals, returns, holds filled, fines paid, visits, computer sessions, a
program), the expunge runs, and then the test plays the attacker: it reads every table
the site has, decodes the sessions, and tries to join what is left of the week's
records against everything still linked to a patron — by id, by moment, by staff
member, by transaction (PostgreSQL) and by order. The statistics must still add up to
the week's activity.
"""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from auditlog.models import LogEntry
from django.apps import apps
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.contrib.sessions.models import Session
from django.db import connection, models
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from circulation import counting, services
from circulation.models import (
    ChargeDay,
    CirculationDay,
    ComputerUseDay,
    HoldDay,
    Item,
    Loan,
    Program,
    TitleMonth,
    VisitCount,
)
from patrons.models import Patron
from privacy import retention
from privacy.registry import registry
from staff.roles import CIRCULATION_STAFF
from tests.factories import (
    DEFAULT_PIN,
    BranchFactory,
    CardFactory,
    ItemFactory,
    PatronFactory,
    ProgramFactory,
    StaffUserFactory,
    TitleFactory,
)

pytestmark = pytest.mark.django_db

DAY = datetime.timedelta(days=1)
LONG_AGO = timezone.now() - datetime.timedelta(days=4000)

#: Tables that describe the collection, the statistics and the site itself; whatever
#: they keep must not be joinable to a patron.
STATISTICS = (CirculationDay, TitleMonth, HoldDay, ChargeDay, ComputerUseDay, VisitCount)


def _week(monday: datetime.datetime):
    """Play a week; returns the ground truth of what happened."""
    main, east = BranchFactory(code="MAIN", name="Main"), BranchFactory(code="EAST", name="East")
    clerk = StaffUserFactory(username="weekclerk", last_login=LONG_AGO)
    clerk.groups.add(Group.objects.get_or_create(name=CIRCULATION_STAFF)[0])
    patrons = []
    for n in range(6):
        patron = PatronFactory(
            category_id=["adult", "senior", "child"][n % 3],
            registered_at=LONG_AGO,
            card_expires_on=(monday + 900 * DAY).date(),
        )
        CardFactory(patron=patron, number=f"2123477770000{n}", issued_at=LONG_AGO)
        patrons.append(patron)
    titles = [TitleFactory(title=f"Secret Title {n}", created_at=LONG_AGO) for n in range(8)]
    items = [
        ItemFactory(
            title=titles[n % 8],
            branch=(main, east)[n % 2],
            barcode=f"3999888800{n:04d}",
            added_at=LONG_AGO,
        )
        for n in range(16)
    ]
    truth = {"checkouts": [], "events": [], "barcodes": set(), "visits": 0, "sessions": 0}

    def at(day, hour, minute=0, second=0):
        moment = timezone.localtime(monday) + day * DAY
        return moment.replace(hour=hour, minute=minute, second=second, microsecond=37)

    # Two online sign-ups: one collected at the desk (it becomes a patron), one never.
    from patrons.signup import make_token, signup_apply, signup_collect, signup_confirm

    address = {"address_line1": "1 Field Place", "city": "Horsham", "postal_code": "RH12"}
    applicant = {"first_name": "Mary", "last_name": "Shelley", "email": "mary@example.org"}
    applicant |= {"birth_date": datetime.date(1997, 8, 30), **address}
    applied = signup_apply(
        details=applicant, address="192.0.2.1", origin="http://testserver/", now=at(0, 9, 1, 1)
    )
    signup_confirm(token=make_token(applied), now=at(0, 9, 20, 2))
    signup_collect(signup=applied, actor=clerk, now=at(1, 11, 3, 3), **applicant)
    signup_apply(
        details={
            **applicant,
            "first_name": "Percy",
            "email": "percy@example.org",
            "birth_date": datetime.date(1992, 8, 4),
        },
        address="192.0.2.2",
        origin="http://testserver/",
        now=at(0, 9, 30, 4),
    )
    truth["events"].extend([at(0, 9, 1, 1), at(0, 9, 20, 2), at(1, 11, 3, 3), at(0, 9, 30, 4)])

    for day in range(5):
        # Copies returned away from home the day before arrive there in the morning.
        for item in Item.objects.filter(status=Item.Status.IN_TRANSIT).select_related("branch"):
            services.loan_return(
                barcode=item.barcode, actor=clerk, branch=item.branch, now=at(day, 8)
            )
        for n, patron in enumerate(patrons):
            card = patron.cards.get().number
            branch = (main, east)[(n + day) % 2]
            item = items[(n * 3 + day) % 16]
            if Item.objects.get(pk=item.pk).status == Item.Status.AVAILABLE:
                when = at(day, 10 + n, 7 * n, 11)
                services.loan_checkout(
                    card_number=card, barcode=item.barcode, actor=clerk, branch=branch, now=when
                )
                truth["checkouts"].append((patron.pk, item.title_id, branch.pk, when))
                truth["events"].append(when)
                truth["barcodes"].add(item.barcode)
            services.visit_record(card_number=card, branch=branch, actor=clerk, now=at(day, 9, n))
            truth["visits"] += 1
            truth["events"].append(at(day, 9, n))
            if (n + day) % 3 == 0:
                start = at(day, 14, n, 5)
                session = services.computer_session_start(
                    card_number=card,
                    branch=branch,
                    workstation=f"PC-0{n}",
                    actor=clerk,
                    now=start,
                )
                services.computer_session_end(
                    session=session, actor=clerk, now=start + datetime.timedelta(minutes=40)
                )
                truth["sessions"] += 1
                truth["events"].append(start)
        # Returns the next day, one of them late enough for a fine that is then paid.
        for loan in Loan.objects.filter(returned_at__isnull=True).select_related("item"):
            when = at(day + 1, 16, loan.pk % 50, 3)
            if (loan.pk % 4) == 0 and loan.renewals == 0:
                services.loan_renew(loan=loan, actor=clerk, now=at(day + 1, 8, 1, 1))
                truth["events"].append(at(day + 1, 8, 1, 1))
            result = services.loan_return(
                barcode=loan.item.barcode,
                actor=clerk,
                branch=(main, east)[loan.pk % 2],
                now=when + (30 * DAY if loan.pk % 5 == 0 else datetime.timedelta()),
            )
            truth["events"].append(when)
            if result.fine is not None:
                services.fine_pay(
                    fine=result.fine, amount=result.fine.amount, actor=clerk, now=when + 31 * DAY
                )
    # A hold placed, filled at the shelf and picked up; a program attended.
    holder = patrons[0]
    held_title = titles[7]
    services.hold_place(
        patron=holder, title=held_title, pickup_branch=main, actor=holder, now=at(1, 12)
    )
    copy = Item.objects.filter(title=held_title, status=Item.Status.AVAILABLE).first()
    if copy is not None:
        services.loan_checkout(
            card_number=patrons[1].cards.get().number,
            barcode=copy.barcode,
            actor=clerk,
            branch=main,
            now=at(2, 9, 30),
        )
        services.loan_return(barcode=copy.barcode, actor=clerk, branch=main, now=at(3, 9, 30))
        services.loan_checkout(
            card_number=holder.cards.get().number,
            barcode=copy.barcode,
            actor=clerk,
            branch=main,
            now=at(3, 15, 30),
        )
        services.loan_return(barcode=copy.barcode, actor=clerk, branch=main, now=at(4, 15, 30))
        truth["barcodes"].add(copy.barcode)
        truth["checkouts"].append((patrons[1].pk, held_title.pk, main.pk, at(2, 9, 30)))
        truth["checkouts"].append((holder.pk, held_title.pk, main.pk, at(3, 15, 30)))
        truth["events"].extend([at(2, 9, 30), at(3, 9, 30), at(3, 15, 30), at(4, 15, 30)])
    program = ProgramFactory(branch=east, starts_at=at(2, 18), ends_at=at(2, 19))
    for patron in patrons[:3]:
        registration = services.program_register(
            program=program, patron=patron, actor=clerk, now=at(1, 11)
        )
        services.program_mark_attended(registration=registration, actor=clerk)
    return {
        "patrons": patrons,
        "clerk": clerk,
        "branches": (main, east),
        "program": program,
        "truth": truth,
        "at": at,
    }


def _browse(week):
    """Staff and patrons use the pages, leaving access entries and sessions behind."""
    client = Client()
    client.force_login(week["clerk"])
    for patron in week["patrons"]:
        client.get(reverse("admin:patrons_patron_change", args=[patron.pk]))
    client.get(reverse("admin:circulation_loan_changelist"))
    for patron in week["patrons"][:2]:
        portal = Client()
        portal.post(
            reverse("portal:login"),
            {"card_number": patron.cards.get().number, "pin": DEFAULT_PIN},
        )
        portal.get(reverse("portal:account"))
    return client


def _datetime_columns(model):
    return [f.attname for f in model._meta.concrete_fields if isinstance(f, models.DateTimeField)]


def _linked_to_a_patron(model, row) -> bool:
    if model is LogEntry:
        return isinstance((row.additional_data or {}).get("patron"), int) or (
            row.content_type.model_class() is Patron
        )
    return registry.for_model(model) is not None


@pytest.fixture
def expunged_week(settings):
    settings.CALUMET_AUDIT_REPEAT_MINUTES = 5
    now = timezone.now()
    monday = timezone.localtime(now - 50 * DAY).replace(hour=0, minute=0, second=0)
    week = _week(monday)
    _browse(week)
    before = _statistics()
    result = retention.expunge(now=now)
    week["before"] = before
    week["result"] = result
    return week


def _statistics():
    return {
        model.__name__: sorted(
            tuple(value for key, value in row.items() if key != "id")
            for row in model.objects.values()
        )
        for model in STATISTICS
    }


def test_nothing_of_the_weeks_records_is_left(expunged_week):
    assert not Loan.objects.exists()
    for kind in registry:
        if kind.name in ("patron", "card"):
            continue
        assert not kind.all().exists(), kind.name
    assert expunged_week["result"].counts["loan"]["anonymised"] >= 25


def test_no_audit_entry_is_about_a_record_that_is_gone(expunged_week):
    """No entry is left about a removed record (scrubbed or not), and every entry that
    names a patron is about the patron, with no other record's id in it."""
    for entry in LogEntry.objects.select_related("content_type"):
        model = entry.content_type.model_class()
        assert model is not None
        if registry.for_model(model) is not None:
            assert model._default_manager.filter(pk=entry.object_pk).exists(), (
                f"an entry about a removed {model.__name__}"
            )
        data = entry.additional_data or {}
        assert "expunged" not in data
        assert set(data) <= {
            "page",
            "access",
            "role",
            "branch",
            "patron",
            "kinds",
            "event",
            "kind",
            "confidential",
        }, data


def test_no_kept_moment_matches_an_event_of_the_week(expunged_week):
    """Every exact time kept in a row that is not the patron's own record is compared
    with the moments of the week's check-outs, returns, renewals, visits and sessions:
    none may fall within a second of one. (The patron's own access entries keep when
    staff looked at them; they name no record and no title.)"""
    events = expunged_week["truth"]["events"]
    clashes = []
    for model in apps.get_models():
        columns = _datetime_columns(model)
        if not columns:
            continue
        for row in model._default_manager.all():
            if _linked_to_a_patron(model, row):
                continue
            for column in columns:
                value = getattr(row, column)
                if value is None:
                    continue
                if any(abs((value - event).total_seconds()) < 1 for event in events):
                    clashes.append((model.__name__, column, value))
    assert clashes == []


def test_statistics_keep_days_and_months_only_and_no_staff(expunged_week):
    for model in STATISTICS:
        for field in model._meta.concrete_fields:
            assert not isinstance(field, models.DateTimeField), (model.__name__, field.name)
            if field.is_relation:
                assert field.related_model is not get_user_model(), (model.__name__, field.name)
                assert registry.for_model(field.related_model) is None, (model, field.name)
    assert set(TitleMonth.objects.values_list("month__day", flat=True)) == {1}


def test_statistics_rows_are_in_key_order_not_in_the_order_of_events(expunged_week):
    """The expunge rewrote the rows of the week: their ids follow the order of their
    keys, so the order in which a day's first loans of each kind came is lost."""
    for model in STATISTICS:
        ids = list(model.objects.order_by("id").values_list("id", flat=True))
        by_key = list(
            model.objects.order_by(*counting.key_order(model), "id").values_list("id", flat=True)
        )
        assert ids == by_key, model.__name__


def test_the_statistics_add_up_to_the_week_and_survive_the_expunge(expunged_week):
    truth = expunged_week["truth"]
    assert _statistics() == expunged_week["before"]
    checkouts = CirculationDay.objects.aggregate(n=models.Sum("checkouts"))["n"]
    assert checkouts == len(truth["checkouts"])
    per_day_branch: dict[tuple, int] = {}
    per_title: dict[int, int] = {}
    for _, title_id, branch_id, when in truth["checkouts"]:
        key = (timezone.localdate(when), branch_id)
        per_day_branch[key] = per_day_branch.get(key, 0) + 1
        per_title[title_id] = per_title.get(title_id, 0) + 1
    for (day, branch_id), count in per_day_branch.items():
        counted = CirculationDay.objects.filter(day=day, branch_id=branch_id)
        assert counted.aggregate(n=models.Sum("checkouts"))["n"] == count
    for title_id, count in per_title.items():
        counted = TitleMonth.objects.filter(title_id=title_id)
        assert counted.aggregate(n=models.Sum("checkouts"))["n"] == count
    assert VisitCount.objects.aggregate(n=models.Sum("count"))["n"] == truth["visits"]
    assert ComputerUseDay.objects.aggregate(n=models.Sum("sessions"))["n"] == truth["sessions"]
    assert ComputerUseDay.objects.aggregate(n=models.Sum("minutes"))["n"] == 40 * truth["sessions"]
    assert HoldDay.objects.aggregate(n=models.Sum("placed"))["n"] == 1
    assert Program.objects.get(pk=expunged_week["program"].pk).attendance_count == 3
    charged = ChargeDay.objects.aggregate(
        c=models.Sum("amount_charged"), p=models.Sum("amount_paid")
    )
    assert charged["c"] == charged["p"] and charged["c"] > Decimal("0")
    assert sum(Item.objects.values_list("circulation_count", flat=True)) == checkouts


def test_no_session_holds_what_was_expunged(expunged_week):
    barcodes = expunged_week["truth"]["barcodes"]
    for session in Session.objects.all():
        text = repr(session.get_decoded())
        assert not any(barcode in text for barcode in barcodes)


@pytest.mark.postgres("xmin, the transaction stamp on every row, is PostgreSQL's")
@pytest.mark.django_db(transaction=True)
def test_no_kept_row_shares_a_transaction_with_a_patrons_row(expunged_week):
    """PostgreSQL stamps every row with the transaction that last wrote it (xmin). A copy
    or a statistics row written in the same transaction as the patron's own row would
    say which patron borrowed it; the expunge rewrites them in its own transaction."""

    def xmins(table: str, where: str = "TRUE") -> set[str]:
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT DISTINCT xmin::text FROM {table} WHERE {where}")  # noqa: S608
            return {row[0] for row in cursor.fetchall()}

    patron_side = xmins("patrons_patron") | xmins("auditlog_logentry", "additional_data ? 'patron'")
    for model in (Item, Program, *STATISTICS):
        shared = xmins(model._meta.db_table) & patron_side
        assert shared == set(), model.__name__
