"""Refusals of circulation services (their message is shown as it is)."""

from django.utils.translation import gettext_lazy as _

from core.refusals import RefusalCode, Refused


class CirculationRefused(Refused):
    """A desk or portal operation refused, with the reason (never a name or a title)."""


class CirculationRefusal(RefusalCode, exception=CirculationRefused):
    """Every way the circulation services refuse: the code, and its message (with named
    fields where it takes values; a patron's, translated when raised). A member with no
    message is raised with one: `Refused(message, code=...)`."""

    UNKNOWN_ITEM = "unknown_item", "No item has that barcode."
    BLOCKED = "blocked", _("%(action)s is suspended: %(block)s.")
    AMOUNT = "amount", "Enter an amount such as 2.50."
    SETTLED = "settled", "This fine is already settled."
    OVERPAYMENT = (
        "overpayment",
        "That is more than the balance of $%(balance)s: overpayment refused.",
    )
    METHOD = "method", "Choose how the patron paid: cash, card or check."
    NOTHING = "nothing", "Nothing is owed: there is nothing to pay."
    PATRON = "patron", "That fine is not on this patron's account."
    REASON = "reason", "Choose a reason for waiving the fine."
    NOTE = "note", "Keep the note under 100 characters."
    NOT_PLACED = "not_placed", "This hold has no copy to pull any more."
    WRONG_COPY = "wrong_copy", "That barcode is not the copy on the pull list for this hold."
    UNAVAILABLE = "unavailable", "This copy is not on the shelf any more."
    UNTIL = "until", _("Choose a date after today and within %(days)s days.")
    NO_CARD = "no_card", _("This patron has no active card.")
    NO_COPY = "no_copy", _("The library has no copy of this title to hold.")
    NOT_HOLDABLE = (
        "not_holdable",
        _(
            "No copy of this title can be placed on hold (the circulation rules do not allow "
            "holds on it for this card)."
        ),
    )
    HOLD_LIMIT = "hold_limit", _("Hold limit reached (%(limit)s holds).")
    HAS_IT = "has_it", _("This title is already checked out to this card.")
    DUPLICATE = "duplicate", _("There is already a hold on this title for this card.")
    CLOSED = "closed", _("This hold is no longer active.")
    BALANCE = (
        "balance",
        "Unpaid balance of $%(balance)s is above the limit of $%(limit)s. Take a payment first.",
    )
    ALREADY_HAS = "already_has", "This patron already has this item, due %(due)s."
    ON_LOAN = "on_loan", "This item is already on loan. Check it in first."
    HELD_FOR_OTHER = "held_for_other", "This item is on the hold shelf for another patron."
    LOAN_LIMIT = "loan_limit", "Loan limit reached (%(limit)s %(item_type)s items)."
    RETURN_DATE = "return_date", "The return date is in the future."
    IN_TRANSIT = "in_transit", "This item is in transit to %(branch)s."
    NOT_ON_LOAN = "not_on_loan", "This item is not checked out: it is waiting on the hold shelf."
    ACTIVE = "active", _("This loan cannot be removed yet: a fine on it is still unpaid.")
    STATUS = "status", "This item is already marked damaged."
    NO_LOAN = "no_loan", "No loan of this item is on record: charge the patron by hand."
    PAST = "past", _("This program has already taken place.")
    CANCELLED = "cancelled", _("This sign-up was already cancelled.")
    RENEWAL = "renewal"
    #: Declaring a copy lost: the amount shown changed before the confirmation.
    CHANGED = "changed", "The amount changed since you looked: check it and confirm again."
    #: Staff overrides, with their reason.
    OVERRIDE_KIND = "override_kind", "Choose what to override."
    OVERRIDE_PERMISSION = "override_permission"
    OVERRIDE_REASON = "override_reason"
    #: The library policy page: a setting that does not exist, or values out of range.
    POLICY_SETTING = "unknown"
    POLICY_VALUES = "invalid"
    #: The settings and catalog in the admin (branches, rules, titles, copies…): values
    #: the model refuses, or a row still in use by others.
    NOT_SAVED = "not_saved"
    IN_USE = "in_use"
    WORKSTATION = "workstation", "Name the computer, for example PC-04."
    WORKSTATION_BUSY = "workstation_busy", "Someone is already using this computer."
    ENDED = "ended", "This session has already ended."
    COUNT = "count", "Enter the number of visitors, such as 312."
    DAY = "day", "A gate count cannot be for a day still to come."
