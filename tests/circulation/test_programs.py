"""Programs: capacity, the waiting list and attendance."""

import datetime

import pytest
from django.utils import timezone

from circulation import services
from circulation.exceptions import CirculationRefused
from circulation.models import Program, ProgramRegistration
from tests.factories import (
    PatronFactory,
    ProgramFactory,
)

pytestmark = pytest.mark.django_db


def test_program_capacity_waiting_list_and_attendance():
    program = ProgramFactory(capacity=1)
    first, second = PatronFactory(), PatronFactory()
    a = services.program_register(program=program, patron=first, actor=None)
    b = services.program_register(program=program, patron=second, actor=None)
    assert a.status == ProgramRegistration.Status.REGISTERED
    assert b.status == ProgramRegistration.Status.WAITLISTED
    with pytest.raises(CirculationRefused):
        services.program_register(program=program, patron=first, actor=None)
    services.program_cancel_registration(registration=a, actor=None)
    b.refresh_from_db()
    assert b.status == ProgramRegistration.Status.REGISTERED
    services.program_mark_attended(registration=b, actor=None)
    services.program_mark_attended(registration=b, actor=None)
    assert Program.objects.get(pk=program.pk).attendance_count == 1
    past = ProgramFactory(
        starts_at=timezone.now() - datetime.timedelta(days=2),
        ends_at=timezone.now() - datetime.timedelta(days=1),
    )
    with pytest.raises(CirculationRefused):
        services.program_register(program=past, patron=first, actor=None)
