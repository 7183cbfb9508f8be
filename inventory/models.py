"""An inventory (shelf check) session and the barcodes seen on the shelf.

Nothing here links to a patron or a loan: a scan keeps the copy it found (or the text of
an unknown barcode) and the *day* it was scanned, never a time, so a scan cannot be
joined to the moment a loan ended (a check-in made from the report) to name its
borrower. The session keeps its days too, and who started it (a staff member)."""

from django.conf import settings
from django.db import models
from django.db.models import Q

from circulation.models import Branch, Item


class InventorySession(models.Model):
    """One shelf check: a branch, a shelving range, and the scans made for it, over as
    many days as it takes."""

    class Status(models.TextChoices):
        OPEN = "open", "Open"
        CLOSED = "closed", "Closed"

    branch = models.ForeignKey(Branch, on_delete=models.PROTECT, related_name="+")
    call_number_from = models.CharField(
        max_length=50,
        blank=True,
        help_text="First call number of the range (empty: from the start).",
    )
    call_number_to = models.CharField(
        max_length=50,
        blank=True,
        help_text="Last call number of the range, and every one that begins with it "
        "(empty: to the end).",
    )
    item_type = models.CharField(
        max_length=20,
        choices=Item.ItemType,
        blank=True,
        help_text="Only copies of this type (the collection); empty: every type.",
    )
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    started_on = models.DateField()
    closed_on = models.DateField(null=True, blank=True)
    status = models.CharField(max_length=10, choices=Status, default=Status.OPEN)

    class Meta:
        ordering = ["-started_on", "-pk"]
        permissions = [("run_inventory", "Can run a shelf inventory")]
        constraints = [
            models.CheckConstraint(
                condition=Q(status="open", closed_on__isnull=True)
                | Q(status="closed", closed_on__isnull=False),
                name="inventory_session_closed_on_when_closed",
            ),
        ]

    def __str__(self) -> str:
        return f"Inventory {self.pk}"

    @property
    def is_open(self) -> bool:
        return self.status == self.Status.OPEN

    @property
    def range_label(self) -> str:
        parts = []
        if self.call_number_from or self.call_number_to:
            parts.append(
                f"call numbers {self.call_number_from or 'start'} to {self.call_number_to or 'end'}"
            )
        else:
            parts.append("every call number")
        if self.item_type:
            parts.append(Item.ItemType(self.item_type).label.lower())
        return ", ".join(str(part) for part in parts)


class InventoryScan(models.Model):
    """A barcode seen on the shelf during a session, once however often it was scanned:
    the copy it names, or only its text when the catalog has no such barcode."""

    session = models.ForeignKey(InventorySession, on_delete=models.CASCADE, related_name="scans")
    barcode = models.CharField(max_length=32)
    item = models.ForeignKey(Item, on_delete=models.CASCADE, null=True, related_name="+")
    #: The day only (see the module's docstring).
    scanned_on = models.DateField()

    class Meta:
        ordering = ["pk"]
        constraints = [
            models.UniqueConstraint(fields=["session", "barcode"], name="inventory_scan_once"),
        ]

    def __str__(self) -> str:
        return f"Scan {self.pk}"
