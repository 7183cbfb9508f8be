"""Which notices a patron gets, and the log of notices sent: patron, day, kind, whether it
went out. The log never keeps the message (no title, no address); it is a record kind
(`circulation/records.py`), deleted by the nightly expunge."""

from __future__ import annotations

from django.db import models
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext_noop


class NoticeKind(models.TextChoices):
    HOLD_READY = "hold_ready", gettext_noop("Hold ready for pickup")
    OVERDUE = "overdue", gettext_noop("Overdue items")
    COURTESY = "courtesy", gettext_noop("Items due soon")
    CARD_EXPIRY = "card_expiry", gettext_noop("Card about to expire")


#: The notices a patron may turn off in the portal (hold-ready and overdue stay on).
OPTIONAL_KINDS = (NoticeKind.COURTESY, NoticeKind.CARD_EXPIRY)


class NoticePreference(models.Model):
    """The optional notices a patron chose not to get (no row: they get them all)."""

    patron = models.OneToOneField(
        "patrons.Patron", on_delete=models.CASCADE, related_name="notice_preference"
    )
    courtesy = models.BooleanField("items due soon", default=True)
    card_expiry = models.BooleanField("card about to expire", default=True)

    def __str__(self) -> str:
        return f"Notice preference #{self.pk}"


class NoticeSent(models.Model):
    """One notice to one patron on one day: sent, or failed."""

    patron = models.ForeignKey(
        "patrons.Patron", on_delete=models.CASCADE, related_name="notices_sent"
    )
    day = models.DateTimeField(help_text="Local midnight of the day it was sent.")
    kind = models.CharField(max_length=12, choices=NoticeKind)
    ok = models.BooleanField(help_text="Handed to the mail server (else it failed).")

    class Meta:
        ordering = ["-day", "pk"]
        verbose_name = "notice sent"
        verbose_name_plural = "notices sent"
        indexes = [models.Index(fields=["day"])]

    def __str__(self) -> str:
        # The kind and the day, never the patron: the audit log keeps this as the row's name.
        day = date_format(timezone.localdate(self.day), "DATE_FORMAT") if self.day else "—"
        return f"{self.get_kind_display()}, {day}"


class NoticeOutbox(models.Model):
    """The outbox of notices: one row per notice, claimed before it is handed to the mail
    server and marked sent in the same transaction as the records it changes
    (`circulation.notices.outbox`). A worker killed mid-batch leaves each notice sent and
    marked, or claimed and not marked (sent again by the next run with the same
    Message-ID, which mail servers and clients drop as a duplicate), or never claimed.

    The key is a keyed hash of the notice (kind, record id, day): it names no patron to
    anyone without the site's secret key. Rows go after two days."""

    key = models.CharField(max_length=64, unique=True)
    claimed_at = models.DateTimeField()
    sent_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=1)

    class Meta:
        indexes = [models.Index(fields=["claimed_at"])]

    def __str__(self) -> str:
        return f"Notice {self.key[:12]}"
