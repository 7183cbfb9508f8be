"""State changes and checks of the patrons app. (docs/architecture.md)."""

import datetime

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.checked_writes import save_checked
from patrons.exceptions import CardRefused, PatronRefusal, Refused
from patrons.models import Card, Patron, PatronCategory, ReadingHistoryVia
from patrons.pin_attempts import pin_failed, pin_locked, pin_succeeded
from patrons.pins import pin_change as change
from patrons.selectors import card_resolve, staff_role_of
from privacy.acting import service
from privacy.erasures import journal
from privacy.models import ErasureAction
from privacy.registry import registry


def patron_touch(
    *,
    patron: Patron | None = None,
    patron_id: int | None = None,
    now: datetime.datetime | None = None,
) -> None:
    """Record activity: retention of a registration counts from the last activity.
    Takes the patron, or only its id when the patron is not loaded (saves a query).

    Only the month is kept (the local midnight of its first day), and the row is written
    at most once a month: a day would say on which day the patron was at the library, to
    be matched against the statistics of that day (check-outs per day, branch and patron
    category: docs/privacy.md, "The threat model"); an exact time, against anything else
    that kept the moment."""
    now = now or timezone.now()
    day = timezone.localtime(now).replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    Patron.objects.filter(pk=patron.pk if patron is not None else patron_id).exclude(
        last_activity_at=day
    ).update(last_activity_at=day)
    if patron is not None:
        patron.last_activity_at = day


@service
def pin_change(*, patron: Patron, new_pin: str, actor) -> Patron:
    """Store a new PIN (Argon2), audited. See `patrons.pins`."""
    return change(patron=patron, new_pin=new_pin, actor=actor)


@service
def card_report_lost(*, patron: Patron, actor, now: datetime.datetime | None = None) -> Card:
    """The patron's active card stops working at once."""
    now = now or timezone.now()
    with transaction.atomic():
        card = (
            Card.objects.select_for_update()
            .filter(patron=patron, status=Card.Status.ACTIVE)
            .first()
        )
        if card is None:
            raise CardRefused(PatronRefusal.NO_CARD)
        card.status = Card.Status.LOST
        card.status_changed_at = now
        card.save(update_fields=["status", "status_changed_at"])
        journal(ErasureAction.CARD_LOST, ref=card.pk, at=now)
        return card


def kept_history_erase(*, patron: Patron, now: datetime.datetime | None = None) -> int:
    """Expunge, now, the closed records kept only because the patron asked us to."""
    now = now or timezone.now()
    erased = 0
    for kind in registry:
        if kind.kept_by_patron is None or not kind.reaches_patron:
            continue
        closed = kind.closed_records(now).filter(**{kind.patron_lookup("pk"): patron.pk})
        erased += kind.expunge_queryset(closed, now)
    return erased


def _reading_history_write(
    *, patron: Patron, keep: bool, via: str, role: str = "", branch=None, now=None
) -> int:
    """Set the choice and record how; off erases the kept history at once."""
    now = now or timezone.now()
    with transaction.atomic():
        patron = Patron.objects.select_for_update().get(pk=patron.pk)
        erased = 0 if keep else kept_history_erase(patron=patron, now=now)
        if not keep:
            journal(ErasureAction.HISTORY_OFF, ref=patron.pk, at=now)
        patron.keep_reading_history = keep
        patron.reading_history_changed_on = timezone.localdate(now)
        patron.reading_history_via = via
        patron.reading_history_staff_role = role
        patron.reading_history_branch = branch
        patron.save(
            update_fields=[
                "keep_reading_history",
                "reading_history_changed_on",
                "reading_history_via",
                "reading_history_staff_role",
                "reading_history_branch",
            ]
        )
        return erased


@service
def reading_history_set(*, patron: Patron, keep: bool, actor) -> int:
    """The patron's own choice in the portal: turn the reading history on or off. Off
    erases the kept history at once; returns how many records were erased. Only the
    patron may call this (staff turn it off with `reading_history_off_for_patron`, and on
    only at the desk with the patron's PIN)."""
    if not isinstance(actor, Patron) or actor.pk != patron.pk:
        raise Refused(
            _("Only the patron can change their reading history here."), code=PatronRefusal.ACTOR
        )
    if patron.keep_reading_history == keep:
        return 0
    erased = _reading_history_write(patron=patron, keep=keep, via=ReadingHistoryVia.PORTAL)
    patron.refresh_from_db()
    return erased


@service
def patron_language_set(*, patron: Patron, language: str, actor) -> Patron:
    """The language of the patron's portal pages and notices ("" for not chosen): the
    patron's own choice in the portal, or staff at their request."""
    is_patron = isinstance(actor, Patron) and actor.pk == patron.pk
    if not is_patron and not getattr(actor, "is_staff", False):
        raise Refused(_("Only the patron or staff can change this."), code=PatronRefusal.ACTOR)
    if language not in ("", *(code for code, _name in settings.LANGUAGES)):
        raise Refused(PatronRefusal.LANGUAGE)
    if patron.language != language:
        patron.language = language
        patron.save(update_fields=["language"])
    return patron


@service
def reading_history_off_for_patron(*, patron: Patron, actor, branch=None) -> int:
    """Staff turn the reading history off at the patron's request (never on): the kept
    history is erased at once. Returns how many records were erased."""
    if actor is None or not getattr(actor, "is_staff", False):
        raise Refused("Only staff can do this for a patron.", code=PatronRefusal.ACTOR)
    if not patron.keep_reading_history:
        raise Refused(PatronRefusal.ALREADY_OFF)
    erased = _reading_history_write(
        patron=patron,
        keep=False,
        via=ReadingHistoryVia.STAFF_REQUEST,
        role=staff_role_of(actor),
        branch=branch,
    )
    patron.refresh_from_db()
    return erased


@service
def reading_history_on_at_desk(
    *, card_number: str, pin: str, actor, branch=None, now: datetime.datetime | None = None
) -> Patron:
    """The patron turns their reading history on at the desk, confirming with their PIN.

    A wrong PIN changes nothing and counts towards the card's lockout (the same count the
    portal's sign-in uses); a locked card is refused until the lockout ends. Call it
    outside a transaction, so that a refusal still counts the failure."""
    if actor is None or not getattr(actor, "is_staff", False):
        raise Refused("Only staff at the desk can record this.", code=PatronRefusal.ACTOR)
    card = card_resolve(card_number=card_number, now=now)
    if pin_locked(card.number, now=now):
        raise Refused(PatronRefusal.LOCKED)
    patron = card.patron
    if not pin or not patron.check_pin(pin):
        pin_failed(card.number, now=now)
        raise Refused(PatronRefusal.PIN)
    pin_succeeded(card.number)
    if patron.keep_reading_history:
        raise Refused(PatronRefusal.ALREADY_ON)
    _reading_history_write(
        patron=patron,
        keep=True,
        via=ReadingHistoryVia.DESK_PIN,
        role=staff_role_of(actor),
        branch=branch,
        now=now,
    )
    patron.refresh_from_db()
    return patron


@service
def patron_category_save(category: PatronCategory, *, actor) -> PatronCategory:
    """Add a patron category, or rename one (its code is its key: the statistics count
    under it, so it never changes; a new code is a new category)."""
    return save_checked(category, actor=actor, code=PatronRefusal.CATEGORY)
