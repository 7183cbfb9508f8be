"""Services for patron accounts at the desk: registration (with the duplicate check),
renewal, card replacement, changes to a patron's details, and blocks placed and lifted.
Every write of these models goes through here, with the staff member as the actor."""

from __future__ import annotations

import datetime

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from core.refusals import Refused
from patrons.cards import card_number_problem, new_card_number
from patrons.exceptions import PatronRefusal
from patrons.models import Card, Patron, PatronBlock
from privacy.acting import service

REGISTRATION_FIELDS = (
    "first_name",
    "last_name",
    "birth_date",
    "email",
    "phone",
    "address_line1",
    "address_line2",
    "city",
    "postal_code",
    "category",
    "home_branch",
    "language",
)
# Fields staff may change on a patron's admin page (the rest change through services).
EDITABLE_FIELDS = (*REGISTRATION_FIELDS, "status", "card_expires_on")


def require_staff(actor):
    """The staff member a desk service acts for; anyone else is refused."""
    if actor is None or not getattr(actor, "is_staff", False):
        raise Refused(PatronRefusal.ACTOR)
    return actor


def _years_from(day: datetime.date, years: int) -> datetime.date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


def card_expiry(today: datetime.date | None = None) -> datetime.date:
    return _years_from(today or timezone.localdate(), settings.CALUMET_CARD_YEARS)


def possible_duplicates(
    *, first_name: str, last_name: str, birth_date=None, address_line1: str = "", exclude=None
):
    """Patrons with the same name and birth date, or the same name and address."""
    same_name = Q(first_name__iexact=first_name.strip(), last_name__iexact=last_name.strip())
    either = Q(pk__in=[])
    if birth_date:
        either |= Q(birth_date=birth_date)
    if address_line1.strip():
        either |= Q(address_line1__iexact=address_line1.strip())
    found = Patron.objects.filter(same_name & either)
    if exclude is not None:
        found = found.exclude(pk=exclude.pk)
    return found.order_by("pk")


def _card_taken(number: str) -> bool:
    return Card.objects.filter(number=number).exists()


def _issue_card(patron: Patron, number: str | None, now) -> Card:
    if number:
        number = "".join(number.split())
        problem = card_number_problem(number)
        if problem:
            raise Refused(problem, code=PatronRefusal.CARD_NUMBER)
        if _card_taken(number):
            raise Refused(PatronRefusal.CARD_TAKEN)
    else:
        number = new_card_number(taken=_card_taken)
    try:
        with transaction.atomic():
            return Card.objects.create(patron=patron, number=number, issued_at=now)
    except IntegrityError:
        raise Refused(PatronRefusal.CARD_TAKEN) from None


@service
def patron_register(
    *,
    actor,
    card_number: str | None = None,
    confirm_duplicate: bool = False,
    now: datetime.datetime | None = None,
    **details,
) -> tuple[Patron, Card]:
    """Register a patron at the desk and issue their card (typed or generated).

    Refused with code "duplicate" when a patron with the same name and birth date, or
    the same name and address, exists, unless the clerk confirmed it is someone else."""
    require_staff(actor)
    now = now or timezone.now()
    unknown = set(details) - set(REGISTRATION_FIELDS)
    if unknown:
        raise TypeError(f"unknown fields: {sorted(unknown)}")
    for name in ("first_name", "last_name"):
        details[name] = (details.get(name) or "").strip()
        if not details[name]:
            raise Refused(PatronRefusal.NAME)
    if (
        not confirm_duplicate
        and possible_duplicates(
            first_name=details["first_name"],
            last_name=details["last_name"],
            birth_date=details.get("birth_date"),
            address_line1=details.get("address_line1") or "",
        ).exists()
    ):
        raise Refused(PatronRefusal.DUPLICATE)
    with transaction.atomic():
        patron = Patron(
            **details,
            registered_at=now,
            card_expires_on=card_expiry(timezone.localdate(now)),
            pin_must_change=True,
        )
        patron.full_clean(exclude=["card_expires_on", "registered_at"])
        patron.save()
        card = _issue_card(patron, card_number, now)
    return patron, card


@service
def patron_update(*, patron: Patron, changed: list[str], actor) -> Patron:
    """Save the details staff changed on the patron's page (only editable fields)."""
    require_staff(actor)
    fields = [name for name in changed if name in EDITABLE_FIELDS]
    if fields:
        patron.save(update_fields=fields)
    return patron


