"""Demo data for `manage.py seed_demo`: a small library with a day's worth of records.

Everything here is made up (the names and titles are in `calumet/demo_data.py`); the two
demo cards are in the README. Weeks of history are written as the services would have
written them then (through the services, every backdated return would assess a fine):
due dates and pickup deadlines from the library calendar (`calumet/demo_calendar.py`),
fines by the same rule, statistics as the services count them.
"""

import datetime
import random
from dataclasses import dataclass
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from calumet.demo_accounts import ensure_staff, ensure_terminals
from calumet.demo_calendar import ensure_calendar, open_day
from calumet.demo_data import (
    BRANCHES,
    CLASSICS,
    DEMO_CARDS,
    FORMS,
    GIVEN,
    SPANISH_CLASSICS,
    STREETS,
    SUBJECTS,
    SURNAMES,
)
from circulation import signals
from circulation.models import (
    Branch,
    ComputerSession,
    Fine,
    Hold,
    Item,
    Loan,
    Program,
    ProgramRegistration,
    Title,
    Visit,
)
from circulation.models.calendar import BranchCalendar, end_of_open_day
from circulation.models.policy import library_policy
from circulation.selectors.charges import overdue_fine_amount
from patrons.models import Card, Patron, PatronBlock
from patrons.services import reading_history_set

DAY = datetime.timedelta(days=1)


@dataclass
class DemoResult:
    created: bool
    titles: int
    items: int
    patrons: int


def seed(*, now: datetime.datetime | None = None) -> DemoResult:
    """Create the demo library once; a second call only refreshes the staff users and the
    SIP2 terminals' secret, and adds what is missing from the calendar (a demo loaded before
    the branches had opening hours gets them; its records keep their dates)."""
    ensure_staff()
    if Card.objects.filter(number=DEMO_CARDS[0][0]).exists():
        ensure_terminals()
        ensure_calendar(timezone.localdate(now or timezone.now()))
        return DemoResult(False, Title.objects.count(), 0, Patron.objects.count())
    with transaction.atomic():
        result = _Demo(now or timezone.now()).create()
        ensure_terminals()
        return result


