"""Access entries: the patron's own transaction is reduced with its records; a staff look
outside a transaction is kept as it is (docs/audit.md, "Transactions
and looks")."""

from __future__ import annotations

import datetime
import re

import pytest
from auditlog.models import LogEntry
from django.test import Client, RequestFactory
from django.urls import reverse
from django.utils import timezone

from circulation import services
from circulation.models import Loan
from privacy import retention, served
from privacy.access import log_access
from privacy.access_summary import access_days
from privacy.services import legal_hold_place
from tests.factories import DEFAULT_PIN, BranchFactory, CardFactory, ItemFactory, PatronFactory

pytestmark = pytest.mark.django_db

DAY = datetime.timedelta(days=1)


def _request(user, address="198.51.100.7", branch_name="Main"):
    request = RequestFactory().get("/", REMOTE_ADDR=address)
    request.user = user
    request.session = {"calumet_desk": {"branch_name": branch_name}}
    return request


def _entries(patron):
    return list(
        LogEntry.objects.filter(
            action=LogEntry.Action.ACCESS, additional_data__patron=patron.pk
        ).order_by("timestamp", "pk")
    )


@pytest.fixture
def served_then_looked_at(clerk, librarian):
    """A patron served at the Main check-out desk (a loan, returned) and signed in online,
    and whose record a librarian opened outside any transaction, all before tonight."""
    branch = BranchFactory(code="MAIN", name="Main")
    patron = PatronFactory()
    card = CardFactory(patron=patron, number="21234666600001")
    item = ItemFactory(branch=branch)
    checkout = services.loan_checkout(
        card_number=card.number, barcode=item.barcode, actor=clerk, branch=branch
    )
    log_access([patron, checkout], request=_request(clerk), page="desk:checkout")
    services.loan_return(barcode=item.barcode, actor=clerk, branch=branch)
    portal = Client(REMOTE_ADDR="203.0.113.9")
    portal.post(reverse("portal:login"), {"card_number": card.number, "pin": DEFAULT_PIN})
    looker = Client(REMOTE_ADDR="192.0.2.44")
    looker.force_login(librarian)
    assert looker.get(reverse("admin:patrons_patron_change", args=[patron.pk])).status_code == 200
    return patron


def test_entries_say_when_they_are_the_patrons_own_transaction(served_then_looked_at):
    served = {
        (e.additional_data["page"], e.additional_data.get("served"))
        for e in _entries(served_then_looked_at)
    }
    assert served == {
        ("desk:checkout", "desk"),
        ("portal:login", "portal"),
        ("admin:patrons.patron:change", None),
    }


def test_the_expunge_reduces_the_transaction_and_keeps_the_look(served_then_looked_at, librarian):
    patron = served_then_looked_at
    look_before = [e for e in _entries(patron) if "served" not in e.additional_data]
    retention.expunge(now=timezone.now() + datetime.timedelta(seconds=1))

    after = _entries(patron)
    look_after = [e for e in after if "served" not in e.additional_data]
    assert [
        (e.pk, e.timestamp, e.actor_id, e.remote_addr, e.additional_data) for e in look_after
    ] == [(e.pk, e.timestamp, e.actor_id, e.remote_addr, e.additional_data) for e in look_before]
    assert look_after[0].actor_id == librarian.pk and look_after[0].remote_addr == "192.0.2.44"

    month = timezone.localtime().replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    reduced = sorted(
        (
            (e.timestamp, e.actor_id, e.remote_addr, e.additional_data)
            for e in after
            if "served" in e.additional_data
        ),
        key=lambda row: row[3]["served"],
    )
    assert reduced == [
        (month, None, None, {"patron": patron.pk, "served": "desk", "month": f"{month:%Y-%m}"}),
        (month, None, None, {"patron": patron.pk, "served": "portal", "month": f"{month:%Y-%m}"}),
    ]


def test_a_second_run_keeps_one_entry_per_month_and_channel(served_then_looked_at, clerk):
    patron = served_then_looked_at
    retention.expunge(now=timezone.now() + datetime.timedelta(seconds=1))
    branch = BranchFactory(code="MAIN")
    item = ItemFactory(branch=branch)
    card = patron.cards.get()
    loan = services.loan_checkout(
        card_number=card.number, barcode=item.barcode, actor=clerk, branch=branch
    )
    log_access([patron, loan], request=_request(clerk), page="desk:checkout")
    services.loan_return(barcode=item.barcode, actor=clerk, branch=branch)
    retention.expunge(now=timezone.now() + datetime.timedelta(seconds=1))
    served = [e for e in _entries(patron) if "served" in e.additional_data]
    assert sorted(e.additional_data["served"] for e in served) == ["desk", "portal"]


