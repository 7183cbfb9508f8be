"""Demo data for `manage.py seed_demo`: a small library with a day's worth of records.

Everything here is made up. The two demo cards are documented in the README.
"""

import datetime
import random
from dataclasses import dataclass
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import transaction
from django.utils import timezone

from circulation import counting
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
from patrons.models import Card, Patron, PatronBlock
from patrons.roles import CIRCULATION_STAFF, LIBRARIAN, LIBRARY_ADMINISTRATOR
from patrons.services import reading_history_set

DEMO_PASSWORD = "calumet-demo"  # noqa: S105 - published demo credential
DEMO_CARDS = (
    # card number, PIN, what the card shows
    (
        "21234000000001",
        "2468",
        "current loans (one overdue), a hold on the shelf, a fine, a program",
    ),
    ("21234000000002", "1357", "other current loans"),
)
STAFF = (
    ("director", "Dana", "Okafor", LIBRARY_ADMINISTRATOR),
    ("librarian", "Luis", "Ferreira", LIBRARIAN),
    ("clerk", "Casey", "Morgan", CIRCULATION_STAFF),
)

BRANCHES = (
    ("main", "Central Library", "100 Calumet Avenue", "Mon–Sat 9 am–8 pm, Sun 1–5 pm"),
    ("east", "Eastside Branch", "2400 East 106th Street", "Mon–Fri 10 am–7 pm, Sat 10 am–4 pm"),
    ("river", "Riverside Branch", "15 Harbor Drive", "Tue–Sat 10 am–6 pm"),
)

# Public-domain classics, so the demo catalog reads like a real one.
CLASSICS = (
    ("Pride and Prejudice", "Austen, Jane", 1813),
    ("Emma", "Austen, Jane", 1815),
    ("Persuasion", "Austen, Jane", 1817),
    ("Middlemarch", "Eliot, George", 1871),
    ("Silas Marner", "Eliot, George", 1861),
    ("Great Expectations", "Dickens, Charles", 1861),
    ("Bleak House", "Dickens, Charles", 1853),
    ("A Tale of Two Cities", "Dickens, Charles", 1859),
    ("Moby-Dick", "Melville, Herman", 1851),
    ("The Scarlet Letter", "Hawthorne, Nathaniel", 1850),
    ("Little Women", "Alcott, Louisa May", 1868),
    ("The Adventures of Huckleberry Finn", "Twain, Mark", 1884),
    ("The Adventures of Tom Sawyer", "Twain, Mark", 1876),
    ("Jane Eyre", "Brontë, Charlotte", 1847),
    ("Wuthering Heights", "Brontë, Emily", 1847),
    ("Frankenstein", "Shelley, Mary", 1818),
    ("Dracula", "Stoker, Bram", 1897),
    ("The Picture of Dorian Gray", "Wilde, Oscar", 1890),
    ("The Importance of Being Earnest", "Wilde, Oscar", 1895),
    ("Adventures of Sherlock Holmes", "Doyle, Arthur Conan", 1892),
    ("The Hound of the Baskervilles", "Doyle, Arthur Conan", 1902),
    ("The Time Machine", "Wells, H. G.", 1895),
    ("The War of the Worlds", "Wells, H. G.", 1898),
    ("Twenty Thousand Leagues Under the Seas", "Verne, Jules", 1870),
    ("Around the World in Eighty Days", "Verne, Jules", 1872),
    ("The Count of Monte Cristo", "Dumas, Alexandre", 1844),
    ("The Three Musketeers", "Dumas, Alexandre", 1844),
    ("Les Misérables", "Hugo, Victor", 1862),
    ("Anna Karenina", "Tolstoy, Leo", 1878),
    ("War and Peace", "Tolstoy, Leo", 1869),
    ("Crime and Punishment", "Dostoevsky, Fyodor", 1866),
    ("The Brothers Karamazov", "Dostoevsky, Fyodor", 1880),
    ("Madame Bovary", "Flaubert, Gustave", 1857),
    ("The Awakening", "Chopin, Kate", 1899),
    ("The Jungle", "Sinclair, Upton", 1906),
    ("My Ántonia", "Cather, Willa", 1918),
    ("O Pioneers!", "Cather, Willa", 1913),
    ("The Age of Innocence", "Wharton, Edith", 1920),
    ("The House of Mirth", "Wharton, Edith", 1905),
    ("Sister Carrie", "Dreiser, Theodore", 1900),
    ("The Call of the Wild", "London, Jack", 1903),
    ("White Fang", "London, Jack", 1906),
    ("Winesburg, Ohio", "Anderson, Sherwood", 1919),
    ("Main Street", "Lewis, Sinclair", 1920),
    ("The Souls of Black Folk", "Du Bois, W. E. B.", 1903),
    ("Up from Slavery", "Washington, Booker T.", 1901),
    ("Narrative of the Life of Frederick Douglass", "Douglass, Frederick", 1845),
    ("Walden", "Thoreau, Henry David", 1854),
    ("Leaves of Grass", "Whitman, Walt", 1855),
    ("The Secret Garden", "Burnett, Frances Hodgson", 1911),
    ("Anne of Green Gables", "Montgomery, L. M.", 1908),
    ("Alice's Adventures in Wonderland", "Carroll, Lewis", 1865),
    ("The Wonderful Wizard of Oz", "Baum, L. Frank", 1900),
    ("Treasure Island", "Stevenson, Robert Louis", 1883),
    ("Kidnapped", "Stevenson, Robert Louis", 1886),
    ("The Jungle Book", "Kipling, Rudyard", 1894),
    ("Peter Pan", "Barrie, J. M.", 1911),
    ("Heart of Darkness", "Conrad, Joseph", 1899),
    ("The Wind in the Willows", "Grahame, Kenneth", 1908),
    ("Ethan Frome", "Wharton, Edith", 1911),
)

