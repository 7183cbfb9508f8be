"""Online sign-up: a resident applies from home, confirms by email, and collects the card
at a desk, where staff check identity and the application becomes a patron.

The application (`SignUp`) holds only the fields the library asks for
(`CALUMET_SIGNUP_FIELDS`); it reaches no patron, and an application never collected is
expunged after its retention (record kind "signup", 30 days by default). The
confirmation link carries a signed token (the application's id and reference), never
the email address. The form resists abuse without third parties: a count per client
address through the lockout (`patrons.pin_attempts.signup_allowed`), a honeypot field,
and one application per email address (a second one sends a reminder, creates nothing).
"""

from __future__ import annotations

import datetime
import secrets

from django.conf import settings
from django.core import signing
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django_q import tasks as django_q_tasks

from core.refusals import Refused
from patrons import accounts
from patrons.exceptions import PatronRefusal
from patrons.models import Patron, SignUp
from patrons.pin_attempts import cool_off, signup_allowed, signup_counted
from privacy.acting import service
from privacy.registry import registry
from privacy.retention import retention_days

#: Always asked: what a card and the confirmation need.
ALWAYS = ("first_name", "last_name", "email")
#: What a library may add to the form (settings: CALUMET_SIGNUP_FIELDS).
OPTIONAL = (
    "birth_date",
    "address_line1",
    "address_line2",
    "city",
    "postal_code",
    "phone",
    "home_branch",
    "language",
)
SIGNING_SALT = "calumet.patrons.signup"
REFERENCE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I


def signup_fields() -> tuple[str, ...]:
    """The fields the public form asks for, in the form's order."""
    wanted = set(settings.CALUMET_SIGNUP_FIELDS)
    return ALWAYS + tuple(name for name in OPTIONAL if name in wanted)


def required_fields() -> set[str]:
    return set(ALWAYS) | (set(settings.CALUMET_SIGNUP_REQUIRED) & set(signup_fields()))


def _reference() -> str:
    while True:
        reference = "".join(secrets.choice(REFERENCE_ALPHABET) for _n in range(8))
        if not SignUp.objects.filter(reference=reference).exists():
            return reference


def make_token(signup: SignUp) -> str:
    return signing.dumps([signup.pk, signup.reference], salt=SIGNING_SALT, compress=True)


def _too_many() -> Refused:
    minutes = max(int(cool_off().total_seconds() / 60), 1)
    return PatronRefusal.SIGNUP_TOO_MANY.refuse(minutes=minutes)


@service
def signup_apply(
    *,
    details: dict,
    actor,
    address: str | None,
    origin: str,
    honeypot: str = "",
    now: datetime.datetime | None = None,
) -> SignUp | None:
    """Apply for a card online. Returns the new application, or None when nothing was
    created (a second application for the same email: a reminder is sent instead; the
    honeypot field filled in: a machine, answered as if it worked). The answer the
    applicant sees is the same either way ("check your email").

    Refused (nothing written) when this client address sent too many within the lockout
    window, or the details are not valid. The actor is None: the applicant is no one yet."""
    now = now or timezone.now()
    if not signup_allowed(address, now):
        raise _too_many()
    signup_counted(address, now)
    if honeypot:
        return None
    wanted = signup_fields()
    unknown = set(details) - set(wanted)
    if unknown:
        raise TypeError(f"unknown fields: {sorted(unknown)}")
    for name in required_fields():
        value = details.get(name)
        if value is None or (isinstance(value, str) and not value.strip()):
            raise PatronRefusal.SIGNUP_MISSING.refuse()
    cleaned = {
        name: (value.strip() if isinstance(value, str) else value)
        for name, value in details.items()
    }
    birth_date = cleaned.get("birth_date")
    if birth_date is not None and not (
        datetime.date(1900, 1, 1) <= birth_date <= timezone.localdate(now)
    ):
        raise PatronRefusal.SIGNUP_BIRTH.refuse()
    email = cleaned["email"]
    pending = SignUp.objects.filter(email__iexact=email).first()
    if pending is not None:
        _queue(pending, origin, repeated=True)
        return None
    signup = SignUp(**cleaned, created_at=now, reference=_reference())
    if not signup.language:
        signup.language = _language()
    try:
        signup.full_clean(validate_constraints=False)
    except ValidationError as error:
        problem = " ".join(m for ms in error.message_dict.values() for m in ms)
        raise PatronRefusal.SIGNUP_INVALID.refuse(problem=problem) from None
    try:
        with transaction.atomic():
            signup.save()
    except IntegrityError:  # the same email sent twice at once: one application
        pending = SignUp.objects.filter(email__iexact=email).first()
        if pending is not None:
            _queue(pending, origin, repeated=True)
        return None
    _queue(signup, origin, repeated=False)
    return signup


