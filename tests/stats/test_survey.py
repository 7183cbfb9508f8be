"""The annual survey (PLS) element by element: each computed element equals known
activity (children's circulation counted from the copies' audience at check-out, programs
and attendance per age group, holdings from the catalog, registered users), the elements
Calumet cannot compute say why, the default is the last fiscal year that is over, the
CSV keeps numbers numeric, small age groups cannot be worked out from the totals, and the
migration gives rows counted before it a stated audience."""

import csv
import datetime
import io

import pytest
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.test.utils import override_settings
from django.utils import timezone

from circulation import services
from circulation.models import Item, Program, Title
from patrons.models import Patron
from privacy import retention
from stats import survey
from stats.models import CirculationDay
from tests.factories import (
    BranchFactory,
    CardFactory,
    ItemFactory,
    PatronFactory,
    ProgramFactory,
    TitleFactory,
)
from tests.stats.conftest import at

pytestmark = pytest.mark.django_db

URL = "/admin/stats/annual-report/"


def _csv(client, year=2025) -> list[list[str]]:
    response = client.get(f"{URL}?year={year}&format=csv")
    assert response.status_code == 200, response.content
    assert response["Content-Type"].startswith("text/csv")
    return list(csv.reader(io.StringIO(response.content.decode())))


def _values(client, year=2025) -> dict[str, list[str]]:
    """{element: its CSV row}."""
    return {row[0]: row for row in _csv(client, year)[1:]}


def _program(branch, audience, day, attendance, month=3):
    zone = timezone.get_current_timezone()
    start = datetime.datetime(2025, month, day, 10, tzinfo=zone)
    return ProgramFactory(
        branch=branch,
        audience=audience,
        starts_at=start,
        ends_at=start + datetime.timedelta(hours=1),
        attendance_count=attendance,
    )


@pytest.fixture
def children_activity(activity, librarian):
    """On top of the March activity (adult titles): three check-outs and a renewal of
    children's books, and one check-out of a title whose audience is not known."""
    card = CardFactory(patron=PatronFactory(home_branch=activity.central))
    kids = TitleFactory(audience=Title.Audience.CHILDREN)
    unknown = TitleFactory(audience=Title.Audience.UNKNOWN)
    loans = [
        services.loan_checkout(
            card_number=card.number,
            barcode=ItemFactory(branch=activity.central, title=title).barcode,
            actor=librarian,
            branch=activity.central,
            now=at(20 + i),
        )
        for i, title in enumerate((kids, kids, kids, unknown))
    ]
    services.loan_renew(loan=loans[0], actor=librarian, now=at(27))
    return activity


@override_settings(CALUMET_STATS_SUPPRESS_BELOW=1)
def test_childrens_circulation_counts_the_copies_audience(children_activity, librarian_client):
    values = _values(librarian_client)
    e = children_activity.expected
    assert values["TOTCIR"][2] == str(e["checkouts"] + e["renewals"] + 4 + 1)
    assert values["PHYSCIR"][2] == values["TOTCIR"][2]
    # Three check-outs and one renewal of children's books; the unknown title is not one.
    assert values["KIDCIRCL"][2] == "4"
    assert values["KIDCIRCL"][3] == "0"  # FY2024: nothing lent
    # Counted at check-out into the material's audience, in a row that names no patron.
    row = CirculationDay.objects.get(audience="children", day=at(20).date())
    assert row.checkouts == 1
    assert not {f.name for f in CirculationDay._meta.fields} & {"patron", "loan", "card"}


@override_settings(CALUMET_STATS_SUPPRESS_BELOW=1)
def test_childrens_circulation_stays_the_same_after_the_expunge(
    children_activity, librarian_client
):
    before = _values(librarian_client)
    retention.expunge(now=at(1) + datetime.timedelta(days=45))
    assert not CirculationDay.objects.filter(generalised=False).exists()  # rewritten
    after = _values(librarian_client)
    assert after["KIDCIRCL"][2] == before["KIDCIRCL"][2] == "4"
    assert after["TOTCIR"][2] == before["TOTCIR"][2]


