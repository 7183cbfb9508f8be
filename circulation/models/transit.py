"""Copies travelling between branches: home after a return elsewhere, or to a hold's
pickup branch. A transit row says where from, where to and since when; checking the copy
in at its destination ends it. Nothing here names a patron."""

from __future__ import annotations

from django.db import models
from django.db.models import Q


class Transit(models.Model):
    class Reason(models.TextChoices):
        HOME = "home", "Going home"
        HOLD = "hold", "For a hold"

    item = models.ForeignKey("circulation.Item", on_delete=models.CASCADE, related_name="transits")
    from_branch = models.ForeignKey(
        "circulation.Branch", on_delete=models.PROTECT, related_name="transits_out"
    )
    to_branch = models.ForeignKey(
        "circulation.Branch", on_delete=models.PROTECT, related_name="transits_in"
    )
    reason = models.CharField(max_length=10, choices=Reason)
    # Days, not moments: a moment would match the return that sent the copy on its way.
    sent_on = models.DateField()
    received_on = models.DateField(null=True, blank=True)

    class Meta:
        ordering = ["sent_on", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["item"],
                condition=Q(received_on__isnull=True),
                name="transit_one_open_per_item",
            ),
        ]
        indexes = [models.Index(fields=["received_on", "sent_on"])]

    def __str__(self) -> str:
        return f"Transit #{self.pk}"
