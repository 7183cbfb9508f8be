"""The library calendar in the admin as staff read it: "Closed days" everywhere, and a
closed day of every branch listed as "All branches"."""

import datetime
import re

import pytest

from circulation.models import Branch, BranchClosure
from tests.admin_walk import admin_url
from tests.factories import BranchFactory

pytestmark = pytest.mark.django_db

#: The word staff no longer see ("Disclosure requests" in the navigation is not it).
CLOSURE = re.compile(r"(?i)\bclosures?\b")


def visible(html: str) -> str:
    """The page's text as staff read it (no tags, attributes, scripts or SVG)."""
    html = re.sub(r"(?s)<(script|style|svg)\b.*?</\1>", " ", html)
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


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