_SUBJECTS = (
    "Gardening",
    "Birds",
    "Bread",
    "Chess",
    "Watercolor",
    "Bicycles",
    "Lake Michigan",
    "Stars",
    "Knots",
    "Beekeeping",
    "Pottery",
    "Jazz",
    "Rivers",
    "Railroads",
    "Soups",
    "Maps",
    "Trees",
    "Quilting",
    "Woodworking",
    "Photography",
    "Canoeing",
    "Mushrooms",
)
_FORMS = (
    "A Beginner's Guide to {s}",
    "The Little Book of {s}",
    "{s} for Everyone",
    "A Short History of {s}",
    "{s}: A Field Guide",
    "Everyday {s}",
    "The Joy of {s}",
    "Understanding {s}",
    "{s} in the Midwest",
    "Fifty Projects: {s}",
)
_SURNAMES = (
    "Adeyemi",
    "Bauer",
    "Castillo",
    "Dubois",
    "Eriksen",
    "Fitzgerald",
    "Gutiérrez",
    "Haddad",
    "Ivanova",
    "Jensen",
    "Kowalski",
    "Larsen",
    "Mendoza",
    "Nakamura",
    "O'Brien",
    "Petrov",
    "Quinn",
    "Rossi",
    "Schmidt",
    "Tanaka",
    "Underwood",
    "Vasquez",
    "Walsh",
    "Yilmaz",
    "Zhang",
)
_STREETS = ("Ewing Ave", "Baltimore Ave", "Commercial Ave", "Houston Ave", "Avenue O")
_GIVEN = (
    "Alex",
    "Bea",
    "Chris",
    "Dee",
    "Eli",
    "Fran",
    "Gus",
    "Hana",
    "Ivo",
    "Jo",
    "Kai",
    "Lena",
    "Max",
    "Nia",
    "Omar",
    "Pia",
    "Ray",
    "Sana",
    "Theo",
    "Uma",
    "Vic",
    "Wren",
    "Yara",
    "Zoe",
)


