"""Holds not picked up in time, and a waiting hold cancelled."""

import datetime

import pytest

from circulation import services, tasks
from circulation.models import Hold, Item
from tests.factories import (
    HoldFactory,
)

pytestmark = pytest.mark.django_db


def test_unclaimed_holds_expire_and_the_item_goes_to_the_next_patron(now):
    expired = HoldFactory(waiting=True)
    Hold.objects.filter(pk=expired.pk).update(pickup_by=now - datetime.timedelta(hours=1))
    next_in_line = HoldFactory(title=expired.title, pickup_branch=expired.pickup_branch)
    still_time = HoldFactory(waiting=True)
    item_id = expired.item_id
    assert tasks.expire_unclaimed_holds() == 1
    expired.refresh_from_db()
    next_in_line.refresh_from_db()
    assert expired.status == Hold.Status.EXPIRED and expired.closed_at is not None
    assert next_in_line.status == Hold.Status.WAITING
    assert next_in_line.item_id == item_id
    assert Hold.objects.get(pk=still_time.pk).status == Hold.Status.WAITING


def test_cancelling_a_waiting_hold_puts_the_item_back(now):
    hold = HoldFactory(waiting=True)
    services.hold_cancel(hold=hold, actor=None)
    assert Item.objects.get(pk=hold.item_id).status == Item.Status.AVAILABLE