def _language() -> str:
    current = (translation.get_language() or "").split("-")[0]
    return current if current in dict(settings.LANGUAGES) else ""


def _queue(signup: SignUp, origin: str, *, repeated: bool) -> None:
    """Hand the email to the worker (`patrons.tasks.send_signup_confirmation`), as the PIN
    reset does: a new address and one already applied with each queue one task, so the
    answer takes the same time either way. The task carries the application's id and the
    site's origin, never the email address: django-q2 stores task arguments."""
    django_q_tasks.async_task(
        "patrons.tasks.send_signup_confirmation", signup.pk, origin, repeated, group="notices"
    )


def signup_send(*, signup_id: int, origin: str, repeated: bool) -> int:
    """In the worker: the confirmation email, in the applicant's language; on a repeated
    application a reminder (with the link again while it is not confirmed). Returns the
    number of emails (0: the application was collected or erased in the meantime)."""
    signup = SignUp.objects.filter(pk=signup_id).first()
    if signup is None:
        return 0
    link = origin.rstrip("/") + reverse("portal:signup_confirm", args=[make_token(signup)])
    hours = settings.CALUMET_SIGNUP_CONFIRM_HOURS
    with translation.override(signup.language or settings.LANGUAGE_CODE):
        subject = _("%(library)s: confirm your application for a library card") % {
            "library": settings.CALUMET_LIBRARY_NAME
        }
        if repeated and signup.confirmed_at is not None:
            body = _(
                "Someone applied again for a library card with this email address. Your "
                "application %(reference)s is already confirmed: bring a photo ID and "
                "proof of address to any branch desk to collect your card.\n\n"
                "If this was not you, ignore this email.\n"
            ) % {"reference": signup.reference}
        else:
            intro = (
                _("You have already applied for a library card with this email address.")
                if repeated
                else _("Thank you for applying for a library card.")
            )
            body = _(
                "%(intro)s\n\nTo confirm your email address, open this link within "
                "%(hours)s hours:\n\n%(link)s\n\n"
                "Then bring a photo ID and proof of address to any branch desk and give "
                "the reference %(reference)s. If you do not collect your card, your "
                "application is erased after %(days)s days.\n\n"
                "If you did not apply, ignore this email.\n"
            ) % {
                "intro": intro,
                "hours": hours,
                "link": link,
                "reference": signup.reference,
                "days": _retention_days(),
            }
    send_mail(subject=subject, message=body, from_email=None, recipient_list=[signup.email])
    return 1


def _retention_days() -> int:
    return retention_days("signup")


@service
def signup_confirm(*, token: str, actor, now: datetime.datetime | None = None) -> SignUp:
    """Confirm the email address of an application from the emailed link (the actor is
    None: the applicant is no one yet)."""
    now = now or timezone.now()
    refused = PatronRefusal.SIGNUP_TOKEN.refuse()
    try:
        pk, reference = signing.loads(
            token[:500], salt=SIGNING_SALT, max_age=settings.CALUMET_SIGNUP_CONFIRM_HOURS * 3600
        )
    except (signing.BadSignature, ValueError, TypeError):
        raise refused from None
    with transaction.atomic():
        signup = SignUp.objects.select_for_update().filter(pk=pk, reference=reference).first()
        if signup is None:
            raise refused
        if signup.confirmed_at is None:
            signup.confirmed_at = now
            signup.save(update_fields=["confirmed_at"])
    return signup


@service
def signup_collect(
    *,
    signup: SignUp,
    actor,
    card_number: str | None = None,
    confirm_duplicate: bool = False,
    now: datetime.datetime | None = None,
    **details,
) -> tuple[Patron, object]:
    """At the desk, identity checked: the application becomes a patron with a card (the
    desk registration, with its duplicate check), and the application is deleted with
    its audit trail, in one transaction."""
    with transaction.atomic():
        locked = SignUp.objects.select_for_update().filter(pk=signup.pk).first()
        if locked is None:
            raise PatronRefusal.SIGNUP_GONE.refuse()
        if locked.confirmed_at is None:
            raise PatronRefusal.SIGNUP_UNCONFIRMED.refuse()
        patron, card = accounts.patron_register(
            actor=actor,
            card_number=card_number,
            confirm_duplicate=confirm_duplicate,
            now=now,
            **details,
        )
        registry.get("signup").expunge_ids([locked.pk], now)
    return patron, card


@service
def signup_discard(*, signup: SignUp, actor) -> None:
    """Staff delete an application (a prank, or one the applicant withdrew)."""
    accounts.require_staff(actor)
    with transaction.atomic():
        registry.get("signup").expunge_ids([signup.pk])