@dataclass
class DemoResult:
    created: bool
    titles: int
    items: int
    patrons: int


def ensure_staff() -> None:
    User = get_user_model()
    for username, first, last, group_name in STAFF:
        user, _ = User.objects.get_or_create(
            username=username,
            defaults={"first_name": first, "last_name": last, "email": f"{username}@localhost"},
        )
        user.is_staff = True
        user.is_active = True
        user.set_password(DEMO_PASSWORD)
        user.save()
        group, _ = Group.objects.get_or_create(name=group_name)
        user.groups.set([group])


def seed(*, now: datetime.datetime | None = None) -> DemoResult:
    """Create the demo library once; a second call only refreshes the staff users."""
    ensure_staff()
    if Card.objects.filter(number=DEMO_CARDS[0][0]).exists():
        return DemoResult(False, Title.objects.count(), 0, Patron.objects.count())
    with transaction.atomic():
        return _create(now or timezone.now())


def _create(now: datetime.datetime) -> DemoResult:
    rng = random.Random(1871)  # the year of the Great Chicago Fire
    local_now = timezone.localtime(now)
    day = datetime.timedelta(days=1)
    clerk = get_user_model().objects.get(username="clerk")

    branches = [
        Branch.objects.create(code=code, name=name, address=address, opening_hours=hours)
        for code, name, address, hours in BRANCHES
    ]
    main, east, river = branches

    # -- catalog: 60 classics plus 160 practical titles, one to three copies each --------
    specs = [(t, a, y) for t, a, y in CLASSICS]
    for form in _FORMS:
        for subject in _SUBJECTS[:16]:
            author = f"{rng.choice(_SURNAMES)}, {rng.choice(_GIVEN)}"
            specs.append((form.format(s=subject), author, rng.randint(1985, 2025)))
    titles = Title.objects.bulk_create(
        Title(
            title=title,
            author=author,
            publication_year=year,
            isbn=f"978{1000000000 + n:010d}"[:13] if year > 1970 else "",
            call_number=("FIC " + author.split(",")[0].upper())
            if year < 1930
            else f"{600 + n % 300}",
        )
        for n, (title, author, year) in enumerate(specs)
    )
    items = []
    barcode = 31234000000000
    for n, title in enumerate(titles):
        for copy in range(1 + n % 3):
            barcode += 1
            items.append(
                Item(
                    title=title,
                    barcode=str(barcode),
                    branch=branches[(n + copy) % 3],
                    item_type=Item.ItemType.BOOK if n % 11 else Item.ItemType.AUDIOBOOK,
                    call_number=title.call_number,
                    price=Decimal("24.95"),
                )
            )
    items = Item.objects.bulk_create(items)
    free = list(items)
    rng.shuffle(free)

    def take_item() -> Item:
        return free.pop()

    # -- patrons ----------------------------------------------------------------------
    def make_patron(first, last, card_number, pin, **extra) -> Patron:
        patron = Patron(
            first_name=first,
            last_name=last,
            email=f"{first.lower()}.{last.lower()}@example.org".replace("'", ""),
            phone=f"(773) 555-{rng.randint(1000, 9999)}",
            address_line1=f"{rng.randint(100, 9999)} {rng.choice(_STREETS)}",
            city="Chicago",
            postal_code="60617",
            birth_date=datetime.date(
                rng.randint(1945, 2005), rng.randint(1, 12), rng.randint(1, 28)
            ),
            home_branch=extra.pop("home_branch", main),
            card_expires_on=extra.pop("card_expires_on", (now + 700 * day).date()),
            registered_at=extra.pop("registered_at", now - rng.randint(200, 3000) * day),
            last_activity_at=now - rng.randint(0, 30) * day,
            **extra,
        )
        patron.set_pin(pin)
        patron.save()
        Card.objects.create(patron=patron, number=card_number, issued_at=patron.registered_at)
        return patron

    def loan(patron, item, *, out_days_ago, returned_days_ago=None, period=21) -> Loan:
        checked_out = now - out_days_ago * day
        record = Loan.objects.create(
            item=item,
            patron=patron,
            branch=item.branch,
            checked_out_at=checked_out,
            due_at=checked_out + period * day,
            returned_at=None if returned_days_ago is None else now - returned_days_ago * day,
            checked_out_by=clerk,
        )
        item.status = Item.Status.ON_LOAN if returned_days_ago is None else Item.Status.AVAILABLE
        item.save(update_fields=["status"])
        counting.checkout(
            item=item, branch_id=item.branch_id, patron_category=patron.category_id, now=checked_out
        )
        if record.returned_at is not None:
            counting.checkin(
                item=item,
                branch_id=item.branch_id,
                patron_category=patron.category_id,
                now=record.returned_at,
            )
        return record

    avery = make_patron("Avery", "Lindqvist", DEMO_CARDS[0][0], DEMO_CARDS[0][1])
    jordan = make_patron("Jordan", "Achebe", DEMO_CARDS[1][0], DEMO_CARDS[1][1], home_branch=east)

    # Avery: two loans on time, one overdue, a hold waiting on the shelf, an unpaid fine
    # on a returned loan (which keeps that loan active), a program sign-up.
    loan(avery, take_item(), out_days_ago=5)
    loan(avery, take_item(), out_days_ago=12)
    loan(avery, take_item(), out_days_ago=30)  # due 9 days ago: overdue
    late = loan(avery, take_item(), out_days_ago=40, returned_days_ago=10)
    Fine.objects.create(
        patron=avery,
        loan=late,
        reason=Fine.Reason.OVERDUE,
        amount=Decimal("2.25"),
        assessed_at=late.returned_at,
    )
    shelf_item = take_item()
    shelf_item.status = Item.Status.ON_HOLD_SHELF
    shelf_item.save(update_fields=["status"])
    Hold.objects.create(
        title=shelf_item.title,
        patron=avery,
        pickup_branch=shelf_item.branch,
        placed_at=now - 8 * day,
        status=Hold.Status.WAITING,
        item=shelf_item,
        pickup_by=now + 5 * day,
    )

    # Jordan: other loans. Avery also waits in the queue for one of Jordan's books.
    loan(jordan, take_item(), out_days_ago=3)
    jordan_loan = loan(jordan, take_item(), out_days_ago=15, period=28)
    Hold.objects.create(
        title=jordan_loan.item.title, patron=avery, pickup_branch=main, placed_at=now - 2 * day
    )

    # Programs: two coming up, one past (its sign-ups are closed records).
    saturday = local_now + ((5 - local_now.weekday()) % 7 or 7) * day
    story_time = Program.objects.create(
        name="Saturday Story Time",
        description="Stories and songs for ages 3–6 and their grown-ups.",
        branch=main,
        starts_at=saturday.replace(hour=10, minute=30, second=0, microsecond=0),
        ends_at=saturday.replace(hour=11, minute=30, second=0, microsecond=0),
        capacity=25,
    )
    resume = Program.objects.create(
        name="Résumé Workshop",
        description="Bring a draft; leave with a stronger résumé.",
        branch=east,
        starts_at=(local_now + 9 * day).replace(hour=18, minute=0, second=0, microsecond=0),
        ends_at=(local_now + 9 * day).replace(hour=19, minute=30, second=0, microsecond=0),
        capacity=12,
    )
    past_program = Program.objects.create(
        name="Lakefront Birding Walk",
        branch=river,
        starts_at=(local_now - 6 * day).replace(hour=8, minute=0, second=0, microsecond=0),
        ends_at=(local_now - 6 * day).replace(hour=10, minute=0, second=0, microsecond=0),
        capacity=15,
    )
    ProgramRegistration.objects.create(program=resume, patron=avery, registered_at=now - day)

    # A few dozen more patrons with ordinary activity.
    others = []
    for n in range(3, 41):
        patron = make_patron(
            _GIVEN[n % len(_GIVEN)],
            _SURNAMES[(n * 7) % len(_SURNAMES)],
            f"21234{n:09d}",
            f"{rng.randint(0, 9999):04d}",
            home_branch=branches[n % 3],
            category_id=rng.choice(list(Patron.Category.values)),
        )
        others.append(patron)
        for _ in range(rng.randint(0, 3)):
            loan(patron, take_item(), out_days_ago=rng.randint(1, 25))

    # One patron keeps a reading history: their returned loans are kept for them.
    reader = others[0]
    reading_history_set(patron=reader, keep=True, actor=reader)  # in the portal
    for days_ago in (60, 45, 20):
        loan(reader, take_item(), out_days_ago=days_ago, returned_days_ago=days_ago - 14)

    # Closed records already past retention, so the next expunge has work to do.
    # A registration whose card expired three years ago, with no activity since.
    gone = make_patron(
        "Morgan",
        "Ellery",
        "21234000000099",
        "8642",
        card_expires_on=(now - 1100 * day).date(),
        registered_at=now - 3000 * day,
    )
    Patron.objects.filter(pk=gone.pk).update(last_activity_at=now - 1100 * day)
    for patron in (jordan, *others[1:12]):
        for _ in range(2):
            loan(
                patron,
                take_item(),
                out_days_ago=rng.randint(20, 60),
                returned_days_ago=rng.randint(2, 15),
            )
    paid_loan = loan(others[2], take_item(), out_days_ago=50, returned_days_ago=20)
    Fine.objects.create(
        patron=others[2],
        loan=paid_loan,
        reason=Fine.Reason.OVERDUE,
        amount=Decimal("1.50"),
        amount_paid=Decimal("1.50"),
        assessed_at=paid_loan.returned_at,
        settled_at=paid_loan.returned_at + day,
    )
    Hold.objects.create(
        title=titles[5],
        patron=jordan,
        pickup_branch=east,
        placed_at=now - 12 * day,
        status=Hold.Status.CANCELLED,
        closed_at=now - 3 * day,
    )
    for patron in others[3:9]:
        ProgramRegistration.objects.create(
            program=past_program, patron=patron, registered_at=now - 10 * day, attended=True
        )
    past_program.registration_count = 6
    past_program.attendance_count = 6
    past_program.save(update_fields=["registration_count", "attendance_count"])
    story_time.registration_count = 0
    story_time.save(update_fields=["registration_count"])
    resume.registration_count = 1
    resume.save(update_fields=["registration_count"])
    PatronBlock.objects.create(
        patron=others[4],
        reason=PatronBlock.Reason.BEHAVIOUR,
        note="Suspended for one week.",
        starts_at=now - 20 * day,
        ends_at=now - 13 * day,
        created_by=clerk,
    )

    for patron in [avery, jordan, *others]:
        for _ in range(rng.randint(0, 3)):
            when = now - rng.randint(1, 3) * day - datetime.timedelta(minutes=rng.randint(0, 600))
            branch = rng.choice(branches)
            Visit.objects.create(patron=patron, branch=branch, visited_at=when)
            counting.visit(branch_id=branch.pk, now=when)
    for n, patron in enumerate([jordan, *others[5:15]]):
        start = now - day - datetime.timedelta(hours=n)
        session = ComputerSession.objects.create(
            patron=patron,
            branch=branches[n % 3],
            workstation=f"PC-{n % 6 + 1:02d}",
            started_at=start,
            ended_at=start + datetime.timedelta(minutes=45),
        )
        counting.computer_use(
            branch_id=session.branch_id, started_at=session.started_at, ended_at=session.ended_at
        )
    # Someone is on a computer right now: an active session the expunge must not touch.
    ComputerSession.objects.create(
        patron=others[20],
        branch=main,
        workstation="PC-01",
        started_at=now - datetime.timedelta(minutes=20),
    )
    return DemoResult(True, len(titles), len(items), Patron.objects.count())
