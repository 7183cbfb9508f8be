"""Lending: loans, holds and fines, the records that tie a patron to a copy.

Models that reach a patron are record kinds (`circulation/records.py`). Their `__str__`
is opaque (`Loan #812`) because the audit log keeps it. The statistics fields that
survive anonymisation (a loan's item, branch, dates and patron category; a fine's
amount and reason) live here from the start, so the expunge never needs to reshape a
table.
"""

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import gettext_noop

from circulation.models.catalog import Branch, Item, Title


class OverrideKind(models.TextChoices):
    RENEWAL_LIMIT = "renewal_limit", "Renewal limit"
    FINE_LIMIT = "fine_limit", "Fine limit"
    HOLD_SHELF = "hold_shelf", "Hold for another patron"


class OverrideReason(models.TextChoices):
    RETURNING_SOON = "returning_soon", "Patron returning it soon (travel, illness)"
    COURSE_WORK = "course_work", "Needed for school or work"
    PAYING_SOON = "paying_soon", "Patron is paying the balance soon"
    LIBRARY_ERROR = "library_error", "Library error"
    OTHER = "other", "Other (see the note)"


class Loan(models.Model):
    """An item checked out. Deleted by the expunge once it closes (unless the patron keeps
    a reading history); what statistics need of it was counted at check-out
    (`stats/models.py`)."""

    item = models.ForeignKey(Item, on_delete=models.PROTECT, related_name="loans")
    patron = models.ForeignKey("patrons.Patron", on_delete=models.PROTECT, related_name="loans")
    branch = models.ForeignKey(
        Branch, on_delete=models.PROTECT, related_name="loans", help_text="Checked out at."
    )
    checked_out_at = models.DateTimeField(default=timezone.now)
    due_at = models.DateTimeField()
    returned_at = models.DateTimeField(null=True, blank=True)
    renewals = models.PositiveSmallIntegerField(default=0)
    checked_out_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    rule = models.ForeignKey(
        "circulation.CirculationRule",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        help_text="The circulation rule that applied at check-out (empty: the defaults).",
    )
    overdue_notices_sent = models.PositiveSmallIntegerField(default=0)
    last_overdue_notice_at = models.DateTimeField(null=True, blank=True)
    # A staff override of a circulation limit on this loan (circulation/services/overrides.py):
    # what was overridden, why (a reason from the list, a note for "Other"), by whom. The
    # audit log records each one (the note masked); the patron's page shows the last.
    override_kind = models.CharField(
        "override", max_length=16, choices=OverrideKind, blank=True, default="", db_default=""
    )
    override_reason = models.CharField(
        max_length=16, choices=OverrideReason, blank=True, default="", db_default=""
    )
    override_note = models.CharField(max_length=100, blank=True, default="", db_default="")
    override_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["-checked_out_at", "pk"]
        permissions = [
            ("override_renewal_limit", "Can renew past the renewal limit, with a reason"),
            ("override_fine_limit", "Can check out above the fine limit, with a reason"),
            (
                "override_hold_shelf",
                "Can check out a copy on the hold shelf for another patron, with a reason",
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(override_kind="") | ~Q(override_reason=""),
                name="loan_override_has_reason",
                violation_error_message="An override needs a reason.",
            ),
            models.CheckConstraint(
                condition=~Q(override_reason="other") | ~Q(override_note=""),
                name="loan_override_other_has_note",
                violation_error_message="Say why in the note when the reason is Other.",
            ),
            models.UniqueConstraint(
                fields=["item"],
                condition=Q(returned_at__isnull=True),
                name="loan_one_open_per_item",
                violation_error_message="This item is already on loan.",
            ),
            models.CheckConstraint(
                condition=Q(due_at__gt=F("checked_out_at")),
                name="loan_due_after_checkout",
                violation_error_message="A loan must fall due after it was checked out.",
            ),
            models.CheckConstraint(
                condition=Q(returned_at__isnull=True) | Q(returned_at__gte=F("checked_out_at")),
                name="loan_returned_after_checkout",
            ),
        ]
        indexes = [
            models.Index(fields=["patron", "returned_at"]),
            models.Index(fields=["returned_at"]),
            models.Index(fields=["due_at"]),
            # The loan list's order: the newest page is read from the index, not sorted.
            models.Index(fields=["-checked_out_at", "id"], name="loan_newest_first"),
        ]

    def __str__(self) -> str:
        return f"Loan #{self.pk}"

    def is_overdue(self, now=None) -> bool:
        return self.returned_at is None and self.due_at < (now or timezone.now())


