"""The Visits and computers desk page: gate counts add to the branch's daily visits;
computer sessions start and end; bad input changes nothing."""

import datetime

import pytest
from django.utils import timezone

from circulation import services
from circulation.exceptions import CirculationRefusal
from circulation.models import ComputerSession, VisitCount

pytestmark = pytest.mark.django_db
PAGE = "/admin/circulation/visits/"


def test_a_gate_count_adds_to_the_days_visits(desk, branch, card, clerk):
    services.visit_record(card_number=card.number, branch=branch, actor=clerk)
    response = desk.post(PAGE, {"action": "gate", "count": "312"}, follow=True)
    assert b"Gate count added: 313 visits" in response.content
    assert VisitCount.objects.get(branch=branch, day=timezone.localdate()).count == 313


def test_the_gate_count_says_the_day_as_the_rest_of_the_desk_does(desk):
    """ "Dec 1", as the desk's other pages say it, not "Dec 01"."""
    first = (timezone.localdate() - datetime.timedelta(days=40)).replace(day=1)
    response = desk.post(PAGE, {"action": "gate", "count": "9", "day": first}, follow=True)
    assert f"Gate count added: 9 visits on {first:%b} 1.".encode() in response.content


@pytest.mark.parametrize("count", ["", "many", "0", "-4", "1000001"])
def test_a_bad_gate_count_changes_nothing(desk, count):
    response = desk.post(PAGE, {"action": "gate", "count": count}, follow=True)
    assert b"Nothing was changed." in response.content
    assert not VisitCount.objects.exists()


def test_a_gate_count_for_tomorrow_is_refused(branch, clerk, refused):
    tomorrow = timezone.localdate() + datetime.timedelta(days=1)
    refused(
        lambda: services.gate_count_record(branch=branch, day=tomorrow, count=5, actor=clerk),
        code=CirculationRefusal.DAY,
    )


def test_start_and_end_a_computer_session(desk, card, branch):
    desk.post(PAGE, {"action": "start", "card_number": card.number, "workstation": "PC-04"})
    session = ComputerSession.objects.get()
    page = desk.get(PAGE).content.decode()
    assert "PC-04" in page and "…0001" in page and card.patron.last_name not in page
    desk.post(PAGE, {"action": "end", "session": session.pk})
    assert ComputerSession.objects.get().ended_at is not None
    response = desk.post(PAGE, {"action": "end", "session": "x"}, follow=True)
    assert b"Choose a session from the list." in response.content
