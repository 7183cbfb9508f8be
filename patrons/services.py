"""State changes and checks of the patrons app. See DESIGN.md section 7."""

import datetime

from django.utils import timezone

from .exceptions import CardRefused
from .models import Card, Patron, PatronBlock


def card_resolve(*, card_number: str, now: datetime.datetime | None = None) -> Card:
    """The active, unexpired card with this number, with its patron; refuses otherwise.

    The messages are for staff at the desk. (The portal shows one message for every
    refusal so that it cannot be used to learn which cards exist.)
    """
    now = now or timezone.now()
    number = (card_number or "").strip()
    card = Card.objects.select_related("patron").filter(number=number).first()
    if card is None:
        raise CardRefused("No library card has that number.", code="unknown_card")
    if card.status == Card.Status.LOST:
        raise CardRefused(
            "This card was reported lost. Check the patron's ID and issue a new card.",
            code="lost_card",
        )
    if card.status == Card.Status.REPLACED:
        raise CardRefused("This card has been replaced by a newer card.", code="replaced_card")
    patron = card.patron
    if (
        card.status == Card.Status.EXPIRED
        or patron.status == Patron.Status.EXPIRED
        or patron.card_expires_on < timezone.localdate(now)
    ):
        raise CardRefused(
            f"This card expired on {patron.card_expires_on:%b %d, %Y}. "
            "Renew the patron's registration first.",
            code="expired_card",
        )
    return card


def blocks_in_force(*, patron: Patron, now: datetime.datetime | None = None) -> list[PatronBlock]:
    now = now or timezone.now()
    return [block for block in patron.blocks.all() if block.in_force(now)]


def describe_block(block: PatronBlock) -> str:
    until = (
        f"until {timezone.localtime(block.ends_at):%b %d, %Y}" if block.ends_at else "until lifted"
    )
    return f"{block.get_reason_display()} ({until})"


def patron_touch(*, patron: Patron, now: datetime.datetime | None = None) -> None:
    """Record activity: retention of a registration counts from the last activity."""
    now = now or timezone.now()
    Patron.objects.filter(pk=patron.pk).update(last_activity_at=now)
    patron.last_activity_at = now
