"""A branch's published opening hours: the calendar's rows per weekday (the only hours a
branch has), grouped for reading on the public home page, in English and Spanish."""

import datetime
import io
from contextlib import redirect_stdout

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.test import Client
from django.utils import translation

from circulation.models import Branch, OpeningHours
from circulation.selectors import branches_with_hours, opening_hours_lines
from tests.factories import BranchFactory

T = datetime.time


@pytest.fixture(autouse=True)
def english():
    """English unless a test says otherwise (a request in Spanish leaves it active)."""
    with translation.override("en"):
        yield


def week(*rows):
    """OpeningHours rows (unsaved): (first weekday, last weekday, opens, closes)."""
    return [
        OpeningHours(weekday=day, opens=opens, closes=closes)
        for first, last, opens, closes in rows
        for day in range(first, last + 1)
    ]


EASTSIDE = week((0, 4, T(10), T(19)), (5, 5, T(10), T(16)))


def test_consecutive_weekdays_with_the_same_hours_read_as_a_range():
    assert opening_hours_lines(EASTSIDE) == [
        "Mon–Fri 10 a.m.–7 p.m.",
        "Sat 10 a.m.–4 p.m.",
        "Closed Sunday",
    ]


def test_every_day_open_says_no_closed_day():
    central = week((0, 5, T(9), T(20)), (6, 6, T(13), T(17)))
    assert opening_hours_lines(central) == ["Mon–Sat 9 a.m.–8 p.m.", "Sun 1 p.m.–5 p.m."]


def test_gaps_break_a_range_and_closed_days_read_from_after_an_open_day():
    riverside = week((1, 5, T(10), T(18)))
    assert opening_hours_lines(riverside) == [
        "Tue–Sat 10 a.m.–6 p.m.",
        "Closed Sunday and Monday",
    ]
    alternate = week((0, 0, T(9, 30), T(12)), (2, 2, T(9, 30), T(12)), (4, 4, T(12), T(20)))
    assert opening_hours_lines(alternate) == [
        "Mon 9:30 a.m.–noon",
        "Wed 9:30 a.m.–noon",
        "Fri noon–8 p.m.",
        "Closed Tuesday, Thursday, Saturday and Sunday",
    ]


def test_the_same_hours_on_days_apart_are_not_one_range():
    rows = week((0, 1, T(9), T(17)), (2, 2, T(12), T(20)), (3, 4, T(9), T(17)))
    assert opening_hours_lines(rows)[:3] == [
        "Mon–Tue 9 a.m.–5 p.m.",
        "Wed noon–8 p.m.",
        "Thu–Fri 9 a.m.–5 p.m.",
    ]


def test_a_single_open_day():
    assert opening_hours_lines(week((2, 2, T(10), T(14)))) == [
        "Wed 10 a.m.–2 p.m.",
        "Closed Thursday, Friday, Saturday, Sunday, Monday and Tuesday",
    ]


def test_no_hours_publish_nothing():
    assert opening_hours_lines([]) == []


def test_spanish_reads_its_own_weekdays_and_times():
    with translation.override("es"):
        assert opening_hours_lines(EASTSIDE) == [
            "lun–vie 10:00 a.m.–7:00 p.m.",
            "sáb 10:00 a.m.–4:00 p.m.",
            "Cerrado: domingo",
        ]
        assert opening_hours_lines(week((1, 5, T(10), T(18))))[-1] == "Cerrado: domingo y lunes"


@pytest.mark.django_db
def test_the_home_page_shows_each_branch_s_hours_from_the_calendar(django_assert_max_num_queries):
    east = BranchFactory(name="Eastside Branch")
    for row in EASTSIDE:
        row.branch = east
    OpeningHours.objects.bulk_create(EASTSIDE)
    BranchFactory(name="Harbor Kiosk")  # no hours: nothing published

    html = Client().get("/").content.decode()
    assert "Mon–Fri 10 a.m.–7 p.m. &middot; Sat 10 a.m.–4 p.m. &middot; Closed Sunday" in html
    kiosk = html.split("Harbor Kiosk", 1)[1].split("</li>", 1)[0]
    assert "muted" not in kiosk

    spanish = Client(HTTP_ACCEPT_LANGUAGE="es").get("/").content.decode()
    assert "lun–vie 10:00 a.m.–7:00 p.m. &middot; sáb 10:00 a.m.–4:00 p.m." in spanish


@pytest.mark.django_db
def test_the_branches_hours_cost_two_queries_however_many_branches(django_assert_num_queries):
    for n in range(4):
        branch = BranchFactory()
        OpeningHours.objects.create(branch=branch, weekday=n, opens=T(9), closes=T(17))
    with django_assert_num_queries(2):
        assert len(branches_with_hours()) == 4


@pytest.mark.django_db(transaction=True)
def test_the_migration_removing_the_text_prints_what_was_typed():
    """The free text cannot be read into hours: it is removed, but printed for the
    library to enter per weekday, not dropped unseen."""
    before = [("circulation", "0021_closed_day_constraints_checked_by_forms")]
    executor = MigrationExecutor(connection)
    executor.migrate(before)
    old_branch = executor.loader.project_state(before).apps.get_model("circulation", "Branch")
    old_branch.objects.create(code="east", name="Eastside", opening_hours="Mon–Fri 10–7")
    old_branch.objects.create(code="kiosk", name="Kiosk")

    printed = io.StringIO()
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    with redirect_stdout(printed):
        executor.migrate(executor.loader.graph.leaf_nodes())

    assert "Eastside: opening hours typed as text are removed ('Mon–Fri 10–7')" in (
        printed.getvalue()
    )
    assert "Kiosk" not in printed.getvalue()
    assert Branch.objects.count() == 2
