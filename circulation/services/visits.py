"""Visits at the entrance and public computer sessions."""

from __future__ import annotations

import datetime

from django.db import IntegrityError, transaction
from django.db.models import Sum
from django.utils import timezone

from circulation import signals
from circulation.exceptions import CirculationRefusal, CirculationRefused
from circulation.models import Branch, ComputerSession, Visit, VisitCount
from circulation.services._common import _now, _refuse_if_blocked
from patrons.selectors import card_resolve
from patrons.services import patron_touch
from privacy.acting import service


@service
def visit_record(
    *, card_number: str, branch: Branch, actor, now: datetime.datetime | None = None
) -> Visit:
    """A card scanned at the entrance: a visit, and one more in the branch's daily count."""
    now = _now(now)
    with transaction.atomic():
        card = card_resolve(card_number=card_number, now=now)
        visit = Visit.objects.create(patron=card.patron, branch=branch, visited_at=now)
        signals.visit(branch_id=branch.pk, now=now)
        patron_touch(patron=card.patron, now=now)
        return visit


@service
def computer_session_start(
    *,
    card_number: str,
    branch: Branch,
    workstation: str,
    actor,
    now: datetime.datetime | None = None,
) -> ComputerSession:
    now = _now(now)
    workstation = (workstation or "").strip()
    if not workstation:
        raise CirculationRefused(CirculationRefusal.WORKSTATION)
    with transaction.atomic():
        card = card_resolve(card_number=card_number, now=now)
        _refuse_if_blocked(card.patron, now, "Computer use")
        # One computer at a time: a session left open elsewhere is ended.
        for left_open in ComputerSession.objects.select_for_update().filter(
            patron=card.patron, ended_at__isnull=True
        ):
            left_open.ended_at = max(now, left_open.started_at)
            left_open.save(update_fields=["ended_at"])
            signals.computer_use(
                branch_id=left_open.branch_id,
                started_at=left_open.started_at,
                ended_at=left_open.ended_at,
            )
        try:
            with transaction.atomic():
                session = ComputerSession.objects.create(
                    patron=card.patron, branch=branch, workstation=workstation, started_at=now
                )
        except IntegrityError:
            raise CirculationRefused(CirculationRefusal.WORKSTATION_BUSY) from None
        patron_touch(patron=card.patron, now=now)
        return session


@service
def computer_session_end(
    *, session: ComputerSession, actor, now: datetime.datetime | None = None
) -> ComputerSession:
    now = _now(now)
    with transaction.atomic():
        session = ComputerSession.objects.select_for_update().get(pk=session.pk)
        if session.ended_at is not None:
            raise CirculationRefused(CirculationRefusal.ENDED)
        session.ended_at = max(now, session.started_at)
        session.save(update_fields=["ended_at"])
        signals.computer_use(
            branch_id=session.branch_id, started_at=session.started_at, ended_at=session.ended_at
        )
        return session


#: A gate counter reading above this for one day is a typing mistake.
MAX_GATE_COUNT = 100_000


@service
def gate_count_record(
    *, branch: Branch, day: datetime.date, count, actor, now: datetime.datetime | None = None
) -> int:
    """Add a door counter's reading for one day to the branch's visit count (anonymous:
    no patron). Returns the day's new total."""
    now = _now(now)
    try:
        count = int(str(count).strip())
    except ValueError:
        raise CirculationRefused(CirculationRefusal.COUNT) from None
    if not 0 < count <= MAX_GATE_COUNT:
        raise CirculationRefused(
            f"Enter a number of visitors from 1 to {MAX_GATE_COUNT}.", code=CirculationRefusal.COUNT
        )
    if day > timezone.localdate(now):
        raise CirculationRefused(CirculationRefusal.DAY)
    moment = timezone.make_aware(datetime.datetime.combine(day, datetime.time(12)))
    with transaction.atomic():
        signals.visit(branch_id=branch.pk, now=moment, count=count)
        # The day's rows: the one counted today, and any the expunge has generalised.
        rows = VisitCount.objects.filter(branch=branch, day=day)
        return rows.aggregate(n=Sum("count"))["n"]
