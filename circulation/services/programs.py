"""Programs: sign-ups, waiting lists and attendance."""

from __future__ import annotations

import datetime

from django.db import transaction
from django.db.models import F
from django.utils.translation import gettext as _

from circulation.exceptions import CirculationRefusal, CirculationRefused
from circulation.models import Program, ProgramRegistration
from circulation.services._common import _now
from patrons.models import Patron
from patrons.services import patron_touch
from privacy.acting import service


@service
def program_register(
    *, program: Program, patron: Patron, actor, now: datetime.datetime | None = None
) -> ProgramRegistration:
    """Sign a patron up; when the program is full they join the waiting list."""
    now = _now(now)
    with transaction.atomic():
        program = Program.objects.select_for_update().get(pk=program.pk)
        if program.ends_at <= now:
            raise CirculationRefused(CirculationRefusal.PAST)
        if (
            ProgramRegistration.objects.filter(program=program, patron=patron)
            .exclude(status=ProgramRegistration.Status.CANCELLED)
            .exists()
        ):
            raise CirculationRefused(
                _("Already signed up for this program."), code=CirculationRefusal.DUPLICATE
            )
        taken = ProgramRegistration.objects.filter(
            program=program, status=ProgramRegistration.Status.REGISTERED
        ).count()
        full = program.capacity is not None and taken >= program.capacity
        registration = ProgramRegistration.objects.create(
            program=program,
            patron=patron,
            registered_at=now,
            status=(
                ProgramRegistration.Status.WAITLISTED
                if full
                else ProgramRegistration.Status.REGISTERED
            ),
        )
        if not full:
            Program.objects.filter(pk=program.pk).update(
                registration_count=F("registration_count") + 1
            )
        patron_touch(patron=patron, now=now)
        return registration


@service
def program_cancel_registration(
    *, registration: ProgramRegistration, actor, now: datetime.datetime | None = None
) -> ProgramRegistration:
    now = _now(now)
    with transaction.atomic():
        registration = ProgramRegistration.objects.select_for_update().get(pk=registration.pk)
        if registration.status == ProgramRegistration.Status.CANCELLED:
            raise CirculationRefused(CirculationRefusal.CANCELLED)
        was_registered = registration.status == ProgramRegistration.Status.REGISTERED
        registration.status = ProgramRegistration.Status.CANCELLED
        registration.cancelled_at = now
        registration.save(update_fields=["status", "cancelled_at"])
        if was_registered:
            Program.objects.filter(pk=registration.program_id).update(
                registration_count=F("registration_count") - 1
            )
            first_waiting = (
                ProgramRegistration.objects.select_for_update()
                .filter(
                    program_id=registration.program_id,
                    status=ProgramRegistration.Status.WAITLISTED,
                )
                .order_by("registered_at", "pk")
                .first()
            )
            if first_waiting is not None:
                first_waiting.status = ProgramRegistration.Status.REGISTERED
                first_waiting.save(update_fields=["status"])
                Program.objects.filter(pk=registration.program_id).update(
                    registration_count=F("registration_count") + 1
                )
        return registration


@service
def program_mark_attended(*, registration: ProgramRegistration, actor) -> ProgramRegistration:
    """Tick a patron present. The program's attendance count outlives the sign-up."""
    with transaction.atomic():
        registration = ProgramRegistration.objects.select_for_update().get(pk=registration.pk)
        if registration.status == ProgramRegistration.Status.CANCELLED:
            raise CirculationRefused(
                "This sign-up was cancelled.", code=CirculationRefusal.CANCELLED
            )
        if registration.attended:
            return registration
        registration.attended = True
        registration.save(update_fields=["attended"])
        Program.objects.filter(pk=registration.program_id).update(
            attendance_count=F("attendance_count") + 1
        )
        return registration