def test_a_small_childrens_circulation_is_hidden(children_activity, librarian_client):
    values = _values(librarian_client)
    assert values["KIDCIRCL"][2] == ""
    assert "FY2025: fewer than 5" in values["KIDCIRCL"][4]
    # The totals are exact whatever the threshold.
    e = children_activity.expected
    assert values["TOTCIR"][2] == str(e["checkouts"] + e["renewals"] + 5)


@override_settings(CALUMET_STATS_SUPPRESS_BELOW=1)
def test_programs_and_attendance_per_age_group(librarian_client):
    branch = BranchFactory()
    for day, audience, attendance in (
        (3, Program.Audience.CHILDREN_0_5, 12),
        (10, Program.Audience.CHILDREN_0_5, 9),
        (4, Program.Audience.CHILDREN_6_11, 7),
        (5, Program.Audience.YOUNG_ADULT, 4),
        (6, Program.Audience.ADULT, 20),
        (7, Program.Audience.GENERAL, 30),
    ):
        _program(branch, audience, day, attendance)
    _program(branch, Program.Audience.ADULT, 2, 8, month=7)  # July 2025: FY2026
    values = _values(librarian_client)
    expected = {
        "TOTPRO": 6,
        "K0_5PRO": 2,
        "K6_11PRO": 1,
        "YAPRO": 1,
        "ADULTPRO": 1,
        "GENPRO": 1,
        "TOTATTEN": 82,
        "K0_5ATTEN": 21,
        "K6_11ATTEN": 7,
        "YAATTEN": 4,
        "ADULTATTEN": 20,
        "GENATTEN": 30,
    }
    assert {code: int(values[code][2]) for code in expected} == expected


def test_small_age_groups_cannot_be_worked_out_from_the_total(librarian_client):
    branch = BranchFactory()
    _program(branch, Program.Audience.CHILDREN_0_5, 3, 40)
    _program(branch, Program.Audience.YOUNG_ADULT, 4, 2)
    _program(branch, Program.Audience.ADULT, 5, 25)
    values = _values(librarian_client)
    assert values["TOTATTEN"][2] == "67"  # exact
    assert values["YAATTEN"][2] == "" and "fewer than 5" in values["YAATTEN"][4]
    # With the young adults' 2 hidden, the smallest other group is withheld with it.
    assert values["ADULTATTEN"][2] == "" and "withheld" in values["ADULTATTEN"][4]
    assert values["K0_5ATTEN"][2] == "40"
    assert values["K6_11ATTEN"][2] == "0" and values["GENATTEN"][2] == "0"


def test_holdings_are_the_catalogs_copies_at_the_years_end(librarian_client):
    branch = BranchFactory()
    june = datetime.datetime(2025, 6, 1, tzinfo=datetime.UTC)
    for item_type, n in (
        (Item.ItemType.BOOK, 3),
        (Item.ItemType.LARGE_PRINT, 1),
        (Item.ItemType.AUDIOBOOK, 2),
        (Item.ItemType.DVD, 1),
        (Item.ItemType.MAGAZINE, 1),
    ):
        for _ in range(n):
            ItemFactory(branch=branch, item_type=item_type, added_at=june)
    ItemFactory(branch=branch, status=Item.Status.WITHDRAWN, added_at=june)  # gone
    ItemFactory(branch=branch, added_at=datetime.datetime(2025, 8, 1, tzinfo=datetime.UTC))
    values = _values(librarian_client)
    assert values["BKVOL"][2:4] == ["4", ""]
    assert values["AUDIO_PH"][2] == "2" and values["VIDEO_PH"][2] == "1"
    assert values["TOTPHYS"][2] == "8"
    assert "FY2024: not kept" in values["BKVOL"][4]


@override_settings(CALUMET_STATS_SUPPRESS_BELOW=1)
def test_registered_users_by_the_survey_definition(librarian_client):
    def patron(registered: datetime.date, expires: datetime.date):
        zone = timezone.get_current_timezone()
        made = PatronFactory(card_expires_on=expires)
        Patron.objects.filter(pk=made.pk).update(
            registered_at=datetime.datetime.combine(registered, datetime.time(12), zone)
        )

    patron(datetime.date(2020, 5, 1), datetime.date(2027, 1, 1))  # counted
    patron(datetime.date(2025, 6, 30), datetime.date(2028, 1, 1))  # the year's last day
    patron(datetime.date(2019, 1, 1), datetime.date(2022, 7, 1))  # expired < 3 years before
    patron(datetime.date(2015, 1, 1), datetime.date(2022, 6, 1))  # expired > 3 years before
    patron(datetime.date(2025, 7, 1), datetime.date(2028, 1, 1))  # registered after the year
    values = _values(librarian_client)
    assert values["REGBOR"][2] == "3"
    assert values["REGBOR"][3] == "" and "FY2024: not kept" in values["REGBOR"][4]