@service
def registration_renew(*, patron: Patron, actor, now: datetime.datetime | None = None) -> Patron:
    """Extend the registration by CALUMET_CARD_YEARS from today (or from its end, if
    later); the patron and their card are active again."""
    require_staff(actor)
    today = timezone.localdate(now or timezone.now())
    with transaction.atomic():
        patron = Patron.objects.select_for_update().get(pk=patron.pk)
        patron.card_expires_on = _years_from(
            max(today, patron.card_expires_on), settings.CALUMET_CARD_YEARS
        )
        patron.status = Patron.Status.ACTIVE
        patron.save(update_fields=["card_expires_on", "status"])
        Card.objects.filter(patron=patron, status=Card.Status.EXPIRED).filter(
            pk=Card.objects.filter(patron=patron).order_by("-issued_at").values("pk")[:1]
        ).update(status=Card.Status.ACTIVE, status_changed_at=now or timezone.now())
    return patron


REPLACEMENT_REASONS = {
    "lost": Card.Status.LOST,
    "stolen": Card.Status.STOLEN,
    "damaged": Card.Status.DAMAGED,
}


@service
def card_replace(
    *,
    patron: Patron,
    reason: str,
    actor,
    card_number: str | None = None,
    now: datetime.datetime | None = None,
) -> Card:
    """A new card for a lost, stolen or damaged one. The old card is refused from now on
    (desk and portal); loans, holds, fines and history are the patron's, so they follow."""
    require_staff(actor)
    if reason not in REPLACEMENT_REASONS:
        raise Refused(PatronRefusal.REASON)
    now = now or timezone.now()
    with transaction.atomic():
        Patron.objects.select_for_update().filter(pk=patron.pk).first()
        old = Card.objects.filter(patron=patron, status=Card.Status.ACTIVE).first()
        if old is not None:
            old.status = REPLACEMENT_REASONS[reason]
            old.status_changed_at = now
            old.save(update_fields=["status", "status_changed_at"])
        else:
            # Already reported lost in the portal: that card keeps its status.
            Card.objects.filter(patron=patron, status=Card.Status.LOST).update(
                status_changed_at=now
            )
        return _issue_card(patron, card_number, now)


@service
def block_place(
    *,
    patron: Patron,
    reason: str,
    actor,
    note: str = "",
    ends_at: datetime.datetime | None = None,
    now: datetime.datetime | None = None,
) -> PatronBlock:
    require_staff(actor)
    now = now or timezone.now()
    if reason not in PatronBlock.Reason.values:
        raise Refused("Choose a reason for the block.", code=PatronRefusal.REASON)
    if ends_at is not None and ends_at <= now:
        raise Refused(PatronRefusal.ENDS_AT)
    return PatronBlock.objects.create(
        patron=patron,
        reason=reason,
        note=(note or "").strip()[:300],
        starts_at=now,
        ends_at=ends_at,
        created_by=actor,
    )


@service
def block_place_by_machine(
    *, patron: Patron, note: str, actor, now: datetime.datetime | None = None
) -> PatronBlock:
    """A self-check machine blocks a card (SIP2 block patron: a card left in it, or
    tampering). The block's reason says so, and only such blocks may a machine lift
    (`blocks_lift_by_machine`); staff lift any. `note` names the machine, never the
    patron. A machine's block already in force is kept (a message sent twice blocks
    once)."""
    now = now or timezone.now()
    with transaction.atomic():
        Patron.objects.select_for_update().filter(pk=patron.pk).first()
        for block in PatronBlock.objects.filter(
            patron=patron, reason=PatronBlock.Reason.KIOSK, lifted_at__isnull=True
        ):
            if block.in_force(now):
                return block
        return PatronBlock.objects.create(
            patron=patron,
            reason=PatronBlock.Reason.KIOSK,
            note=(note or "").strip()[:300],
            starts_at=now,
        )


@service
def blocks_lift_by_machine(
    *, patron: Patron, actor, now: datetime.datetime | None = None
) -> list[PatronBlock]:
    """Lift the blocks in force that self-check machines placed on this patron (SIP2
    patron enable); a block staff placed stays. Returns the blocks lifted."""
    now = now or timezone.now()
    with transaction.atomic():
        blocks = [
            block
            for block in PatronBlock.objects.select_for_update().filter(
                patron=patron, reason=PatronBlock.Reason.KIOSK, lifted_at__isnull=True
            )
            if block.in_force(now)
        ]
        for block in blocks:
            block.lifted_at = now
            block.save(update_fields=["lifted_at"])
    return blocks


@service
def block_lift(*, block: PatronBlock, actor, now: datetime.datetime | None = None) -> PatronBlock:
    require_staff(actor)
    now = now or timezone.now()
    with transaction.atomic():
        block = PatronBlock.objects.select_for_update().get(pk=block.pk)
        if block.lifted_at is not None:
            raise Refused(PatronRefusal.LIFTED)
        block.lifted_at = now
        block.lifted_by = actor
        block.save(update_fields=["lifted_at", "lifted_by"])
    return block