def test_a_patron_with_nothing_removed_keeps_the_detail(clerk):
    """Nothing of theirs closed: the entries still say who served them, where and when."""
    branch = BranchFactory(code="MAIN", name="Main")
    patron = PatronFactory()
    card = CardFactory(patron=patron, number="21234666600002")
    item = ItemFactory(branch=branch)
    loan = services.loan_checkout(
        card_number=card.number, barcode=item.barcode, actor=clerk, branch=branch
    )
    log_access([patron, loan], request=_request(clerk), page="desk:checkout")
    before = [(e.pk, e.timestamp, e.additional_data) for e in _entries(patron)]
    retention.expunge(now=timezone.now() + datetime.timedelta(seconds=1))
    assert [(e.pk, e.timestamp, e.additional_data) for e in _entries(patron)] == before
    days = access_days(patron, 365)
    assert "Main" in days[0]["lines"][0]["who"]
    assert "during a check-out" in days[0]["lines"][0]["what"]


def test_the_patron_reads_who_served_them_and_who_looked(served_then_looked_at, settings):
    patron = served_then_looked_at
    retention.expunge(now=timezone.now() + datetime.timedelta(seconds=1))
    portal = Client()
    portal.post(
        reverse("portal:login"),
        {"card_number": patron.cards.get().number, "pin": DEFAULT_PIN},
    )
    page = portal.get(reverse("portal:access")).content.decode()
    month = timezone.localtime().strftime("%B %Y")
    assert f"During {month}" in page
    assert "served you at the desk" in page
    assert "you used your account online" in page.lower()
    # The librarian's look, outside a transaction: its day, role and purpose.

    text = " ".join(re.sub(r"<[^>]+>", " ", page.split("<main", 1)[-1]).split())
    assert (
        "Librarian: opened your library card and your registration in the patron records" in text
    ), text


def test_a_patron_under_a_legal_hold_keeps_the_detail(served_then_looked_at, director):
    """Records a court asked to keep may be what the entries were about: while a hold is
    pending, the patron's transaction entries are kept as written, even when records the
    hold does not cover are removed."""
    patron = served_then_looked_at
    legal_hold_place(patron=patron, reason="Subpoena", actor=director, kinds=["fine"])
    before = [(e.pk, e.timestamp, e.additional_data) for e in _entries(patron)]
    retention.expunge(now=timezone.now() + datetime.timedelta(seconds=1))
    assert not Loan.objects.filter(patron=patron).exists()  # the loan was not held
    assert [(e.pk, e.timestamp, e.additional_data) for e in _entries(patron)] == before


def test_an_entry_late_on_a_months_last_day_is_reduced_to_that_local_month(clerk):
    """23:30 on 31 March in the library's time zone is already April in UTC: the entry
    goes to March, stamped at March's first local midnight, on either database."""
    patron = PatronFactory()
    zone = timezone.get_current_timezone()
    late = datetime.datetime(2025, 3, 31, 23, 30, tzinfo=zone)
    early = datetime.datetime(2025, 4, 1, 0, 30, tzinfo=zone)
    for moment, channel in ((late, "desk"), (early, "desk"), (late, "portal")):
        log_access([patron], request=_request(clerk), page="desk:checkout")
        entry = LogEntry.objects.filter(additional_data__patron=patron.pk).latest("pk")
        assert entry.additional_data["served"] == "desk"
        entry.timestamp = moment
        entry.additional_data = {**entry.additional_data, "served": channel}
        entry.save(update_fields=["timestamp", "additional_data"])
    months = served.reduce_served([patron.pk], before=timezone.now())
    march = datetime.datetime(2025, 3, 1, tzinfo=zone)
    april = datetime.datetime(2025, 4, 1, tzinfo=zone)
    assert months == {march, april}
    reduced = sorted(
        (e.timestamp, e.additional_data["served"], e.additional_data["month"])
        for e in _entries(patron)
    )
    assert reduced == [
        (march, "desk", "2025-03"),
        (march, "portal", "2025-03"),
        (april, "desk", "2025-04"),
    ]
