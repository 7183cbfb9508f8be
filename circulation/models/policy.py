"""The library's policy that the circulation rules matrix does not hold: the balance that
blocks check-out, hold pickup days, renewing overdue loans, lost items, transit and
notices. One row (`LibraryPolicy`, primary key 1), edited by the library administrator in
the admin through `circulation.services.library_policy_update` and read once per request
with `circulation.selectors.library_policy()`. Migration 0023 created the row from the
environment variables that held these values before (`CALUMET_MAX_BALANCE`, ...)."""

from contextvars import ContextVar
from decimal import Decimal

from django.core.signals import request_finished, request_started
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.db.models.signals import post_delete, post_save

#: Bounds of the day counts (the form's validators and the database's constraints).
DAY_RANGES = {
    "hold_pickup_days": (1, 60),
    "renew_overdue_limit_days": (0, 365),
    "lost_after_days": (1, 730),
    "transit_overdue_days": (1, 90),
    "courtesy_notice_days": (1, 30),
    "card_expiry_notice_days": (1, 365),
}
MONEY_FIELDS = ("max_balance", "default_replacement_cost", "lost_processing_fee")
#: The largest amount of money a policy field may hold.
MAX_AMOUNT = Decimal("9999.99")


def _days(verbose_name: str, name: str, default: int, help_text: str):
    low, high = DAY_RANGES[name]
    return models.PositiveSmallIntegerField(
        verbose_name,
        default=default,
        validators=[MinValueValidator(low), MaxValueValidator(high)],
        help_text=f"{help_text} ({low} to {high}.)",
    )


def _money(verbose_name: str, default: str, help_text: str):
    return models.DecimalField(
        verbose_name,
        max_digits=6,
        decimal_places=2,
        default=Decimal(default),
        validators=[MinValueValidator(Decimal("0.00")), MaxValueValidator(MAX_AMOUNT)],
        help_text=help_text,
    )


class LibraryPolicy(models.Model):
    """The library's settings: one row."""

    class RenewOverdue(models.TextChoices):
        CHARGE = "charge", "Charge the late days as an overdue fine"
        FORGIVE = "forgive", "Forgive the late days"

    class LostFound(models.TextChoices):
        WAIVE = "waive", "Waive the unpaid replacement charge"
        KEEP = "keep", "Keep the replacement charge"

    id = models.PositiveSmallIntegerField(primary_key=True, default=1, editable=False)
    max_balance = _money(
        "balance that blocks check-out",
        "10.00",
        "Check-out is refused to a patron who owes more than this.",
    )
    hold_pickup_days = _days(
        "hold pickup days", "hold_pickup_days", 7, "Days a ready hold waits on the shelf."
    )
    renew_overdue_limit_days = _days(
        "renewal limit for overdue loans (days)",
        "renew_overdue_limit_days",
        14,
        "A loan overdue longer than this cannot be renewed.",
    )
    renew_overdue_charge = models.CharField(
        "renewing an overdue loan",
        max_length=10,
        choices=RenewOverdue.choices,
        default=RenewOverdue.CHARGE,
    )
    lost_after_days = _days(
        "lost after (days overdue)",
        "lost_after_days",
        60,
        "The nightly job declares lost the loans overdue longer than this.",
    )
    default_replacement_cost = _money(
        "default replacement cost",
        "25.00",
        "Charged for a lost copy that has no price.",
    )
    lost_processing_fee = _money(
        "lost item processing fee", "5.00", "Charged with the replacement cost of a lost copy."
    )
    lost_found_refund = models.CharField(
        "a lost copy found and returned",
        max_length=10,
        choices=LostFound.choices,
        default=LostFound.WAIVE,
    )
    transit_overdue_days = _days(
        "transit overdue after (days)",
        "transit_overdue_days",
        5,
        "A copy in transit longer than this is listed as overdue in transit.",
    )
    fines_skip_closed_days = models.BooleanField(
        "overdue fines skip closed days",
        default=True,
        help_text="Overdue fines count only the days the branch was open.",
    )
    courtesy_notice_days = _days(
        "courtesy notice (days before due)",
        "courtesy_notice_days",
        3,
        "A courtesy notice is sent this many days before loans fall due.",
    )
    card_expiry_notice_days = _days(
        "card-expiry notice (days before)",
        "card_expiry_notice_days",
        30,
        "A card-expiry notice is sent this many days before a card expires.",
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "library policy"
        verbose_name_plural = "library policy"
        constraints = [
            models.CheckConstraint(condition=Q(id=1), name="librarypolicy_single_row"),
            models.CheckConstraint(
                condition=Q(renew_overdue_charge__in=["charge", "forgive"]),
                name="librarypolicy_renew_overdue_charge_valid",
            ),
            models.CheckConstraint(
                condition=Q(lost_found_refund__in=["waive", "keep"]),
                name="librarypolicy_lost_found_refund_valid",
            ),
            *(
                models.CheckConstraint(
                    condition=Q(**{f"{name}__gte": Decimal("0.00")}),
                    name=f"librarypolicy_{name}_not_negative",
                )
                for name in MONEY_FIELDS
            ),
            *(
                models.CheckConstraint(
                    condition=Q(**{f"{name}__gte": low, f"{name}__lte": high}),
                    name=f"librarypolicy_{name}_range",
                )
                for name, (low, high) in DAY_RANGES.items()
            ),
        ]

    def __str__(self) -> str:
        return "Library policy"


# -- one read per request ---------------------------------------------------------------------

#: The row read in this request (None: not read yet, or outside a request).
_cached: ContextVar[LibraryPolicy | None] = ContextVar("library_policy", default=None)
#: Whether the code runs inside a request, where the row is read once and kept.
_in_request: ContextVar[bool] = ContextVar("library_policy_in_request", default=False)


def library_policy() -> LibraryPolicy:
    """The library's policy. Read once per request; outside one (a task, a command, the
    SIP2 server) read at every call, so a change in the admin is seen by the next job. A
    database without the row (emptied by a test) has the defaults."""
    policy = _cached.get()
    if policy is not None:
        return policy
    policy = LibraryPolicy.objects.filter(pk=1).first() or LibraryPolicy()
    if _in_request.get():
        _cached.set(policy)
    return policy


def _request_started(**kwargs) -> None:
    _cached.set(None)
    _in_request.set(True)


def _request_finished(**kwargs) -> None:
    _cached.set(None)
    _in_request.set(False)


def _changed(**kwargs) -> None:
    _cached.set(None)


request_started.connect(_request_started, dispatch_uid="library-policy-request-started")
request_finished.connect(_request_finished, dispatch_uid="library-policy-request-finished")
post_save.connect(_changed, sender=LibraryPolicy, dispatch_uid="library-policy-saved")
post_delete.connect(_changed, sender=LibraryPolicy, dispatch_uid="library-policy-deleted")
