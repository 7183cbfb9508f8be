"""The desk pages log what they show."""

import pytest
from auditlog.models import LogEntry
from django.contrib.auth.models import Group
from django.test import Client

from staff.roles import CIRCULATION_STAFF
from tests.factories import (
    BranchFactory,
    CardFactory,
    HoldFactory,
    LoanFactory,
    StaffUserFactory,
)

pytestmark = pytest.mark.django_db


def test_desk_pages_log_what_they_show():
    clerk = StaffUserFactory(username="logging-clerk")
    clerk.groups.add(Group.objects.get(name=CIRCULATION_STAFF))
    BranchFactory()
    card = CardFactory()
    loan = LoanFactory(patron=card.patron)
    client = Client()
    client.force_login(clerk)
    client.post("/admin/circulation/checkout/", {"action": "card", "card_number": card.number})
    client.get("/admin/circulation/checkout/")
    client.post("/admin/circulation/payment/", {"action": "card", "card_number": card.number})
    client.get("/admin/circulation/payment/")
    HoldFactory(waiting=True)
    client.get("/admin/circulation/hold-shelf/?all=1")
    entries = LogEntry.objects.filter(action=LogEntry.Action.ACCESS, actor=clerk)
    pages = set(entries.values_list("additional_data__page", flat=True))
    assert {"desk:checkout", "desk:payment", "desk:hold_shelf"} <= pages
    checkout = entries.get(additional_data__page="desk:checkout")
    assert checkout.additional_data["patron"] == loan.patron_id
    assert checkout.additional_data["kinds"]["loan"] == 1
