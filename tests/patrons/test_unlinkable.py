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

import django.utils.timezone as tz
import pytest
from auditlog.models import LogEntry
from django.apps import apps
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.contrib.contenttypes.models import ContentType
from django.contrib.sessions.models import Session
from django.db import connection, models
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from circulation import services
from circulation.models import Branch, ComputerSession, Fine, Hold, Item, Loan, Program, VisitCount
from inventory import services as inventory
from inventory.models import InventoryScan, InventorySession
from patrons.models import Card, Patron
from patrons.signup import make_token, signup_apply, signup_collect, signup_confirm
from privacy import retention
from privacy.access_summary import access_days
from privacy.registry import registry
from sip2.server import Conversation
from staff.roles import CIRCULATION_STAFF
from stats import counting
from stats.models import ChargeDay, CirculationDay, ComputerUseDay, HoldDay, TitleMonth
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
from tests.sip2.conftest import INSTITUTION, Talk, make_terminal, patron_info
from tests.sip2.conftest import checkout as sip_checkout

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
    address = {"address_line1": "1 Field Place", "city": "Horsham", "postal_code": "RH12"}
    applicant = {"first_name": "Mary", "last_name": "Shelley", "email": "mary@example.org"}
    applicant |= {"birth_date": datetime.date(1997, 8, 30), **address}
    applied = signup_apply(
        details=applicant,
        actor=None,
        address="192.0.2.1",
        origin="http://testserver/",
        now=at(0, 9, 1, 1),
    )
    signup_confirm(token=make_token(applied), actor=None, now=at(0, 9, 20, 2))
    signup_collect(signup=applied, actor=clerk, now=at(1, 11, 3, 3), **applicant)
    signup_apply(
        actor=None,
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
        if day == 4:
            # Friday evening, a shelf check of Main finds a copy still on loan on the shelf and
            # checks it in from its report: a return at that moment, through the inventory.
            shelf_check = inventory.inventory_start(branch=main, actor=clerk, now=at(4, 17))
            for loan in Loan.objects.filter(returned_at__isnull=True, item__branch=main)[:1]:
                inventory.inventory_scan(
                    session=shelf_check, barcode=loan.item.barcode, actor=clerk, now=at(4, 17, 2, 7)
                )
                inventory.inventory_check_in(
                    session=shelf_check, item=loan.item, actor=clerk, now=at(4, 17, 3, 9)
                )
                truth["events"].extend([at(4, 17, 2, 7), at(4, 17, 3, 9)])
            inventory.inventory_close(session=shelf_check, actor=clerk, now=at(4, 18))
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
            "served",
            "month",
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
    # The expunge may generalise small cells (day -> month, the categories away): what
    # survives is the same totals, per branch and month.
    checkouts = CirculationDay.objects.aggregate(n=models.Sum("checkouts"))["n"]
    assert checkouts == len(truth["checkouts"])
    per_month_branch: dict[tuple, int] = {}
    for _, _title_id, branch_id, when in truth["checkouts"]:
        key = (timezone.localdate(when).replace(day=1), branch_id)
        per_month_branch[key] = per_month_branch.get(key, 0) + 1
    for (month, branch_id), count in per_month_branch.items():
        counted = CirculationDay.objects.filter(
            day__year=month.year, day__month=month.month, branch_id=branch_id
        )
        assert counted.aggregate(n=models.Sum("checkouts"))["n"] == count
    titles = TitleMonth.objects.aggregate(n=models.Sum("checkouts"))["n"]
    assert titles == len(truth["checkouts"])
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
    for model in (Item, Program, InventorySession, InventoryScan, *STATISTICS):
        shared = xmins(model._meta.db_table) & patron_side
        assert shared == set(), model.__name__


# -- the attacker, measured ------------------------------------------------------------------
#
# Before 2026-12-06, the access entries kept for a year said that a patron was served at the
# check-out desk of a branch at a minute; joined with the statistics (check-outs per day,
# branch, item type and patron category) and the patron's category, they named the
# borrower of every removed loan. Below, a busy week at two branches is played through
# the desk's pages, the portal, a self-check kiosk and the gate, at the week's own times;
# the expunge runs; then the attacker reads every row of every table of every installed
# app (ours, django-auditlog, django-axes, django-q, sessions), keeps what names a patron
# with a time and a place, and for each removed record counts the patrons they cannot
# tell apart from its borrower (docs/privacy.md, "The threat model").

CATEGORIES = ("adult", "child", "young_adult", "senior", "non_resident", "staff")
QUIET_DAY = 2  # Wednesday


class Clock:
    """The site's clock (django.utils.timezone.now), set to the moment being played."""

    def __init__(self, monkeypatch):
        self.moment = tz.now()
        monkeypatch.setattr(tz, "now", lambda: self.moment)

    def set(self, moment):
        self.moment = moment
        return moment


def _desk(client, branch, url):
    """Sign the clerk in at the clock's time (the week is not played in order: a session
    last used "tomorrow" is taken for idle) and choose the branch."""
    client.force_login(client.clerk)
    client.post(url, {"action": "branch", "branch": branch.pk})


def _played_week(monkeypatch):
    """Monday to Friday, seven weeks ago: Main is busy, East is small; on Wednesday only
    one senior and one child come to East. Returns what happened (the ground truth the
    attacker is measured against)."""
    clock = Clock(monkeypatch)
    real_now = clock.moment
    monday = timezone.localtime(real_now - 49 * DAY).replace(
        hour=0, minute=0, second=0, microsecond=0
    )
    monday -= monday.weekday() * DAY
    main = BranchFactory(code="MAIN", name="Main")
    east = BranchFactory(code="EAST", name="East")
    clerk = StaffUserFactory(username="busyclerk", last_login=LONG_AGO)
    clerk.groups.add(Group.objects.get_or_create(name=CIRCULATION_STAFF)[0])
    desk = Client()
    desk.clerk = clerk
    _kiosk, secret = make_terminal(
        main, "Self-check kiosk 1", "kiosk1", may_patron=True, may_circulate=True
    )
    talk = Talk()
    talk.conversation = Conversation("192.0.2.10", 4096)
    talk.login("kiosk1", secret)

    patrons = []
    for n in range(18):
        patron = PatronFactory(
            category_id=CATEGORIES[n % len(CATEGORIES)],
            registered_at=LONG_AGO,
            pin_changed_at=LONG_AGO,
            last_activity_at=LONG_AGO,
            card_expires_on=(monday + 900 * DAY).date(),
        )
        CardFactory(patron=patron, number=f"2123455550{n:04d}", issued_at=LONG_AGO)
        patrons.append(patron)
    senior = next(p for p in patrons if p.category_id == "senior")
    child = next(p for p in patrons if p.category_id == "child")
    regulars_east = [p for p in patrons[12:] if p not in (senior, child)]
    regulars_main = [p for p in patrons[:12] if p not in (senior, child)]
    titles = [TitleFactory(title=f"Busy Title {n}", created_at=LONG_AGO) for n in range(20)]
    items = {
        branch.pk: [
            ItemFactory(
                title=titles[n % 20],
                branch=branch,
                barcode=f"39997777{branch.pk:02d}{n:04d}",
                added_at=LONG_AGO,
                item_type=("book", "dvd")[n % 2],
            )
            for n in range(70)
        ]
        for branch in (main, east)
    }
    truth = []  # (kind, patron id, branch id, moment)

    def at(day, hour, minute=0):
        return monday + day * DAY + datetime.timedelta(hours=hour, minutes=minute, seconds=13)

    def card_of(patron):
        return patron.cards.get().number

    def checkout(patron, branch, item, when):
        clock.set(when)
        _desk(desk, branch, reverse("admin:circulation_checkout"))
        url = reverse("admin:circulation_checkout")
        desk.post(url, {"action": "card", "card_number": card_of(patron)})
        desk.post(url, {"action": "item", "barcode": item.barcode})
        assert desk.get(url).status_code == 200
        desk.post(url, {"action": "done"})
        assert Loan.objects.filter(item=item, patron=patron, returned_at__isnull=True).exists()
        truth.append(("loan", patron.pk, branch.pk, when))

    def checkin(item, branch, when, patron):
        clock.set(when)
        _desk(desk, branch, reverse("admin:circulation_checkin"))
        response = desk.post(
            reverse("admin:circulation_checkin"), {"action": "item", "barcode": item.barcode}
        )
        assert not Loan.objects.filter(item=item, returned_at__isnull=True).exists(), (
            response.status_code,
            desk.get(reverse("admin:circulation_checkin")).content.decode()[-3000:],
        )
        truth.append(("return", patron.pk, branch.pk, when))

    shelf_checks = {}

    def shelf_checkin(item, branch, when, patron):
        """The copy is found on the shelf during a shelf check and checked in from its
        report (the inventory's page, which calls the desk's check-in)."""
        clock.set(when)
        _desk(desk, branch, reverse("admin:circulation_checkin"))
        if branch.pk not in shelf_checks:
            desk.post(
                reverse("admin:inventory_inventory"), {"action": "start", "branch": branch.pk}
            )
            shelf_checks[branch.pk] = InventorySession.objects.get(branch=branch, status="open")
        session = shelf_checks[branch.pk]
        url = f"{reverse('admin:inventory_inventory_session')}?session={session.pk}"
        desk.post(url, {"session": session.pk, "action": "scan", "barcode": item.barcode})
        desk.post(url, {"session": session.pk, "action": "check_in", "item": item.pk})
        assert not Loan.objects.filter(item=item, returned_at__isnull=True).exists()
        truth.append(("return", patron.pk, branch.pk, when))

    def computer(patron, branch, when, minutes):
        clock.set(when)
        url = reverse("admin:circulation_visits")
        _desk(desk, branch, url)
        desk.post(
            url,
            {"action": "start", "card_number": card_of(patron), "workstation": f"PC-{patron.pk}"},
        )
        session = ComputerSession.objects.get(patron=patron, ended_at__isnull=True)
        desk.get(url)
        clock.set(when + datetime.timedelta(minutes=minutes))
        desk.post(url, {"action": "end", "session": session.pk})
        truth.append(("computer_session", patron.pk, branch.pk, when))

    def visit(patron, branch, when):
        clock.set(when)
        services.visit_record(card_number=card_of(patron), branch=branch, actor=clerk)
        truth.append(("visit", patron.pk, branch.pk, when))

    def pay(patron, branch, when):
        clock.set(when)
        url = reverse("admin:circulation_payment")
        _desk(desk, branch, url)
        desk.post(url, {"action": "card", "card_number": card_of(patron)})
        desk.get(url)
        for fine in Fine.objects.filter(patron=patron):
            desk.post(
                url,
                {"action": "pay", "fine": fine.pk, "amount": str(fine.amount), "method": "cash"},
            )
        desk.post(url, {"action": "done"})
        truth.append(("payment", patron.pk, branch.pk, when))

    def portal_hold(patron, branch, when, title):
        clock.set(when)
        portal = Client()
        portal.post(reverse("portal:login"), {"card_number": card_of(patron), "pin": DEFAULT_PIN})
        portal.get(reverse("portal:account"))
        portal.post(reverse("portal:hold_place"), {"title": title.pk, "pickup_branch": branch.pk})
        hold = Hold.objects.get(patron=patron, title=title)
        clock.set(when + datetime.timedelta(minutes=6))
        portal.post(reverse("portal:hold_cancel"), {"hold": hold.pk})
        hold.refresh_from_db()
        assert hold.status == Hold.Status.CANCELLED, hold.status
        truth.append(("hold", patron.pk, branch.pk, when))

    def kiosk_checkout(patron, item, when):
        clock.set(when)
        patron_info(talk, card=card_of(patron))
        sip_checkout(talk, item.barcode, card=card_of(patron))
        assert Loan.objects.filter(item=item, patron=patron, returned_at__isnull=True).exists()
        truth.append(("loan", patron.pk, main.pk, when))

    assert INSTITUTION
    used = {main.pk: 0, east.pk: 0}

    def next_item(branch):
        item = items[branch.pk][used[branch.pk]]
        used[branch.pk] += 1
        return item

    lent = []  # (patron, item, branch, day)
    for day in range(5):
        quiet = day == QUIET_DAY
        east_today = [senior, child] if quiet else [*regulars_east, senior if day % 2 else child]
        main_today = regulars_main if day % 2 == 0 else [*regulars_main, senior, child]
        for n, patron in enumerate(main_today):
            visit(patron, main, at(day, 9, n))
            if n == 0:
                kiosk_checkout(patron, next_item(main), at(day, 10, 3))
            else:
                item = next_item(main)
                checkout(patron, main, item, at(day, 10 + n % 7, 4 * n))
                lent.append((patron, item, main, day))
            if (n + day) % 3 == 0:
                computer(patron, main, at(day, 14, n), 31)
        for n, patron in enumerate(east_today):
            visit(patron, east, at(day, 9, 30 + n))
            item = next_item(east)
            checkout(patron, east, item, at(day, 11, 10 * n + 1))
            lent.append((patron, item, east, day))
            if quiet or n == 0:
                computer(patron, east, at(day, 15, n), 31)
        if day == 1:
            portal_hold(regulars_main[0], east, at(day, 20), titles[19])
            portal_hold(child, east, at(day, 21), titles[18])
    # Returns: the next working day at the same branch, four of them late (a fine, paid
    # at the desk when returned).
    returns = []
    for number, (patron, item, branch, day) in enumerate(lent):
        # Nothing comes back to East on its quiet day: only the senior and the child come.
        later = 2 if (day + 1 == QUIET_DAY and branch == east) else 1
        when = at(day + later, 16, item.pk % 50)
        if number % 9 == 0:
            when += 24 * DAY
        returns.append((when, patron, item, branch))
    for loan in Loan.objects.filter(returned_at__isnull=True).exclude(
        item__in=[item for _, _, item, _ in returns]
    ):
        returns.append((at(5, 10), loan.patron, loan.item, main))
    # Played in the order of time, as the patron's last activity expects.
    # Every seventh copy is found on the shelf by a shelf check and checked in there.
    for number, (when, patron, item, branch) in enumerate(sorted(returns, key=lambda r: r[0])):
        (shelf_checkin if number % 7 == 3 else checkin)(item, branch, when, patron)
        if Fine.objects.filter(patron=patron).exists():
            pay(patron, branch, when + datetime.timedelta(minutes=2))
    clock.set(real_now)
    return {"patrons": patrons, "branches": (main, east), "truth": truth, "clerk": clerk}


def _tables():
    """Every model of every installed app that has a table of its own."""
    return [m for m in apps.get_models() if m._meta.managed and not m._meta.proxy]


def _local_day(moment) -> datetime.date:
    return timezone.localtime(moment).date()


def _month(day: datetime.date) -> datetime.date:
    return day.replace(day=1)


def _kept_traces(branches) -> dict[int, set]:
    """What every kept row says about a patron: {patron id: {(granularity, date, branch
    id or None)}}. Every model of every installed app is read; a row names a patron by a
    key to the patron or a card, a card number in any text, a patron id in an audit
    entry's data or in a session's data; its times are every date and time it holds, and
    its place is any branch it points at or names."""
    patron_type = ContentType.objects.get_for_model(Patron)
    cards = dict(Card.objects.values_list("number", "patron_id"))
    alive = set(Patron.objects.values_list("pk", flat=True))
    branch_words = {}
    for branch in Branch.objects.all():
        branch_words[branch.name] = branch.pk
        branch_words[branch.code] = branch.pk
    traces: dict[int, set] = {pk: set() for pk in alive}

    def walk(value, found):
        if isinstance(value, dict):
            for key, inner in value.items():
                if "patron" in str(key) and isinstance(inner, int) and inner in alive:
                    found["patrons"].add(inner)
                if key == "month" and isinstance(inner, str):
                    found["months"].add(datetime.date.fromisoformat(inner + "-01"))
                walk(inner, found)
        elif isinstance(value, list | tuple | set):
            for inner in value:
                walk(inner, found)
        elif isinstance(value, str):
            for number, patron_id in cards.items():
                if number in value:
                    found["patrons"].add(patron_id)
            if value in branch_words:
                found["branches"].add(branch_words[value])

    for model in _tables():
        fields = model._meta.concrete_fields
        for row in model._base_manager.all():
            found = {"patrons": set(), "branches": set(), "months": set()}
            times = []
            if model is Patron:
                found["patrons"].add(row.pk)
            for field in fields:
                value = getattr(row, field.attname)
                if value is None:
                    continue
                if field.is_relation and field.related_model is Patron:
                    found["patrons"].add(value)
                elif field.is_relation and field.related_model is Card:
                    found["patrons"].add(Card.objects.get(pk=value).patron_id)
                elif field.is_relation and field.related_model is Branch:
                    found["branches"].add(value)
                elif isinstance(field, models.DateTimeField):
                    times.append(("day", _local_day(value)))
                elif isinstance(field, models.DateField):
                    times.append(("month" if "month" in field.name else "day", value))
                else:
                    walk(value, found)
            # A row about any object (django-auditlog's entries, the admin's own log): a
            # patron when its content type is the patron's.
            if getattr(row, "content_type_id", None) == patron_type.pk:
                for name in ("object_pk", "object_id"):
                    value = getattr(row, name, None)
                    if value is not None and str(value).isdigit():
                        found["patrons"].add(int(value))
            if model is Session:
                walk(row.get_decoded(), found)
            if not found["patrons"]:
                continue
            if found["months"]:  # an entry reduced to its month says the month, not a day
                times = [("month", month) for month in found["months"]]
            places = found["branches"] or {None}
            for patron_id in found["patrons"] & alive:
                for granularity, day in times:
                    for place in places:
                        traces[patron_id].add((granularity, day, place, model._meta.label))
    return traces


def _active_since(last_activity, day) -> bool:
    """Whether the patron's last activity, as kept, may be on or after `day` (a first of
    the month at midnight may stand for its month)."""
    if last_activity is None:
        return True
    last = _local_day(last_activity)
    return last >= day or (last.day == 1 and last == _month(day))


def _categorised_cells():
    """The kept tables that count events per patron category (and day or month, and
    branch): {model: [(date field, category field, branch field or None)]}."""
    found = {}
    for model in _tables():
        if registry.for_model(model) is not None or model in (Patron, LogEntry):
            continue
        fields = model._meta.concrete_fields
        category = [f for f in fields if "category" in f.name]
        dates = [f for f in fields if isinstance(f, models.DateField)]
        if not category or not dates:
            continue
        branch = [f for f in fields if f.is_relation and f.related_model is Branch]
        found[model] = (dates[0], category[0], branch[0] if branch else None)
    return found


def anonymity_sets(week) -> list[dict]:
    """For each removed record: the patrons the attacker cannot tell apart from its
    borrower, and the floor the threat model promises (k, or the patrons who used that
    branch that month where they are fewer)."""
    k = getattr(settings_module(), "CALUMET_ANONYMITY_K", 5)
    main, east = week["branches"]
    names = {main.pk: "Main", east.pk: "East"}
    traces = _kept_traces((main, east))
    patrons = {p.pk: p for p in Patron.objects.all()}
    cells = _categorised_cells()
    used: dict[tuple, set] = {}
    for _kind, patron_id, branch_id, when in week["truth"]:
        used.setdefault((branch_id, _month(_local_day(when))), set()).add(patron_id)
    results = []
    for kind, patron_id, branch_id, when in week["truth"]:
        day = _local_day(when)
        # Who could it be at all: registered then, active on or after that day, and of a
        # category the kept counts of that day and branch allow.
        possible = {
            pk
            for pk, p in patrons.items()
            if p.registered_at <= when and _active_since(p.last_activity_at, day)
        }
        allowed_by = None
        if kind in ("loan", "return"):
            allowed = None
            for model, (date_field, category_field, branch_field) in cells.items():
                rows = model._base_manager.all()
                if "month" in date_field.name:
                    rows = rows.filter(**{date_field.name: _month(day)})
                else:
                    rows = rows.filter(**{date_field.name: day})
                if branch_field is not None:
                    rows = rows.filter(**{branch_field.attname: branch_id})
                # The row that counted it, if its category is kept: the record is one of
                # that row's events, so its borrower is of that category.
                if rows.filter(**{category_field.attname: patrons[patron_id].category_id}):
                    allowed = {patrons[patron_id].category_id}
            if allowed is not None:
                restricted = {pk for pk in possible if patrons[pk].category_id in allowed}
                if restricted != possible:
                    allowed_by = ", ".join(sorted(m._meta.label for m in cells))
                possible = restricted
        # Whom the kept rows put there: that day at that branch (or at no branch), else
        # that month; the attacker looks first at the patrons with such a trace.
        on_day = {
            pk
            for pk in possible
            if any(g == "day" and d == day and b in (None, branch_id) for g, d, b, _ in traces[pk])
        }
        in_month = {
            pk
            for pk in possible
            if any(_month(d) == _month(day) and b in (None, branch_id) for _, d, b, _ in traces[pk])
        }
        if patron_id in on_day:
            suspects, evidence = on_day, "the day"
            sources = {
                s
                for g, d, b, s in traces[patron_id]
                if g == "day" and d == day and b in (None, branch_id)
            }
        elif patron_id in in_month:
            suspects, evidence = in_month, "the month"
            sources = {
                s
                for _, d, b, s in traces[patron_id]
                if _month(d) == _month(day) and b in (None, branch_id)
            }
        else:
            suspects, evidence, sources = possible, "nothing", set()
        if allowed_by is not None:
            sources.add(f"the categories of {allowed_by}")
        floor = min(k, len(used[(branch_id, _month(day))]))
        results.append(
            {
                "record": f"{kind} of patron #{patron_id} at {names[branch_id]} on {day}",
                "set": len(suspects),
                "floor": floor,
                "evidence": evidence,
                "found_by": sorted(sources),
            }
        )
    return results


def settings_module():
    return settings


@pytest.fixture
def busy_week(monkeypatch, settings):
    settings.CALUMET_AUDIT_REPEAT_MINUTES = 5
    week = _played_week(monkeypatch)
    retention.expunge(now=timezone.now())
    return week


def test_every_removed_record_hides_among_k_patrons(busy_week):
    """The measure of docs/privacy.md: after the expunge, for every removed loan, return,
    fine payment, hold, visit and computer session of the week, the attacker who joins
    every kept table with every other cannot tell its borrower from at least k patrons
    (or all the patrons who used that branch that month, where they are fewer)."""
    for kind in registry:
        if kind.name in ("patron", "card"):
            continue
        assert not kind.all().exists(), kind.name
    results = anonymity_sets(busy_week)
    assert len(results) > 60
    exposed = [r for r in results if r["set"] < r["floor"]]
    assert exposed == [], "\n".join(
        f"{r['record']}: {r['set']} < {r['floor']} (by {r['evidence']}: {r['found_by']})"
        for r in exposed
    )


def test_the_patron_still_sees_who_served_them_and_every_look(busy_week, librarian_client):
    """After the expunge the patron's page says, for the month, that staff served them at
    the desk; a look at their record outside a transaction keeps its day and reader."""
    patron = busy_week["patrons"][1]
    librarian_client.get(reverse("admin:patrons_patron_change", args=[patron.pk]))
    days = access_days(patron, 365)
    months = [d for d in days if d.get("month")]
    assert any("served you at the desk" in line["what"] for d in months for line in d["lines"])
    today = [d for d in days if not d.get("month") and d["day"] == timezone.localdate()]
    assert today and any("opened" in line["what"] for line in today[0]["lines"]), days
