"""Refusals of the patrons' services."""

from django.utils.translation import gettext_lazy as _

from core.refusals import RefusalCode, Refused


class CardRefused(Refused):
    code = "card"


class PatronRefusal(RefusalCode, exception=Refused):
    """Every way the patrons' services refuse: the code, and its message (with named
    fields where it takes values; a patron's, translated when raised). A member with no
    message is raised with one: `Refused(message, code=...)`."""

    ACTOR = "actor", "Only staff can do this."
    CARD_NUMBER = "card_number"
    CARD_TAKEN = "card_taken", "That card number is already in use."
    NAME = "name", "First and last name are both needed."
    DUPLICATE = (
        "duplicate",
        "A patron with the same name and birth date or address is already registered. "
        "Check it is not the same person, then confirm.",
    )
    REASON = "reason", "Say whether the card was lost, stolen or damaged."
    ENDS_AT = "ends_at", "A block must end after it starts."
    LIFTED = "lifted", "This block was already lifted."
    WEAK_PIN = "weak_pin"
    TOO_MANY = (
        "too_many",
        _(
            "Too many requests for a new PIN. Try again in %(minutes)s minutes, or "
            "ask at any branch desk with a photo ID."
        ),
    )
    TOKEN = (
        "token",
        _(
            "This link has expired or was already used, or the card number does not match. "
            "Ask for a new link."
        ),
    )
    UNKNOWN_CARD = "unknown_card", "No library card has that number."
    LOST_CARD = (
        "lost_card",
        "This card was reported lost. Check the patron's ID and issue a new card.",
    )
    STOLEN_CARD = (
        "stolen_card",
        "This card was reported stolen. Keep it, and check the patron's ID.",
    )
    REPLACED_CARD = "replaced_card", "This card has been replaced by a newer card."
    EXPIRED_CARD = "expired_card"
    NO_CARD = "no_card", _("There is no active card on this account.")
    LANGUAGE = "language", _("Choose a language from the list.")
    ALREADY_OFF = "already_off", "Reading history is already off for this patron."
    LOCKED = (
        "locked",
        "Too many wrong PINs for this card. Nothing was changed; the patron can try "
        "again later, or turn reading history on in the portal.",
    )
    PIN = "pin", "The PIN was not accepted. Nothing was changed: reading history stays off."
    ALREADY_ON = "already_on", "Reading history is already on for this patron."
    #: A patron category the library administrator names: values the model refuses.
    CATEGORY = "category"
    # Online sign-up (patrons.signup): the applicant's in their language, the desk's not.
    SIGNUP_TOO_MANY = (
        "signup_too_many",
        _(
            "Too many applications from this connection. Try again in %(minutes)s minutes, "
            "or apply at any branch desk with a photo ID."
        ),
    )
    SIGNUP_MISSING = "signup_missing", _("Fill in every required field.")
    SIGNUP_BIRTH = "signup_birth", _("Check the birth date: it cannot be in the future.")
    SIGNUP_INVALID = "signup_invalid", _("Check the form: %(problem)s")
    SIGNUP_TOKEN = (
        "signup_token",
        _(
            "This link has expired or is not valid. Apply again, or ask at any branch desk "
            "with a photo ID."
        ),
    )
    SIGNUP_GONE = "signup_gone", "This application was already collected or erased."
    SIGNUP_UNCONFIRMED = (
        "signup_unconfirmed",
        "The applicant has not confirmed their email address yet. Register them at the "
        "desk as usual, or ask them to open the link first.",
    )