class _Demo:
    """Builds the demo library, one part at a time, from a fixed random seed."""

    def __init__(self, now: datetime.datetime) -> None:
        self.rng = random.Random(1871)  # the year of the Great Chicago Fire
        self.now = now
        self.local_now = timezone.localtime(now)
        self.clerk = get_user_model().objects.get(username="clerk")

    def create(self) -> DemoResult:
        self.branches = [
            Branch.objects.create(code=code, name=name, address=address)
            for code, name, address in BRANCHES
        ]
        self.main, self.east, self.river = self.branches
        ensure_calendar(self.local_now.date())
        self.calendars = {branch.pk: BranchCalendar(branch.pk) for branch in self.branches}
        self.catalog()
        self.avery = self.patron("Avery", "Lindqvist", DEMO_CARDS[0][0], DEMO_CARDS[0][1])
        self.jordan = self.patron(
            "Jordan", "Achebe", DEMO_CARDS[1][0], DEMO_CARDS[1][1], home_branch=self.east
        )
        self.demo_cards()
        self.programs()
        self.everyday_patrons()
        self.past_retention()
        self.visits_and_computers()
        return DemoResult(True, len(self.titles), len(self.items), Patron.objects.count())

    # -- the catalog: 60 classics, 160 practical titles, 12 in Spanish; 1-3 copies each --

    def catalog(self) -> None:
        rng = self.rng
        specs = [(t, a, y, Title.Audience.ADULT, "eng") for t, a, y in CLASSICS]
        for form in FORMS:
            # Who each kind of practical book is for (the survey counts children's
            # circulation by the material's audience).
            audience = {
                "The Little Book of {s}": Title.Audience.CHILDREN,
                "{s} for Everyone": Title.Audience.YOUNG_ADULT,
            }.get(form, Title.Audience.ADULT)
            for subject in SUBJECTS[:16]:
                author = f"{rng.choice(SURNAMES)}, {rng.choice(GIVEN)}"
                specs.append(
                    (form.format(s=subject), author, rng.randint(1985, 2025), audience, "eng")
                )
        specs += [(t, a, y, Title.Audience.ADULT, "spa") for t, a, y in SPANISH_CLASSICS]
        self.titles = Title.objects.bulk_create(
            Title(
                title=title,
                author=author,
                language=language,
                publication_year=year,
                audience=audience,
                isbn=f"978{1000000000 + n:010d}"[:13] if year > 1970 else "",
                call_number=("FIC " + author.split(",")[0].upper())
                if year < 1930
                else f"{600 + n % 300}",
            )
            for n, (title, author, year, audience, language) in enumerate(specs)
        )
        items = []
        barcode = 31234000000000
        for n, title in enumerate(self.titles):
            for copy in range(1 + n % 3):
                barcode += 1
                items.append(
                    Item(
                        title=title,
                        barcode=str(barcode),
                        branch=self.branches[(n + copy) % 3],
                        item_type=Item.ItemType.BOOK if n % 11 else Item.ItemType.AUDIOBOOK,
                        call_number=title.call_number,
                        price=Decimal("24.95"),
                    )
                )
        self.items = Item.objects.bulk_create(items)
        self.free = list(self.items)
        rng.shuffle(self.free)

    def take_item(self) -> Item:
        return self.free.pop()

    # -- records, made as the services would have made them --------------------------------

    def patron(self, first, last, card_number, pin, **extra) -> Patron:
        rng, now = self.rng, self.now
        patron = Patron(
            first_name=first,
            last_name=last,
            email=f"{first.lower()}.{last.lower()}@example.org".replace("'", ""),
            phone=f"(773) 555-{rng.randint(1000, 9999)}",
            address_line1=f"{rng.randint(100, 9999)} {rng.choice(STREETS)}",
            city="Chicago",
            postal_code="60617",
            birth_date=datetime.date(
                rng.randint(1945, 2005), rng.randint(1, 12), rng.randint(1, 28)
            ),
            home_branch=extra.pop("home_branch", self.main),
            card_expires_on=extra.pop("card_expires_on", (now + 700 * DAY).date()),
            registered_at=extra.pop("registered_at", now - rng.randint(200, 3000) * DAY),
            last_activity_at=_day_of(now - rng.randint(0, 30) * DAY),
            **extra,
        )
        patron.set_pin(pin)
        patron.save()
        Card.objects.create(patron=patron, number=card_number, issued_at=patron.registered_at)
        return patron

    def end_of_open_day(self, start, days: int, branch_id: int) -> datetime.datetime:
        """A due date or pickup deadline, as the services set them."""
        calendar = self.calendars[branch_id]
        return end_of_open_day(start=start, days=days, branch_id=branch_id, calendar=calendar)

    def loan(self, patron, item, *, out_days_ago, returned_days_ago=None, period=21) -> Loan:
        checked_out = self.now - out_days_ago * DAY
        record = Loan.objects.create(
            item=item,
            patron=patron,
            branch=item.branch,
            checked_out_at=checked_out,
            due_at=self.end_of_open_day(checked_out, period, item.branch_id),
            returned_at=None if returned_days_ago is None else self.now - returned_days_ago * DAY,
            checked_out_by=self.clerk,
        )
        item.status = Item.Status.ON_LOAN if returned_days_ago is None else Item.Status.AVAILABLE
        item.save(update_fields=["status"])
        signals.checkout(
            item=item, branch_id=item.branch_id, patron_category=patron.category_id, now=checked_out
        )
        if record.returned_at is not None:
            signals.checkin(
                item=item,
                branch_id=item.branch_id,
                patron_category=patron.category_id,
                now=record.returned_at,
            )
        return record

    def fine(self, patron, loan, *, paid_after=None) -> Fine:
        """The overdue fine the return assessed (the branch's open days late, by the
        circulation rules)."""
        amount = overdue_fine_amount(loan=loan, returned_at=loan.returned_at)
        fine = Fine.objects.create(
            patron=patron,
            loan=loan,
            reason=Fine.Reason.OVERDUE,
            amount=amount,
            amount_paid=amount if paid_after else Decimal("0.00"),
            assessed_at=loan.returned_at,
            settled_at=loan.returned_at + paid_after if paid_after else None,
        )
        signals.charge(reason=fine.reason, now=fine.assessed_at, charged=fine.amount)
        if paid_after:
            signals.charge(reason=fine.reason, now=fine.settled_at, paid=fine.amount)
        return fine

    def hold(self, **fields) -> Hold:
        hold = Hold.objects.create(**fields)
        signals.hold_event(branch_id=hold.pickup_branch_id, event="placed", now=hold.placed_at)
        if hold.status == Hold.Status.CANCELLED:
            signals.hold_event(
                branch_id=hold.pickup_branch_id, event="cancelled", now=hold.closed_at
            )
        return hold

    # -- the library's people and their day ------------------------------------------------

    def demo_cards(self) -> None:
        """Avery: two loans on time, one overdue, a hold waiting on the shelf, an unpaid
        fine on a returned loan (which keeps that loan active), a program sign-up. Jordan:
        other loans; Avery also waits in the queue for one of Jordan's books."""
        avery, jordan, now = self.avery, self.jordan, self.now
        self.loan(avery, self.take_item(), out_days_ago=5)
        self.loan(avery, self.take_item(), out_days_ago=12)
        self.loan(avery, self.take_item(), out_days_ago=30)  # due a week or more ago
        late = self.loan(avery, self.take_item(), out_days_ago=40, returned_days_ago=10)
        self.fine(avery, late)
        shelf_item = self.take_item()
        shelf_item.status = Item.Status.ON_HOLD_SHELF
        shelf_item.save(update_fields=["status"])
        self.hold(
            title=shelf_item.title,
            patron=avery,
            pickup_branch=shelf_item.branch,
            placed_at=now - 8 * DAY,
            status=Hold.Status.WAITING,
            item=shelf_item,
            # Trapped two days ago (or fewer): on the shelf for the pickup days, to an open day.
            pickup_by=self.end_of_open_day(
                now - min(2, library_policy().hold_pickup_days) * DAY,
                library_policy().hold_pickup_days,
                shelf_item.branch_id,
            ),
        )
        self.loan(jordan, self.take_item(), out_days_ago=3)
        jordan_loan = self.loan(jordan, self.take_item(), out_days_ago=15, period=28)
        self.hold(
            title=jordan_loan.item.title,
            patron=avery,
            pickup_branch=self.main,
            placed_at=now - 2 * DAY,
        )

    def programs(self) -> None:
        """Two coming up, one past (its sign-ups are closed records)."""
        local_now = self.local_now

        def at(day, hour, minute=0):
            return day.replace(hour=hour, minute=minute, second=0, microsecond=0)

        saturday = open_day(self.calendars[self.main.pk], local_now + DAY, {5})
        # An evening at Eastside, open until 7 p.m. on weekdays.
        workshop = open_day(self.calendars[self.east.pk], local_now + 9 * DAY, range(5))
        self.story_time = Program.objects.create(
            name="Saturday Story Time",
            description="Stories and songs for ages 3–6 and their grown-ups.",
            branch=self.main,
            starts_at=at(saturday, 10, 30),
            ends_at=at(saturday, 11, 30),
            capacity=25,
            audience=Program.Audience.CHILDREN_0_5,
        )
        self.resume = Program.objects.create(
            name="Résumé Workshop",
            description="Bring a draft; leave with a stronger résumé.",
            branch=self.east,
            starts_at=at(workshop, 17),
            ends_at=at(workshop, 18, 30),
            capacity=12,
            registration_count=1,
            audience=Program.Audience.ADULT,
        )
        self.past_program = Program.objects.create(
            name="Lakefront Birding Walk",
            branch=self.river,
            starts_at=at(local_now - 6 * DAY, 8),
            ends_at=at(local_now - 6 * DAY, 10),
            capacity=15,
        )
        ProgramRegistration.objects.create(
            program=self.resume, patron=self.avery, registered_at=self.now - DAY
        )

    def everyday_patrons(self) -> None:
        """A few dozen more patrons with ordinary activity; one keeps a reading history."""
        rng = self.rng
        self.others = []
        for n in range(3, 41):
            patron = self.patron(
                GIVEN[n % len(GIVEN)],
                SURNAMES[(n * 7) % len(SURNAMES)],
                f"21234{n:09d}",
                f"{rng.randint(0, 9999):04d}",
                home_branch=self.branches[n % 3],
                category_id=rng.choice(list(Patron.Category.values)),
            )
            self.others.append(patron)
            for _ in range(rng.randint(0, 3)):
                self.loan(patron, self.take_item(), out_days_ago=rng.randint(1, 25))
        reader = self.others[0]
        reading_history_set(patron=reader, keep=True, actor=reader)  # in the portal
        for days_ago in (60, 45, 20):
            self.loan(
                reader, self.take_item(), out_days_ago=days_ago, returned_days_ago=days_ago - 14
            )

    def past_retention(self) -> None:
        """Closed records already past retention, so the next expunge has work to do,
        and a registration whose card expired three years ago with no activity since."""
        rng, now, others = self.rng, self.now, self.others
        gone = self.patron(
            "Morgan",
            "Ellery",
            "21234000000099",
            "8642",
            card_expires_on=(now - 1100 * DAY).date(),
            registered_at=now - 3000 * DAY,
        )
        Patron.objects.filter(pk=gone.pk).update(last_activity_at=_day_of(now - 1100 * DAY))
        for patron in (self.jordan, *others[1:12]):
            for _ in range(2):
                self.loan(
                    patron,
                    self.take_item(),
                    out_days_ago=rng.randint(20, 60),
                    returned_days_ago=rng.randint(2, 15),
                )
        paid_loan = self.loan(others[2], self.take_item(), out_days_ago=50, returned_days_ago=20)
        self.fine(others[2], paid_loan, paid_after=DAY)
        self.hold(
            title=self.titles[5],
            patron=self.jordan,
            pickup_branch=self.east,
            placed_at=now - 12 * DAY,
            status=Hold.Status.CANCELLED,
            closed_at=now - 3 * DAY,
        )
        for patron in others[3:9]:
            ProgramRegistration.objects.create(
                program=self.past_program,
                patron=patron,
                registered_at=now - 10 * DAY,
                attended=True,
            )
        Program.objects.filter(pk=self.past_program.pk).update(
            registration_count=6, attendance_count=6
        )
        PatronBlock.objects.create(
            patron=others[4],
            reason=PatronBlock.Reason.BEHAVIOUR,
            note="Suspended for one week.",
            starts_at=now - 20 * DAY,
            ends_at=now - 13 * DAY,
            created_by=self.clerk,
        )

    def visits_and_computers(self) -> None:
        rng, now = self.rng, self.now
        for patron in [self.avery, self.jordan, *self.others]:
            for _ in range(rng.randint(0, 3)):
                when = (
                    now - rng.randint(1, 3) * DAY - datetime.timedelta(minutes=rng.randint(0, 600))
                )
                branch = rng.choice(self.branches)
                Visit.objects.create(patron=patron, branch=branch, visited_at=when)
                signals.visit(branch_id=branch.pk, now=when)
        for n, patron in enumerate([self.jordan, *self.others[5:15]]):
            start = now - DAY - datetime.timedelta(hours=n)
            session = ComputerSession.objects.create(
                patron=patron,
                branch=self.branches[n % 3],
                workstation=f"PC-{n % 6 + 1:02d}",
                started_at=start,
                ended_at=start + datetime.timedelta(minutes=45),
            )
            signals.computer_use(
                branch_id=session.branch_id,
                started_at=session.started_at,
                ended_at=session.ended_at,
            )
        # Someone is on a computer right now: an active session the expunge must not touch.
        ComputerSession.objects.create(
            patron=self.others[20],
            branch=self.main,
            workstation="PC-01",
            started_at=now - datetime.timedelta(minutes=20),
        )


def _day_of(moment: datetime.datetime) -> datetime.datetime:
    """The start of the local month: the registration keeps only the month of the last
    activity."""
    local = timezone.localtime(moment)
    return local.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
