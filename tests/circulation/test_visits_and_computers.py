"""Visits counted per branch and day, and public computer sessions."""

import pytest
from django.utils import timezone

from circulation import services
from circulation.exceptions import CirculationRefusal, CirculationRefused
from circulation.models import ComputerSession, VisitCount
from tests.factories import (
    BranchFactory,
    CardFactory,
)

pytestmark = pytest.mark.django_db


def test_visits_count_per_branch_and_day():
    branch = BranchFactory()
    card = CardFactory()
    services.visit_record(card_number=card.number, branch=branch, actor=None)
    services.visit_record(card_number=card.number, branch=branch, actor=None)
    assert VisitCount.objects.get(branch=branch, day=timezone.localdate()).count == 2


def test_public_computer_sessions():
    branch = BranchFactory()
    card, other = CardFactory(), CardFactory()
    first = services.computer_session_start(
        card_number=card.number, branch=branch, workstation="PC-01", actor=None
    )
    with pytest.raises(CirculationRefused) as busy:
        services.computer_session_start(
            card_number=other.number, branch=branch, workstation="PC-01", actor=None
        )
    assert busy.value.code == CirculationRefusal.WORKSTATION_BUSY
    services.computer_session_start(
        card_number=card.number, branch=branch, workstation="PC-02", actor=None
    )
    first.refresh_from_db()
    assert first.ended_at is not None  # one computer at a time
    session = ComputerSession.objects.get(workstation="PC-02")
    services.computer_session_end(session=session, actor=None)
    with pytest.raises(CirculationRefused):
        services.computer_session_end(session=session, actor=None)