NOT_COMPUTED = ("EBOOK", "ELMATCIR", "LOANTO", "LOANFM", "REFERENC", "GPTERMS", "WIFISESS")


def test_elements_not_computed_say_why(librarian_client):
    page = librarian_client.get(f"{URL}?year=2025").content.decode()
    values = _values(librarian_client)
    for code in NOT_COMPUTED:
        element = survey.BY_CODE[code]
        assert not element.computed and element.how
        assert f"<code>{code}</code>" in page
        assert values[code][2:5] == ["", "", "not computed"]
        assert values[code][5] == element.how
    assert "Calumet lends no electronic content" in page
    assert "Reference transactions" in page and "not computed" in page


def test_the_csv_shape(librarian_client):
    rows = _csv(librarian_client)
    assert rows[0] == [
        "PLS element",
        "Description",
        "FY2025",
        "FY2024",
        "Not shown",
        "How it is counted",
    ]
    assert [row[0] for row in rows[1:]] == [e.code for e in survey.ELEMENTS]
    for row in rows[1:]:
        assert len(row) == 6
        for value in row[2:4]:
            assert value == "" or value.isdigit(), row  # numbers, or empty and said why
        if "" in row[2:4]:
            assert row[4], row


def test_the_default_is_the_last_fiscal_year_that_is_over(now, librarian_client):
    # The clock reads 11 March 2026: FY2026 (July 2025 to June 2026) is still going on.
    page = librarian_client.get(URL).content.decode()
    assert "Fiscal year 2025: 1 July 2024 to 30 June 2025" in page
    assert 'value="2025"' in page
    response = librarian_client.get(f"{URL}?year=2026")
    assert response.status_code == 400
    assert "Fiscal year 2026 is not over" in response.content.decode()
    assert librarian_client.get(f"{URL}?year=2026&format=csv").status_code == 400


@override_settings(CALUMET_FISCAL_YEAR_START_MONTH=1)
def test_the_default_follows_the_fiscal_year_start(now, librarian_client):
    page = librarian_client.get(URL).content.decode()
    assert "Fiscal year 2025: 1 January 2025 to 31 December 2025" in page


def test_the_page_is_printable(librarian_client):
    page = librarian_client.get(f"{URL}?year=2025").content.decode()
    assert "css/stats.css" in page
    with open("static/css/stats.css") as css:
        assert "@media print" in css.read()


# -- the migration ---------------------------------------------------------------------

BEFORE = [
    ("circulation", "0027_roles_librarians_rules_closed_days_clerks_lost"),
    ("stats", "0004_content_types_moved"),
]


def _migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    ContentType.objects.clear_cache()
    return executor.loader.project_state(targets).apps


@pytest.mark.django_db(transaction=True)
def test_rows_counted_before_the_audience_keep_their_counts_as_not_known():
    old = _migrate(BEFORE)
    branch = old.get_model("circulation", "Branch").objects.create(code="main", name="Main")
    title = old.get_model("circulation", "Title").objects.create(title="Old book")
    zone = timezone.get_current_timezone()
    start = datetime.datetime(2025, 3, 1, 10, tzinfo=zone)
    old.get_model("circulation", "Program").objects.create(
        name="Old program", branch=branch, starts_at=start, ends_at=start.replace(hour=11)
    )
    old.get_model("stats", "CirculationDay").objects.create(
        day=datetime.date(2025, 3, 4),
        branch=branch,
        item_type="book",
        patron_category="child",
        checkouts=7,
    )

    _migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())

    row = CirculationDay.objects.get(day=datetime.date(2025, 3, 4))
    assert (row.audience, row.checkouts) == ("", 7)  # not known: never guessed as adult
    assert Title.objects.get(pk=title.pk).audience == ""
    assert Program.objects.get(name="Old program").audience == "general"
