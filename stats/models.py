"""The statistics app's tables: the anonymous statistics (moved from circulation with
their tables, which keep the `circulation_` names), and an unmanaged model that only
carries the permission to read the statistics pages (`stats.view_statistics`).

The anonymous statistics tables: what survives of circulation once records are expunged.

Each table counts events per local day (or per month, for titles) and per branch, item
type, patron category or charge reason. No row names a patron, a staff member, a record
id or a time finer than the day; a title is named only with its month. The counts are
added when the event happens (`stats/counting.py`, from the signals circulation's
services send: `circulation/signals.py`), so the figures are the same
before and after the expunge, and the expunge rewrites the recent rows in key order so
that neither their ids nor their place in the table tell in which order the events came
(see docs/privacy.md).
"""

from django.db import models


class _NoRows(models.Manager):
    def get_queryset(self):
        return super().get_queryset().none()


class Statistics(models.Model):
    objects = _NoRows()

    class Meta:
        managed = False
        default_permissions = ()
        permissions = [("view_statistics", "Can view the library's statistics")]
        verbose_name = "library statistics"
        verbose_name_plural = "library statistics"

    def __str__(self) -> str:
        return "Library statistics"


#: Patron categories and item types are stored by their code (choices live on the models
#: they describe); a category or type removed later still counts under its old code.
CODE = {"max_length": 20}


def generalised_field():
    """False on the rows the counting adds to as events happen; True on the rows the
    expunge has rewritten so that no cell singles out fewer than CALUMET_ANONYMITY_K
    patrons (`stats/generalise.py`, docs/statistics.md). A generalised row's item type,
    patron category or charge reason may be "" (all of them), its day the first of the
    month (the whole month), a title-month's title empty (other titles)."""
    return models.BooleanField(default=False, db_default=False, editable=False)


class CirculationDay(models.Model):
    """Check-outs, renewals and returns per day, branch, audience of the material, item
    type and patron category."""

    day = models.DateField()
    branch = models.ForeignKey("circulation.Branch", on_delete=models.PROTECT, related_name="+")
    #: The audience of the copy's title (children, young_adult, adult) when it was lent,
    #: "" when not known (and on every row counted before the audience was recorded). It
    #: describes the material, never the borrower, and the expunge keeps it (stats/
    #: generalise.py): the survey's circulation of children's materials adds it up.
    audience = models.CharField(**CODE, blank=True, default="", db_default="")
    item_type = models.CharField(**CODE)
    patron_category = models.CharField(**CODE)
    checkouts = models.PositiveIntegerField(default=0)
    renewals = models.PositiveIntegerField(default=0)
    returns = models.PositiveIntegerField(default=0)
    generalised = generalised_field()

    class Meta:
        db_table = "circulation_circulationday"  # the table it had in circulation
        ordering = ["day", "branch", "audience", "item_type", "patron_category"]
        verbose_name = "circulation per day"
        verbose_name_plural = "circulation per day"
        constraints = [
            models.UniqueConstraint(
                fields=[
                    "day",
                    "branch",
                    "audience",
                    "item_type",
                    "patron_category",
                    "generalised",
                ],
                name="circulationday_one_per_key",
            )
        ]

    def __str__(self) -> str:
        return f"Circulation {self.day}"


class TitleMonth(models.Model):
    """Check-outs of a title in a month (its first day): the finest time a title gets."""

    month = models.DateField()
    #: Empty on a generalised row of the titles borrowed by fewer than k patrons.
    title = models.ForeignKey(
        "circulation.Title", on_delete=models.CASCADE, related_name="+", null=True, blank=True
    )
    checkouts = models.PositiveIntegerField(default=0)
    generalised = generalised_field()

    class Meta:
        db_table = "circulation_titlemonth"  # the table it had in circulation
        ordering = ["month", "title"]
        verbose_name = "title circulation per month"
        verbose_name_plural = "title circulation per month"
        constraints = [
            models.UniqueConstraint(
                fields=["month", "title", "generalised"], name="titlemonth_one_per_key"
            )
        ]
        # A month's most borrowed titles, read from the top (the statistics page).
        indexes = [models.Index(fields=["month", "-checkouts"], name="titlemonth_month_top")]

    def __str__(self) -> str:
        return f"Title circulation {self.month:%Y-%m}"