class Hold(models.Model):
    """A reservation of a title. Title-level: the first copy returned serves the queue."""

    class Status(models.TextChoices):
        PLACED = "placed", gettext_noop("Waiting in the queue")
        IN_TRANSIT = "in_transit", gettext_noop("In transit to pickup branch")
        WAITING = "waiting", gettext_noop("Waiting on the hold shelf")
        FULFILLED = "fulfilled", gettext_noop("Picked up")
        CANCELLED = "cancelled", gettext_noop("Cancelled")
        EXPIRED = "expired", gettext_noop("Not picked up in time")

    ACTIVE_STATUSES = (Status.PLACED, Status.IN_TRANSIT, Status.WAITING)

    title = models.ForeignKey(Title, on_delete=models.PROTECT, related_name="holds")
    patron = models.ForeignKey("patrons.Patron", on_delete=models.CASCADE, related_name="holds")
    pickup_branch = models.ForeignKey(Branch, on_delete=models.PROTECT, related_name="holds")
    placed_at = models.DateTimeField(default=timezone.now)
    status = models.CharField(max_length=12, choices=Status, default=Status.PLACED)
    item = models.ForeignKey(
        Item,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="holds",
        help_text="The copy trapped for this hold (while placed: the copy to pull for it).",
    )
    pickup_by = models.DateTimeField(null=True, blank=True, help_text="Pickup deadline.")
    suspended_until = models.DateField(
        null=True, blank=True, help_text="Passed over in the queue until this date."
    )
    notified_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["placed_at", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["patron", "title"],
                condition=Q(status__in=["placed", "in_transit", "waiting"]),
                name="hold_one_active_per_patron_title",
                violation_error_message="This patron already has a hold on this title.",
            ),
            models.CheckConstraint(
                condition=Q(status__in=["placed", "in_transit", "waiting"], closed_at__isnull=True)
                | (~Q(status__in=["placed", "in_transit", "waiting"]) & Q(closed_at__isnull=False)),
                name="hold_closed_at_iff_closed",
                violation_error_message="A closed hold records when it closed.",
            ),
            models.CheckConstraint(
                condition=~Q(status="waiting") | Q(item__isnull=False, pickup_by__isnull=False),
                name="hold_waiting_has_item_and_deadline",
            ),
        ]
        indexes = [models.Index(fields=["title", "status", "placed_at"])]

    def __str__(self) -> str:
        return f"Hold #{self.pk}"


class Fine(models.Model):
    """A charge on a patron's account. Deleted by the expunge once settled; the library's
    accounts keep the amounts per day and reason (`ChargeDay`)."""

    class Reason(models.TextChoices):
        OVERDUE = "overdue", _("Overdue")
        LOST = "lost", _("Lost item")
        PROCESSING = "processing", _("Processing fee (lost item)")
        DAMAGED = "damaged", _("Damaged item")
        CARD = "card", _("Replacement card")
        PRINTING = "printing", _("Printing and copies")
        OTHER = "other", _("Other")

    class WaiveReason(models.TextChoices):
        HARDSHIP = "hardship", _("Financial hardship")
        LIBRARY_ERROR = "library_error", _("Library error")
        FOUND = "found", _("Lost item found and returned")
        GOODWILL = "goodwill", _("Goodwill (first time, fine amnesty)")
        OTHER = "other", _("Other (see the note)")

    patron = models.ForeignKey("patrons.Patron", on_delete=models.PROTECT, related_name="fines")
    loan = models.ForeignKey(
        Loan, on_delete=models.SET_NULL, null=True, blank=True, related_name="fines"
    )
    reason = models.CharField(max_length=10, choices=Reason)
    amount = models.DecimalField(max_digits=8, decimal_places=2)
    amount_paid = models.DecimalField(max_digits=8, decimal_places=2, default=Decimal("0.00"))
    assessed_at = models.DateTimeField(default=timezone.now)
    waived_at = models.DateTimeField(null=True, blank=True)
    waived_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    waive_reason = models.CharField(
        "reason for waiving", max_length=20, choices=WaiveReason, blank=True
    )
    waive_note = models.CharField(
        "note on the waiver", max_length=100, blank=True, db_default="", default=""
    )
    note = models.CharField(
        max_length=100, blank=True, help_text="Staff's short note on a charge added by hand."
    )
    settled_at = models.DateTimeField(
        null=True, blank=True, help_text="When the balance reached zero (paid or waived)."
    )

    class Meta:
        ordering = ["-assessed_at", "pk"]
        permissions = [("waive_fine", "Can waive a fine")]
        constraints = [
            models.CheckConstraint(
                condition=Q(amount__gt=0),
                name="fine_amount_positive",
                violation_error_message="A fine's amount must be more than zero.",
            ),
            models.CheckConstraint(
                condition=Q(amount_paid__gte=0),
                name="fine_paid_non_negative",
                violation_error_message="A payment cannot be negative.",
            ),
            models.CheckConstraint(
                condition=Q(amount_paid__lte=F("amount")),
                name="fine_paid_not_above_amount",
                violation_error_message="A fine cannot be overpaid.",
            ),
            models.CheckConstraint(
                condition=Q(settled_at__isnull=True)
                | Q(amount_paid=F("amount"))
                | Q(waived_at__isnull=False),
                name="fine_settled_only_when_paid_or_waived",
            ),
            models.CheckConstraint(
                condition=Q(waived_at__isnull=True, waive_reason="")
                | Q(
                    waived_at__isnull=False,
                    waive_reason__in=["hardship", "library_error", "found", "goodwill", "other"],
                ),
                name="fine_waiver_has_a_reason",
                violation_error_message="A waiver needs a reason from the list.",
            ),
        ]
        indexes = [
            models.Index(fields=["patron", "settled_at"]),
            # A loan with an unsettled fine is still open (the expunge asks it of every
            # closed loan it considers).
            models.Index(
                fields=["loan"], condition=Q(settled_at__isnull=True), name="fine_unsettled_loan"
            ),
        ]

    def __str__(self) -> str:
        return f"Fine #{self.pk}"

    @property
    def balance(self) -> Decimal:
        if self.waived_at is not None:
            return Decimal("0.00")
        return self.amount - self.amount_paid
