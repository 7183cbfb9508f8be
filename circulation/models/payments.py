"""Payments taken at the desk, each with its method and a receipt number.

A `FinePayment` is the money taken for one fine; the fines paid together share the number of
the receipt handed to the patron. The receipt number is the branch's code, the local date
and a count that starts again every day at every branch ("MAIN-20261201-0003"), so the
till is reconciled per branch and day. It says nothing the anonymous daily charge counts
(`ChargeDay`) do not already say, is derived from no patron or card, and is kept only on
the payment rows, which are a record kind the expunge deletes with the fines they paid
(`circulation/records.py`). After that, the number on the patron's paper receipt leads to
nothing the library keeps.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from circulation.models.lending import Fine


def _charge_kinds():
    return Fine.Reason.choices


class PaymentMethod(models.TextChoices):
    CASH = "cash", _("Cash")
    CARD = "card", _("Credit or debit card")
    CHECK = "check", _("Check")


class FinePayment(models.Model):
    """Money taken at the desk for one fine: a line of a payment receipt."""

    Method = PaymentMethod

    number = models.CharField("receipt number", max_length=40, db_index=True)
    patron = models.ForeignKey("patrons.Patron", on_delete=models.PROTECT, related_name="payments")
    fine = models.ForeignKey(
        "circulation.Fine",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="payments",
    )
    kind = models.CharField(
        "paid for",
        max_length=10,
        choices=_charge_kinds,
        help_text="The kind of charge paid (the fine's reason).",
    )
    amount = models.DecimalField(max_digits=8, decimal_places=2)
    method = models.CharField(max_length=5, choices=PaymentMethod)
    taken_at = models.DateTimeField(default=timezone.now)
    branch = models.ForeignKey(
        "circulation.Branch", on_delete=models.PROTECT, related_name="+", help_text="Taken at."
    )
    taken_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["-taken_at", "pk"]
        verbose_name = "payment"
        constraints = [
            models.CheckConstraint(
                condition=Q(amount__gt=0),
                name="payment_amount_positive",
                violation_error_message="A payment must be more than $0.00.",
            ),
            models.CheckConstraint(
                condition=Q(method__in=PaymentMethod.values),
                name="payment_method_known",
                violation_error_message="Choose how the patron paid: cash, card or check.",
            ),
        ]

    def __str__(self) -> str:
        return f"Payment #{self.pk}"
