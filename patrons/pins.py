"""PINs: the rules a new PIN must meet, temporary PINs issued by staff, the patron's own
change, and the reset by an emailed link. Every change writes an audit entry that names
the field only (the PIN hash is excluded from the audit log; the PIN itself is never
kept anywhere but as its Argon2 hash)."""

from __future__ import annotations

import secrets
from itertools import pairwise

from auditlog.models import LogEntry
from django.conf import settings
from django.contrib.auth.tokens import PasswordResetTokenGenerator
from django.contrib.contenttypes.models import ContentType
from django.core.mail import send_mail
from django.db import transaction
from django.urls import reverse
from django.utils import translation
from django.utils.http import base36_to_int
from django.utils.translation import gettext as _
from django_q import tasks as django_q_tasks

from core.hashers import hash_pin, pin_hash_outdated
from core.refusals import Refused
from patrons.exceptions import PatronRefusal
from patrons.models import Card, Patron
from patrons.pin_attempts import cool_off, pin_reset_allowed, pin_reset_counted
from privacy.acting import service

# PINs people choose first, and which anyone would try first.
COMMON_PINS = {"1212", "1122", "2580", "0852", "1004", "2000", "6969", "4321", "1313", "7777"}


def pin_problem(pin: str, card_number: str = "") -> str | None:
    """Why a new PIN is not acceptable, or None."""
    if not isinstance(pin, str) or not pin.isascii() or not pin.isdigit():
        return _("A PIN is 4 to 12 digits, nothing else.")
    if not 4 <= len(pin) <= 12:
        return _("A PIN is 4 to 12 digits.")
    if len(set(pin)) == 1:
        return _("A PIN cannot be one digit repeated, such as 0000.")
    steps = {int(b) - int(a) for a, b in pairwise(pin)}
    if steps in ({1}, {-1}, {1, -9}, {-1, 9}):
        return _("A PIN cannot be a run of digits such as 1234 or 4321.")
    half = len(pin) // 2
    if len(pin) % 2 == 0 and pin[:half] == pin[half:] and len(set(pin[:half])) <= 2:
        return _("A PIN cannot be a short pattern repeated, such as 1212.")
    if pin in COMMON_PINS:
        return _("That PIN is one of the first anyone would try. Choose another.")
    if card_number and card_number.endswith(pin):
        return _("A PIN cannot be the last digits of your card number.")
    return None


def _audit_pin_event(patron: Patron, *, actor, how: str) -> None:
    """An explicit change entry naming the field, never its value."""
    staff = actor if getattr(actor, "is_staff", False) else None
    LogEntry.objects.create(
        content_type=ContentType.objects.get_for_model(Patron),
        object_pk=str(patron.pk),
        object_id=patron.pk,
        object_repr=f"Patron #{patron.pk}",
        action=LogEntry.Action.UPDATE,
        changes={"pin": ["[hidden]", "[hidden]"]},
        changes_text="",
        actor=staff,
        actor_email=(staff.email or None) if staff else None,
        additional_data={"patron": patron.pk, "event": f"pin-{how}"},
    )


def pin_rehash(*, patron: Patron, pin: str) -> None:
    """After a PIN was accepted: keep it under today's hash if it was hashed another way
    (an older hasher, or other settings). The PIN itself is unchanged, so is when it was
    set; nothing is audited, as nothing a person could see has changed."""
    if pin_hash_outdated(patron.pin_hash):
        patron.pin_hash = hash_pin(pin)
        Patron.objects.filter(pk=patron.pk).update(pin_hash=patron.pin_hash)


def _store(patron: Patron, pin: str, *, must_change: bool) -> None:
    patron.set_pin(pin)
    patron.pin_must_change = must_change
    patron.save(update_fields=["pin_hash", "pin_changed_at", "pin_must_change"])


@service
def pin_change(*, patron: Patron, new_pin: str, actor) -> Patron:
    """The patron's own new PIN (the form has checked the current one)."""
    card = patron.active_card
    problem = pin_problem(new_pin, card.number if card else "")
    if problem:
        raise Refused(problem, code=PatronRefusal.WEAK_PIN)
    with transaction.atomic():
        _store(patron, new_pin, must_change=False)
        _audit_pin_event(patron, actor=actor, how="changed")
    return patron


def temporary_pin() -> str:
    """Six random digits that pass the rules."""
    while True:
        pin = f"{secrets.randbelow(10**6):06d}"
        if pin_problem(pin) is None:
            return pin


@service
def pin_issue_temporary(*, patron: Patron, actor) -> str:
    """Staff give the patron a temporary PIN, shown once (on the registration slip); the
    patron must choose their own at the first portal sign-in. Returns the PIN."""
    if not getattr(actor, "is_staff", False):
        raise Refused("Only staff issue a temporary PIN.", code=PatronRefusal.ACTOR)
    pin = temporary_pin()
    with transaction.atomic():
        _store(patron, pin, must_change=True)
        _audit_pin_event(patron, actor=actor, how="issued")
    return pin


