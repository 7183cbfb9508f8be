"""Terminal accounts (kiosks, sorters, PC-reservation systems) and what they did.

A terminal signs in with its login and a generated secret, kept only as a hash. What
it may ask is a fixed set of switches the library administrator ticks in the admin.
`TerminalEvent` records connections and refusals: when, which terminal, what kind of
event and which message code, never a card number, a PIN or a title.
"""

from django.db import models
from django.db.models import Q
from django.utils import timezone

from circulation.models import Item


class Terminal(models.Model):
    name = models.CharField(
        max_length=100, unique=True, help_text='Shown to patrons, e.g. "Self-check kiosk 2".'
    )
    login = models.SlugField(
        max_length=40, unique=True, help_text="The SIP2 login user id (CN) the machine sends."
    )
    branch = models.ForeignKey(
        "circulation.Branch",
        on_delete=models.PROTECT,
        related_name="+",
        help_text="Loans and returns are recorded at this branch.",
    )
    secret_hash = models.CharField(max_length=255, editable=False)
    may_patron = models.BooleanField(
        "patron status and information",
        default=False,
        help_text="Validate a patron's card and PIN, show their account (PC reservation).",
    )
    may_circulate = models.BooleanField(
        "circulation",
        default=False,
        help_text="Check out, check in, renew, renew all (self-check kiosk).",
    )
    may_checkin = models.BooleanField(
        "check-in only", default=False, help_text="Returns only (book drop, sorter)."
    )
    may_pay = models.BooleanField(
        "fee paid", default=False, help_text="Take payments of fines (a kiosk with a card reader)."
    )
    may_block = models.BooleanField(
        "block and enable patrons",
        default=False,
        help_text="Block a card (a card left in the kiosk, tampering) and lift such blocks.",
    )
    may_hold = models.BooleanField(
        "holds", default=False, help_text="Place and cancel a patron's holds (with their PIN)."
    )
    may_update_items = models.BooleanField(
        "item status update",
        default=False,
        help_text="Accept item status updates (19) from an RFID pad or sorter; nothing is stored.",
    )
    enabled = models.BooleanField(default=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    secret_set_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["branch__name", "name"]

    def __str__(self) -> str:
        return self.name

    @property
    def description(self) -> str:
        """How the patron's "who has looked" page names it: "Self-check kiosk 2, Main"."""
        return f"{self.name}, {self.branch.name}"

    def allowed_commands(self) -> frozenset[str]:
        """The request codes this terminal may send (login, status, resend: always)."""
        codes = {"93", "99", "97"}
        if self.may_patron or self.may_circulate or self.may_pay:
            codes |= {"23", "63", "35"}
        if self.may_circulate:
            codes |= {"11", "09", "17", "29", "65"}
        if self.may_checkin:
            codes |= {"09", "17"}
        if self.may_pay:
            codes |= {"37"}
        if self.may_block:
            codes |= {"01", "25"}
        if self.may_hold:
            codes |= {"15"}
        if self.may_update_items:
            codes |= {"19"}
        return frozenset(codes)


class SortBin(models.Model):
    """Which bin of a branch's sorter a checked-in copy drops into (CL in the check-in
    and item information answers). For a check-in at `branch`, the most specific rule
    that matches wins: one naming the route counts most, then the destination, then the
    item type; a copy no rule matches gets no bin (the sorter's own default)."""

    class Route(models.TextChoices):
        SHELVE = "shelve", "Back on the shelves here"
        HOLD = "hold", "For the hold shelf here"
        TRANSIT = "transit", "In transit to another branch (hold or home)"

    branch = models.ForeignKey(
        "circulation.Branch",
        on_delete=models.CASCADE,
        related_name="+",
        help_text="The branch whose sorter this bin belongs to.",
    )
    route = models.CharField(
        max_length=10, choices=Route, blank=True, help_text="Empty: whatever happens to it."
    )
    destination = models.ForeignKey(
        "circulation.Branch",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        help_text="Copies in transit to this branch only. Empty: any.",
    )
    item_type = models.CharField(
        max_length=20, choices=Item.ItemType, blank=True, help_text="Empty: any type."
    )
    bin = models.CharField(
        max_length=20, help_text="The bin code the sorter knows, e.g. A, 3 or HOLDS."
    )

    class Meta:
        ordering = ["branch__name", "route", "destination__name", "item_type"]
        constraints = [
            models.UniqueConstraint(
                fields=["branch", "route", "item_type"],
                condition=Q(destination__isnull=True),
                name="sortbin_one_rule_per_case",
                violation_error_message="There is already a bin for these copies at this branch.",
            ),
            models.UniqueConstraint(
                fields=["branch", "route", "destination", "item_type"],
                condition=Q(destination__isnull=False),
                name="sortbin_one_rule_per_case_and_destination",
                violation_error_message="There is already a bin for these copies at this branch.",
            ),
            models.CheckConstraint(
                condition=Q(destination__isnull=True) | Q(route="transit") | Q(route=""),
                name="sortbin_destination_only_for_transit",
                violation_error_message="Only copies sent to another branch have a destination.",
            ),
            models.CheckConstraint(
                condition=~Q(bin=""),
                name="sortbin_bin_given",
                violation_error_message="Give the bin's code.",
            ),
        ]

    def __str__(self) -> str:
        return f"Bin {self.bin}"

    def score(self) -> int:
        return 4 * bool(self.route) + 2 * bool(self.destination_id) + bool(self.item_type)


class TerminalEvent(models.Model):
    class Kind(models.TextChoices):
        CONNECTED = "connected", "Connected"
        TLS_FAILED = "tls_failed", "TLS handshake failed (plain TCP, old TLS or no answer)"
        LOGIN = "login", "Signed in"
        LOGIN_REFUSED = "login_refused", "Sign-in refused"
        SIGNED_OUT = "signed_out", "Signed out: terminal switched off or given a new secret"
        NOT_SIGNED_IN = "not_signed_in", "Message before sign-in"
        NOT_ALLOWED = "not_allowed", "Message not allowed for this terminal"
        UNSUPPORTED = "unsupported", "Message Calumet does not support"
        INSTITUTION = "institution", "Wrong institution id"
        BAD_MESSAGE = "bad_message", "Malformed message"
        CHECKSUM = "checksum", "Checksum error"
        OVERSIZED = "oversized", "Message too long"
        SEQUENCE = "sequence", "Out of sequence"
        PIN_LOCKED = "pin_locked", "PIN attempts locked out"
        REFUSED = "refused", "Request refused (circulation rules, PIN needed)"
        TIMEOUT = "timeout", "Idle timeout"
        ERROR = "error", "Server error"

    at = models.DateTimeField(default=timezone.now, db_index=True)
    terminal = models.ForeignKey(
        Terminal, on_delete=models.SET_NULL, null=True, blank=True, related_name="events"
    )
    kind = models.CharField(max_length=20, choices=Kind)
    message_code = models.CharField(max_length=2, blank=True)
    address = models.GenericIPAddressField(
        null=True, blank=True, help_text="The terminal's network address."
    )

    class Meta:
        ordering = ["-at", "-pk"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} at {self.at:%Y-%m-%d %H:%M:%S}"
