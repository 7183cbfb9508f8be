"""The branch page in the admin: opening hours per weekday and the branch's closed days
edited inline, every mistake a form error (never a server error); closed days of every
branch listed as "All branches"."""

import datetime
import re

import pytest

from circulation.models import Branch, BranchClosure, OpeningHours
from tests.admin_walk import admin_url
from tests.factories import BranchFactory

pytestmark = pytest.mark.django_db

#: The word staff no longer see ("Disclosure requests" in the navigation is not it).
CLOSURE = re.compile(r"(?i)\bclosures?\b")


def branch_form(branch, *, hours=(), closures=(), existing_hours=(), existing_closures=()):
    """The POST of the branch page: the branch's fields and both inlines' rows."""
    data = {
        "code": branch.code,
        "name": branch.name,
        "address": branch.address,
        "phone": branch.phone,
        "hours-TOTAL_FORMS": str(len(existing_hours) + len(hours)),
        "hours-INITIAL_FORMS": str(len(existing_hours)),
        "closures-TOTAL_FORMS": str(len(existing_closures) + len(closures)),
        "closures-INITIAL_FORMS": str(len(existing_closures)),
    }
    for n, row in enumerate([*existing_hours, *hours]):
        if isinstance(row, OpeningHours):
            data[f"hours-{n}-id"] = str(row.pk)
            data[f"hours-{n}-branch"] = str(branch.pk)
            row = {
                "weekday": row.weekday,
                "opens": f"{row.opens:%H:%M}",
                "closes": f"{row.closes:%H:%M}",
            }
        for key, value in row.items():
            data[f"hours-{n}-{key}"] = str(value)
    for n, row in enumerate([*existing_closures, *closures]):
        if isinstance(row, BranchClosure):
            data[f"closures-{n}-id"] = str(row.pk)
            data[f"closures-{n}-branch"] = str(branch.pk)
            row = {"date": f"{row.date:%Y-%m-%d}", "reason": row.reason}
        for key, value in row.items():
            data[f"closures-{n}-{key}"] = str(value)
    return data


def save(client, branch, **rows):
    return client.post(admin_url(Branch, "change", branch.pk), branch_form(branch, **rows))


def errors_of(response) -> str:
    assert response.status_code == 200, "the page should come back with the form's errors"
    return " ".join(
        str(error)
        for formset in response.context["inline_admin_formsets"]
        for error in [*formset.formset.errors, formset.formset.non_form_errors()]
    )


def visible(html: str) -> str:
    """The page's text as staff read it (no tags, attributes, scripts or SVG)."""
    html = re.sub(r"(?s)<(script|style|svg)\b.*?</\1>", " ", html)
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


def test_opening_hours_are_entered_per_weekday_on_the_branch_page(director_client):
    branch = BranchFactory()
    response = save(
        director_client,
        branch,
        hours=[
            {"weekday": 0, "opens": "10:00", "closes": "19:00"},
            {"weekday": 5, "opens": "10:00", "closes": "16:00"},
        ],
    )
    assert response.status_code == 302
    assert list(branch.hours.values_list("weekday", "opens", "closes")) == [
        (0, datetime.time(10), datetime.time(19)),
        (5, datetime.time(10), datetime.time(16)),
    ]


def test_closing_before_opening_is_a_form_error(director_client):
    branch = BranchFactory()
    response = save(
        director_client, branch, hours=[{"weekday": 0, "opens": "19:00", "closes": "10:00"}]
    )
    assert "A branch must close after it opens." in errors_of(response)
    assert not branch.hours.exists()


def test_a_weekday_twice_is_a_form_error(director_client):
    branch = BranchFactory()
    monday = OpeningHours.objects.create(
        branch=branch, weekday=0, opens=datetime.time(9), closes=datetime.time(17)
    )
    twice = [{"weekday": 1, "opens": "09:00", "closes": "17:00"}] * 2
    assert "weekday" in errors_of(save(director_client, branch, hours=twice)).lower()
    again = [{"weekday": 0, "opens": "10:00", "closes": "18:00"}]
    response = save(director_client, branch, existing_hours=[monday], hours=again)
    assert "weekday" in errors_of(response).lower()
    assert branch.hours.count() == 1