class HoldDay(models.Model):
    """Holds placed, filled (picked up), cancelled and expired per day and pickup branch."""

    day = models.DateField()
    branch = models.ForeignKey("circulation.Branch", on_delete=models.PROTECT, related_name="+")
    placed = models.PositiveIntegerField(default=0)
    filled = models.PositiveIntegerField(default=0)
    cancelled = models.PositiveIntegerField(default=0)
    expired = models.PositiveIntegerField(default=0)
    generalised = generalised_field()

    class Meta:
        db_table = "circulation_holdday"  # the table it had in circulation
        ordering = ["day", "branch"]
        verbose_name = "holds per day"
        verbose_name_plural = "holds per day"
        constraints = [
            models.UniqueConstraint(
                fields=["day", "branch", "generalised"], name="holdday_one_per_key"
            )
        ]

    def __str__(self) -> str:
        return f"Holds {self.day}"


class HoldWait(models.Model):
    """How many days filled holds waited, per month and pickup branch (for the median)."""

    month = models.DateField()
    branch = models.ForeignKey("circulation.Branch", on_delete=models.PROTECT, related_name="+")
    wait_days = models.PositiveSmallIntegerField()
    filled = models.PositiveIntegerField(default=0)

    class Meta:
        db_table = "circulation_holdwait"  # the table it had in circulation
        ordering = ["month", "branch", "wait_days"]
        constraints = [
            models.UniqueConstraint(
                fields=["month", "branch", "wait_days"], name="holdwait_one_per_key"
            )
        ]

    def __str__(self) -> str:
        return f"Hold waits {self.month:%Y-%m}"


class ChargeDay(models.Model):
    """The library's accounts: charges made, paid and waived per day and reason."""

    day = models.DateField()
    reason = models.CharField(**CODE)
    charged = models.PositiveIntegerField(default=0)
    amount_charged = models.DecimalField(max_digits=12, decimal_places=2, default=0)
    amount_paid = models.DecimalField(max_digits=12, decimal_places=2, default=0)
    amount_waived = models.DecimalField(max_digits=12, decimal_places=2, default=0)
    generalised = generalised_field()

    class Meta:
        db_table = "circulation_chargeday"  # the table it had in circulation
        ordering = ["day", "reason"]
        verbose_name = "charges per day"
        verbose_name_plural = "charges per day"
        constraints = [
            models.UniqueConstraint(
                fields=["day", "reason", "generalised"], name="chargeday_one_per_key"
            )
        ]

    def __str__(self) -> str:
        return f"Charges {self.day}"


class OverdueDay(models.Model):
    """Copies overdue at the end of a day, per branch that owns them: counted by the
    worker each night (`circulation.signals.overdue_count`), so that the statistics say how many
    copies are overdue without reading a loan."""

    day = models.DateField()
    branch = models.ForeignKey("circulation.Branch", on_delete=models.PROTECT, related_name="+")
    overdue = models.PositiveIntegerField(default=0)

    class Meta:
        db_table = "circulation_overdueday"  # the table it had in circulation
        ordering = ["day", "branch"]
        verbose_name = "overdue copies per day"
        verbose_name_plural = "overdue copies per day"
        constraints = [
            models.UniqueConstraint(fields=["day", "branch"], name="overdueday_one_per_key")
        ]

    def __str__(self) -> str:
        return f"Overdue copies {self.day}"


class ComputerUseDay(models.Model):
    """Public computer sessions and minutes of use per day and branch."""

    day = models.DateField()
    branch = models.ForeignKey("circulation.Branch", on_delete=models.PROTECT, related_name="+")
    sessions = models.PositiveIntegerField(default=0)
    minutes = models.PositiveIntegerField(default=0)
    generalised = generalised_field()

    class Meta:
        db_table = "circulation_computeruseday"  # the table it had in circulation
        ordering = ["day", "branch"]
        verbose_name = "computer use per day"
        verbose_name_plural = "computer use per day"
        constraints = [
            models.UniqueConstraint(
                fields=["day", "branch", "generalised"], name="computeruseday_one_per_key"
            )
        ]

    def __str__(self) -> str:
        return f"Computer use {self.day}"


#: The tables above and circulation's VisitCount, as (app, model, the column that holds
#: their date): the expunge rewrites their recent rows (`stats.counting.reorder_since`).
DAY_TABLES = (
    ("stats", "CirculationDay", "day"),
    ("stats", "TitleMonth", "month"),
    ("stats", "HoldDay", "day"),
    ("stats", "HoldWait", "month"),
    ("stats", "ChargeDay", "day"),
    ("stats", "ComputerUseDay", "day"),
    ("circulation", "VisitCount", "day"),
)
