"""Everything a patron uses: the catalog, loans, holds, fines, programs, visits, computers.

Models that reach a patron are record kinds (`circulation/records.py`). Their `__str__`
is opaque (`Loan #812`) because the audit log keeps it. The statistics fields that
survive anonymisation (a loan's item, branch, dates and patron category; a fine's
amount and reason; a program's attendance count; daily visit counts) live here from the
start, so the expunge never needs to reshape a table.
"""

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from circulation.catalog_text import isbn13 as checked_isbn13
from circulation.catalog_text import search_text


class Branch(models.Model):
    code = models.SlugField(max_length=20, unique=True, help_text="Short code, e.g. MAIN.")
    name = models.CharField(max_length=100, unique=True)
    address = models.CharField(max_length=200, blank=True)
    phone = models.CharField(max_length=30, blank=True)
    # Opening hours are the calendar's, per weekday (`library_calendar.OpeningHours`).

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "branches"

    def __str__(self) -> str:
        return self.name


class TitleQuerySet(models.QuerySet):
    def bulk_create(self, objs, *args, **kwargs):
        # bulk_create skips save(): fill the search text here, so that titles created in
        # bulk (the demo, a benchmark) are found by the search too.
        objs = list(objs)
        for obj in objs:
            obj.prepare_for_search()
        return super().bulk_create(objs, *args, **kwargs)


class Title(models.Model):
    """A bibliographic record: what the catalog describes, independent of copies.

    `search_text` is derived (the folded words of title, author, subjects, series and
    ISBNs) and kept current by `save()` and `bulk_create()`; a `QuerySet.update()` of
    those fields must be followed by `circulation.search.reindex()`.
    """

    class Format(models.TextChoices):
        # The first five are Item.ItemType's values: a title's format is its items' type.
        BOOK = "book", _("Book")
        LARGE_PRINT = "large_print", _("Large print")
        AUDIOBOOK = "audiobook", _("Audiobook")
        DVD = "dvd", _("DVD / video")
        MAGAZINE = "magazine", _("Magazine")
        MUSIC = "music", _("Music recording")
        SCORE = "score", _("Music score")
        MAP = "map", _("Map")
        ELECTRONIC = "electronic", _("Electronic resource")
        OTHER = "other", _("Other")

    title = models.CharField(max_length=500)
    author = models.CharField(max_length=300, blank=True)
    isbn = models.CharField("ISBN", max_length=17, blank=True, db_index=True)
    isbn13 = models.CharField(
        "ISBN-13",
        max_length=13,
        blank=True,
        db_index=True,
        help_text="The ISBN as a checked ISBN-13, used to match records of the same book.",
    )
    publication_year = models.PositiveSmallIntegerField(null=True, blank=True)
    call_number = models.CharField(max_length=50, blank=True)
    control_number = models.CharField(
        max_length=50, blank=True, db_index=True, help_text="MARC 001, used to match re-imports."
    )
    control_source = models.CharField(
        max_length=50, blank=True, help_text="MARC 003: who issued the control number."
    )
    format = models.CharField(max_length=20, choices=Format, default=Format.BOOK)
    language = models.CharField(
        max_length=3, blank=True, help_text="MARC language code, e.g. eng, spa."
    )
    subjects = models.TextField(blank=True, help_text="Subject headings, one per line.")
    series = models.CharField(max_length=300, blank=True)
    summary = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    search_text = models.TextField(blank=True, editable=False)

    objects = TitleQuerySet.as_manager()

    class Meta:
        ordering = ["title", "pk"]
        indexes = [
            models.Index(fields=["author"]),
            models.Index(fields=["-created_at"], name="title_newest_first"),
        ]

    def __str__(self) -> str:
        return self.title

    def save(self, *args, **kwargs):
        self.prepare_for_search()
        update_fields = kwargs.get("update_fields")
        if update_fields is not None:
            kwargs["update_fields"] = {*update_fields, "isbn13", "search_text"}
        super().save(*args, **kwargs)

    @property
    def subject_list(self) -> list[str]:
        return [line for line in self.subjects.splitlines() if line.strip()]

    def prepare_for_search(self) -> None:
        """Derive the ISBN-13 (when only an ISBN was given) and the search text."""
        if self.isbn and not self.isbn13:
            self.isbn13 = checked_isbn13(self.isbn)
        self.search_text = self.build_search_text()

    def build_search_text(self) -> str:
        return search_text(
            title=self.title,
            author=self.author,
            subjects=self.subjects,
            series=self.series,
            isbn=self.isbn,
            isbn13_value=self.isbn13,
        )


