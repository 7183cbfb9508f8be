"""Terminal accounts (kiosks, sorters, PC-reservation systems) and what they did.

A terminal signs in with its login and a generated secret, kept only as a hash. What
it may ask is a fixed set of switches the library administrator ticks in the admin.
`TerminalEvent` records connections and refusals: when, which terminal, what kind of
event and which message code, never a card number, a PIN or a title.
"""

from django.db import models
from django.utils import timezone


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
        return frozenset(codes)


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