def test_a_closed_day_twice_at_a_branch_is_a_form_error(director_client):
    branch = BranchFactory()
    day = BranchClosure.objects.create(
        branch=branch, date=datetime.date(2026, 8, 3), reason="Staff training"
    )
    again = [{"date": "2026-08-03", "reason": "Inventory"}]
    response = save(director_client, branch, existing_closures=[day], closures=again)
    assert "date" in errors_of(response).lower()
    twice = [{"date": "2026-09-01", "reason": "Inventory"}] * 2
    assert "date" in errors_of(save(director_client, branch, closures=twice)).lower()
    assert branch.closures.count() == 1


def test_the_calendar_reads_closed_days_and_all_branches_to_staff(director_client):
    branch = BranchFactory(name="Riverside Branch")
    BranchClosure.objects.create(date=datetime.date(2000, 12, 25), yearly=True, reason="Christmas")
    BranchClosure.objects.create(branch=branch, date=datetime.date(2026, 8, 3), reason="Training")

    listing = director_client.get(admin_url(BranchClosure, "changelist")).content.decode()
    assert "Closed days" in visible(listing) and not CLOSURE.search(visible(listing))
    assert "Every December 25" in listing
    rows = [row for row in listing.split("<tr") if "Christmas" in row or "Training" in row]
    assert "All branches" in rows[0] and "Riverside Branch" in rows[1]

    added = director_client.get(admin_url(BranchClosure, "add")).content.decode()
    assert '<option value="" selected>All branches</option>' in added

    page = director_client.get(admin_url(Branch, "change", branch.pk)).content.decode()
    headings = re.findall(r'class="inline-heading">\s*(.*?)\s*</h2>', page)
    assert headings == ["Opening hours", "Closed days"]
    assert not CLOSURE.search(visible(page))
    # The closed days of all branches are named on the branch page, with where to edit them.
    assert "Christmas (every December 25)" in page
    assert "?branch__isnull=True" in page


def test_a_closed_day_of_all_branches_twice_is_a_form_error(director_client):
    BranchClosure.objects.create(date=datetime.date(2026, 11, 26), reason="Thanksgiving")
    response = director_client.post(
        admin_url(BranchClosure, "add"), {"branch": "", "date": "2026-11-26", "reason": "Again"}
    )
    assert response.status_code == 200
    assert "All branches already have a closed day on this date." in response.content.decode()
    assert BranchClosure.objects.count() == 1


def test_the_branch_page_offers_a_blank_row_for_each_weekday_not_entered(director_client):
    """Without JavaScript (no "Add another" link) the whole week can still be entered:
    the blank rows come with their weekday chosen, and rows left without times are not
    saved."""
    branch = BranchFactory()
    monday = OpeningHours.objects.create(
        branch=branch, weekday=0, opens=datetime.time(9), closes=datetime.time(17)
    )
    response = director_client.get(admin_url(Branch, "change", branch.pk))
    forms = response.context["inline_admin_formsets"][0].formset.forms
    assert [form.initial.get("weekday") for form in forms] == [0, 1, 2, 3, 4, 5, 6]
    # The browser's own time field, hours and minutes; each field named by its column.
    html = response.content.decode()
    assert 'type="time"' in html and 'value="09:00"' in html
    for name in ("Weekday", "Opens", "Closes", "Delete", "Date", "Reason"):
        assert f'aria-label="{name}"' in html

    blank = [{"weekday": day, "opens": "", "closes": ""} for day in range(1, 7)]
    blank[1] = {"weekday": 2, "opens": "12:00", "closes": "20:00"}
    assert save(director_client, branch, existing_hours=[monday], hours=blank).status_code == 302
    assert list(branch.hours.values_list("weekday", flat=True)) == [0, 2]


def test_a_new_branch_is_added_with_its_hours(director_client):
    page = director_client.get(admin_url(Branch, "add"))
    forms = page.context["inline_admin_formsets"][0].formset.forms
    assert [form.initial.get("weekday") for form in forms] == [0, 1, 2, 3, 4, 5, 6]
    data = branch_form(
        Branch(code="lake", name="Lakeside Branch", address="1 Shore Road"),
        hours=[{"weekday": 1, "opens": "10:00", "closes": "18:00"}],
        closures=[{"date": "2026-12-31", "reason": "Inventory"}],
    )
    assert director_client.post(admin_url(Branch, "add"), data).status_code == 302
    branch = Branch.objects.get(code="lake")
    assert list(branch.hours.values_list("weekday", flat=True)) == [1]
    assert list(branch.closures.values_list("reason", flat=True)) == ["Inventory"]