@service
def pin_require_reset(*, patron: Patron, actor) -> None:
    """No usable PIN (imported patrons): the patron resets it by email or at the desk."""
    with transaction.atomic():
        patron.pin_hash = ""
        patron.pin_must_change = True
        patron.save(update_fields=["pin_hash", "pin_must_change"])
        _audit_pin_event(patron, actor=actor, how="reset-required")


class PinResetTokens(PasswordResetTokenGenerator):
    """Django's password-reset tokens, keyed on the PIN hash: a used link (the PIN has
    changed) or a PIN changed any other way invalidates every link sent before."""

    key_salt = "calumet.patrons.pins.PinResetTokens"

    def _make_hash_value(self, patron, timestamp):
        changed = patron.pin_changed_at.replace(microsecond=0) if patron.pin_changed_at else ""
        return f"{patron.pk}{patron.pin_hash}{changed}{timestamp}"

    def check_token(self, patron, token):
        if not patron or not isinstance(token, str) or not super().check_token(patron, token):
            return False
        try:
            issued = base36_to_int(token.split("-")[0])
        except ValueError:
            return False
        age = self._num_seconds(self._now()) - issued
        return age <= settings.CALUMET_PIN_RESET_MINUTES * 60


tokens = PinResetTokens()


def pin_reset_request(*, card_number: str, email: str, address: str | None, origin: str) -> None:
    """Ask for a reset link for this card and email. The email is sent by the worker
    (`patrons.tasks.send_pin_reset`), and one task is queued whether or not the pair
    matched, so the answer takes the same time and says nothing either way. The task
    carries the patron's id (0: nothing matched) and the site's origin (`https://host`),
    never a card number or an email address: django-q2 stores task arguments.

    Refused (the same words whatever matched) when the card or the client's address
    (`core.client.lockout_address`) has asked too often within the lockout window
    (`patrons.pin_attempts`)."""
    number = "".join((card_number or "").split())
    email = (email or "").strip()
    if not pin_reset_allowed(number, address):
        minutes = max(int(_cool_off_minutes()), 1)
        raise PatronRefusal.TOO_MANY.refuse(minutes=minutes)
    pin_reset_counted(number, address)
    card = (
        Card.objects.select_related("patron")
        .filter(number=number, status=Card.Status.ACTIVE, patron__status=Patron.Status.ACTIVE)
        .first()
        if number.isdigit() and len(number) == 14 and email
        else None
    )
    matched = (
        card is not None and bool(card.patron.email) and card.patron.email.lower() == email.lower()
    )
    django_q_tasks.async_task(
        "patrons.tasks.send_pin_reset", card.patron.pk if matched else 0, origin, group="notices"
    )


def _cool_off_minutes() -> float:
    return cool_off().total_seconds() / 60


def pin_reset_send(*, patron_id: int, origin: str) -> int:
    """In the worker: email the patron a link to choose a new PIN, in their language, if
    the account is still active and has an email. Returns the number of emails."""
    patron = (
        Patron.objects.filter(pk=patron_id, status=Patron.Status.ACTIVE).first()
        if patron_id
        else None
    )
    if patron is None or not patron.email:
        return 0
    minutes = settings.CALUMET_PIN_RESET_MINUTES
    link = origin.rstrip("/") + reverse("portal:pin_reset_link", args=[tokens.make_token(patron)])
    # In the patron's language, whatever the page was shown in.
    with translation.override(patron.notice_language):
        subject = _("%(library)s: choose a new PIN") % {"library": settings.CALUMET_LIBRARY_NAME}
        message = _(
            "Someone asked to reset the PIN of your library account.\n\n"
            "To choose a new PIN, open this link within %(minutes)s minutes:\n\n"
            "%(link)s\n\n"
            "The link works once. If you did not ask for it, ignore this email: "
            "your PIN has not changed.\n"
        ) % {"minutes": minutes, "link": link}
    send_mail(subject=subject, message=message, from_email=None, recipient_list=[patron.email])
    return 1


def pin_reset_confirm(*, card_number: str, token: str, new_pin: str) -> Patron:
    """Set the PIN chosen through a reset link. One refusal for a wrong card or a used or
    expired link, so the form says nothing about which cards exist."""
    number = "".join((card_number or "").split())
    card = (
        Card.objects.select_related("patron")
        .filter(number=number, status=Card.Status.ACTIVE, patron__status=Patron.Status.ACTIVE)
        .first()
        if number.isdigit() and len(number) == 14
        else None
    )
    patron = card.patron if card else None
    if patron is None or not tokens.check_token(patron, token):
        raise Refused(PatronRefusal.TOKEN)
    problem = pin_problem(new_pin, number)
    if problem:
        raise Refused(problem, code=PatronRefusal.WEAK_PIN)
    with transaction.atomic():
        _store(patron, new_pin, must_change=False)
        _audit_pin_event(patron, actor=patron, how="reset")
    patron.refresh_from_db()
    return patron
