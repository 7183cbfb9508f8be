"""Programs and their sign-ups, visits and public computer sessions: the library used in
person. A program keeps its sign-up and attendance counts after the sign-ups are deleted;
visits are counted per branch and day (`VisitCount`) when the card is scanned."""

from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import gettext_noop


class Program(models.Model):
    """A library event (story time, a class). Keeps its attendance count for statistics
    after the sign-ups are deleted."""

    class Audience(models.TextChoices):
        """The age group a program is for: the Public Libraries Survey's groups."""

        CHILDREN_0_5 = "children_0_5", _("Children, 0 to 5")
        CHILDREN_6_11 = "children_6_11", _("Children, 6 to 11")
        YOUNG_ADULT = "young_adult", _("Young adults, 12 to 18")
        ADULT = "adult", _("Adults, 19 and over")
        GENERAL = "general", _("All ages")

    name = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    branch = models.ForeignKey(
        "circulation.Branch", on_delete=models.PROTECT, related_name="programs"
    )
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    capacity = models.PositiveIntegerField(null=True, blank=True, help_text="Empty = no limit.")
    audience = models.CharField(
        max_length=20,
        choices=Audience,
        default=Audience.GENERAL,
        db_default=Audience.GENERAL,
        help_text="The age group the program is for (the annual survey counts programs "
        "and attendance per group).",
    )
    attendance_count = models.PositiveIntegerField(default=0)
    registration_count = models.PositiveIntegerField(
        default=0, help_text="Sign-ups received (kept after sign-ups are deleted)."
    )

    class Meta:
        ordering = ["starts_at", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_at__gt=F("starts_at")),
                name="program_ends_after_start",
                violation_error_message="A program must end after it starts.",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class ProgramRegistration(models.Model):
    class Status(models.TextChoices):
        REGISTERED = "registered", gettext_noop("Registered")
        WAITLISTED = "waitlisted", gettext_noop("On the waiting list")
        CANCELLED = "cancelled", gettext_noop("Cancelled")

    program = models.ForeignKey(
        "circulation.Program", on_delete=models.CASCADE, related_name="registrations"
    )
    patron = models.ForeignKey(
        "patrons.Patron", on_delete=models.CASCADE, related_name="program_registrations"
    )
    registered_at = models.DateTimeField(default=timezone.now)
    status = models.CharField(max_length=12, choices=Status, default=Status.REGISTERED)
    attended = models.BooleanField(default=False)
    cancelled_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["registered_at", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["program", "patron"],
                condition=~Q(status="cancelled"),
                name="programregistration_one_per_patron",
                violation_error_message="This patron is already signed up for this program.",
            ),
        ]

    def __str__(self) -> str:
        return f"Program registration #{self.pk}"


class Visit(models.Model):
    """A library card scanned at a branch entrance. Erased at the nightly run; the
    branch's daily count (`VisitCount`) is kept."""

    patron = models.ForeignKey("patrons.Patron", on_delete=models.CASCADE, related_name="visits")
    branch = models.ForeignKey(
        "circulation.Branch", on_delete=models.PROTECT, related_name="visits"
    )
    visited_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-visited_at", "pk"]
        indexes = [models.Index(fields=["visited_at"])]

    def __str__(self) -> str:
        return f"Visit #{self.pk}"


class VisitCount(models.Model):
    """Anonymous statistics: visits per branch per day. No patron link."""

    branch = models.ForeignKey(
        "circulation.Branch", on_delete=models.PROTECT, related_name="visit_counts"
    )
    day = models.DateField()
    count = models.PositiveIntegerField(default=0)
    #: Rewritten by the expunge so that no row singles out fewer than k patrons
    #: (`stats.models.generalised_field`).
    generalised = models.BooleanField(default=False, db_default=False, editable=False)

    class Meta:
        ordering = ["-day", "branch"]
        constraints = [
            models.UniqueConstraint(
                fields=["branch", "day", "generalised"], name="visitcount_one_per_branch_day"
            )
        ]
        # The statistics read a period of days for every branch.
        indexes = [models.Index(fields=["day", "branch"], name="visitcount_day_branch")]

    def __str__(self) -> str:
        return f"{self.branch} {self.day}: {self.count}"


class ComputerSession(models.Model):
    """A patron's session on a public computer. Erased daily."""

    patron = models.ForeignKey(
        "patrons.Patron", on_delete=models.CASCADE, related_name="computer_sessions"
    )
    branch = models.ForeignKey(
        "circulation.Branch", on_delete=models.PROTECT, related_name="computer_sessions"
    )
    workstation = models.CharField(max_length=50, help_text="The computer's label, e.g. PC-04.")
    started_at = models.DateTimeField(default=timezone.now)
    ended_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-started_at", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["branch", "workstation"],
                condition=Q(ended_at__isnull=True),
                name="computersession_one_open_per_workstation",
                violation_error_message="Someone is already using this computer.",
            ),
            models.CheckConstraint(
                condition=Q(ended_at__isnull=True) | Q(ended_at__gte=F("started_at")),
                name="computersession_ends_after_start",
            ),
        ]

    def __str__(self) -> str:
        return f"Computer session #{self.pk}"