class Item(models.Model):
    """A physical copy of a title, with its own barcode."""

    class ItemType(models.TextChoices):
        BOOK = "book", _("Book")
        LARGE_PRINT = "large_print", _("Large print")
        AUDIOBOOK = "audiobook", _("Audiobook")
        DVD = "dvd", _("DVD")
        MAGAZINE = "magazine", _("Magazine")

    class Status(models.TextChoices):
        AVAILABLE = "available", _("Available")
        ON_LOAN = "on_loan", _("On loan")
        ON_HOLD_SHELF = "on_hold_shelf", _("On the hold shelf")
        IN_TRANSIT = "in_transit", _("In transit")
        MISSING = "missing", _("Missing")
        DAMAGED = "damaged", _("Damaged")
        LOST = "lost", _("Lost")
        WITHDRAWN = "withdrawn", _("Withdrawn")

    title = models.ForeignKey(Title, on_delete=models.PROTECT, related_name="items")
    barcode = models.CharField(max_length=32, unique=True)
    branch = models.ForeignKey(Branch, on_delete=models.PROTECT, related_name="items")
    item_type = models.CharField(max_length=20, choices=ItemType, default=ItemType.BOOK)
    call_number = models.CharField(max_length=50, blank=True)
    status = models.CharField(
        max_length=20, choices=Status, default=Status.AVAILABLE, db_index=True
    )
    price = models.DecimalField(
        max_digits=8, decimal_places=2, null=True, blank=True, help_text="Replacement cost."
    )
    circulation_count = models.PositiveIntegerField(
        default=0, help_text="Check-outs of this copy since it was added (anonymous)."
    )
    added_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["barcode"]
        constraints = [
            models.CheckConstraint(
                condition=Q(price__isnull=True) | Q(price__gte=0),
                name="item_price_non_negative",
            ),
        ]

    def __str__(self) -> str:
        return f"Item {self.barcode}"


class Loan(models.Model):
    """An item checked out. Deleted by the expunge once it closes (unless the patron keeps
    a reading history); what statistics need of it was counted at check-out
    (`circulation/usage.py`)."""

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

    class Meta:
        ordering = ["-checked_out_at", "pk"]
        constraints = [
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
        PLACED = "placed", "Waiting in the queue"
        IN_TRANSIT = "in_transit", "In transit to pickup branch"
        WAITING = "waiting", "Waiting on the hold shelf"
        FULFILLED = "fulfilled", "Picked up"
        CANCELLED = "cancelled", "Cancelled"
        EXPIRED = "expired", "Not picked up in time"

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
        HARDSHIP = "hardship", "Financial hardship"
        LIBRARY_ERROR = "library_error", "Library error"
        FOUND = "found", "Lost item found and returned"
        GOODWILL = "goodwill", "Goodwill (first time, fine amnesty)"
        OTHER = "other", "Other (see the note)"

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
        indexes = [models.Index(fields=["patron", "settled_at"])]

    def __str__(self) -> str:
        return f"Fine #{self.pk}"

    @property
    def balance(self) -> Decimal:
        if self.waived_at is not None:
            return Decimal("0.00")
        return self.amount - self.amount_paid


# The anonymous statistics tables and the circulation rules live in their own modules;
# importing them here makes them this app's models.
from circulation.library_calendar import BranchClosure, OpeningHours  # noqa: E402
from circulation.library_use import (  # noqa: E402
    ComputerSession,
    Program,
    ProgramRegistration,
    Visit,
    VisitCount,
)
from circulation.notice_log import NoticePreference, NoticeSent  # noqa: E402
from circulation.payments import FinePayment  # noqa: E402
from circulation.rules import CirculationRule  # noqa: E402
from circulation.transit import Transit  # noqa: E402
from circulation.usage import (  # noqa: E402
    ChargeDay,
    CirculationDay,
    ComputerUseDay,
    HoldDay,
    HoldWait,
    OverdueDay,
    TitleMonth,
)

__all__ = [
    "Branch",
    "BranchClosure",
    "ChargeDay",
    "CirculationDay",
    "CirculationRule",
    "ComputerSession",
    "ComputerUseDay",
    "Fine",
    "FinePayment",
    "Hold",
    "HoldDay",
    "HoldWait",
    "Item",
    "Loan",
    "NoticePreference",
    "NoticeSent",
    "OpeningHours",
    "OverdueDay",
    "Program",
    "ProgramRegistration",
    "Title",
    "TitleMonth",
    "Transit",
    "Visit",
    "VisitCount",
]
