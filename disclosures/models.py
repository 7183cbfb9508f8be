"""The disclosure register: every demand to release patron records, its legal basis, the
administrator's decision, and the package released."""

from django.conf import settings
from django.core.files.storage import FileSystemStorage
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_noop


class _NoUrlStorage(FileSystemStorage):
    def url(self, name):
        raise ValueError("Private files have no URL; they are served by an audited view.")


def private_storage() -> FileSystemStorage:
    """Legal documents and release packages: on disk under CALUMET_PRIVATE_MEDIA_ROOT,
    with no URL. They are only ever streamed by a permission-checked, audited view.
    (A callable, so migrations name it instead of freezing a path.)"""
    return _NoUrlStorage(location=settings.MEDIA_ROOT)


class DisclosureRequest(models.Model):
    class Basis(models.TextChoices):
        COURT_ORDER = "court_order", gettext_noop("Court order")
        SUBPOENA = "subpoena", gettext_noop("Subpoena")
        EMERGENCY = "emergency", gettext_noop("Emergency (identification only)")
        NONE = "none", gettext_noop("None presented")

    class Status(models.TextChoices):
        REFUSED_AT_DESK = "refused_at_desk", gettext_noop("Refused at the desk (no legal process)")
        PENDING = "pending", gettext_noop("Waiting for the administrator")
        APPROVED = "approved", gettext_noop("Approved, package ready")
        DENIED = "denied", gettext_noop("Denied")
        WITHDRAWN = "withdrawn", gettext_noop("Withdrawn")
        FULFILLED = "fulfilled", gettext_noop("Fulfilled")

    class NonDisclosure(models.TextChoices):
        """Asked when the request is recorded, never changed: whether the transparency
        report may count it with the others (disclosures/transparency.py)."""

        YES = "yes", "Yes: an order forbids telling anyone about this request"
        NO = "no", "No non-disclosure order"

    class PersonSought(models.TextChoices):
        SUSPECT = "suspect", "Suspect"
        VICTIM = "victim", "Victim"
        WITNESS = "witness", "Witness"

    OPEN_STATUSES = (Status.PENDING, Status.APPROVED)

    received_at = models.DateTimeField(default=timezone.now)
    received_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    agency = models.CharField("requesting agency", max_length=200)
    requester_name = models.CharField("officer or person's name", max_length=200)
    requester_id_number = models.CharField("badge or ID number", max_length=100, blank=True)
    requester_contact = models.CharField("contact", max_length=200, blank=True)
    legal_basis = models.CharField(max_length=20, choices=Basis)
    issuing_authority = models.CharField("issuing court or authority", max_length=200, blank=True)
    case_number = models.CharField(max_length=100, blank=True)
    issued_on = models.DateField("date issued", null=True, blank=True)
    document = models.FileField(
        storage=private_storage, upload_to="disclosures/documents/%Y/", blank=True
    )
    emergency_statement = models.TextField("statement of the emergency", blank=True)
    person_sought = models.CharField(
        "the person sought is a", max_length=10, choices=PersonSought, blank=True
    )
    kinds = models.CharField(
        "record kinds in scope", max_length=300, help_text="Comma-separated record kinds."
    )
    period_start = models.DateField(null=True, blank=True)
    period_end = models.DateField(null=True, blank=True)
    status = models.CharField(max_length=20, choices=Status, default=Status.PENDING)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_reason = models.TextField(blank=True)
    non_disclosure_order = models.CharField(
        "a non-disclosure order came with the request",
        max_length=3,
        choices=NonDisclosure,
        help_text="Recorded with the request and never changed: a request under an order is"
        " counted on the transparency page only in a band, so that no count moves when the"
        " administrator decides it.",
    )
    patron_may_be_told = models.BooleanField(
        null=True, help_text="False when a non-disclosure order forbids telling the patron."
    )
    patrons_notified_at = models.DateTimeField(null=True, blank=True)
    patrons_named = models.PositiveIntegerField(
        default=0,
        help_text="How many patrons the request names: a count for the transparency report,"
        " which never reads the patrons themselves.",
    )
    package = models.FileField(
        storage=private_storage, upload_to="disclosures/packages/", blank=True
    )
    package_sha256 = models.CharField(max_length=64, blank=True)
    package_created_at = models.DateTimeField(null=True, blank=True)
    package_deleted_at = models.DateTimeField(null=True, blank=True)
    fulfilled_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-received_at", "-pk"]
        permissions = [("decide_disclosurerequest", "Can approve or deny a disclosure request")]
        constraints = [
            models.CheckConstraint(
                condition=~Q(legal_basis="none") | Q(status="refused_at_desk"),
                name="disclosure_without_basis_is_refused",
                violation_error_message="A request with no legal basis can only be refused.",
            ),
            models.CheckConstraint(
                condition=~Q(status__in=["approved", "fulfilled"])
                | ~Q(decided_by=models.F("received_by")),
                name="disclosure_not_decided_by_recorder",
                violation_error_message="The person who recorded a request cannot decide it.",
            ),
            models.CheckConstraint(
                condition=Q(non_disclosure_order__in=["yes", "no"]),
                name="disclosure_non_disclosure_order_answered",
                violation_error_message="Say whether a non-disclosure order came with the request.",
            ),
            models.CheckConstraint(
                condition=~Q(non_disclosure_order="yes")
                | Q(patron_may_be_told__isnull=True)
                | Q(patron_may_be_told=False),
                name="disclosure_under_order_patron_not_told",
                violation_error_message="A non-disclosure order forbids telling the patron.",
            ),
            models.CheckConstraint(
                condition=Q(period_end__isnull=True)
                | Q(period_start__isnull=True)
                | Q(period_end__gte=models.F("period_start")),
                name="disclosure_period_in_order",
            ),
        ]

    def __str__(self) -> str:
        return f"Disclosure request #{self.pk}"

    @property
    def kind_list(self) -> list[str]:
        return [kind for kind in self.kinds.split(",") if kind]

    @property
    def is_open(self) -> bool:
        return self.status in self.OPEN_STATUSES

    @property
    def reference(self) -> str:
        return f"disclosure #{self.pk}"


class DisclosureYear(models.Model):
    """The transparency report's figures for one calendar year (local time). The services
    add to them in the transaction that records or decides a request, and only ever add:
    a request counts in the year it was received, its outcome only if it was decided in
    that same year, so the figures of a year that is over never change. Nothing here names
    a request, a patron or a date, and the expunge never touches it: the register's rows
    go with their retention, the year's figures stay."""

    year = models.PositiveSmallIntegerField(unique=True)
    subpoenas = models.PositiveIntegerField(default=0)
    warrants = models.PositiveIntegerField("warrants and court orders", default=0)
    emergencies = models.PositiveIntegerField(default=0)
    other = models.PositiveIntegerField("other (no legal process)", default=0)
    approved = models.PositiveIntegerField(default=0)
    denied = models.PositiveIntegerField("denied or refused", default=0)
    withdrawn = models.PositiveIntegerField(default=0)
    patrons_named = models.PositiveIntegerField(default=0)
    under_order = models.PositiveIntegerField(
        "received under a non-disclosure order",
        default=0,
        help_text="Published only as a band (0-249), never in the figures above.",
    )

    class Meta:
        ordering = ["-year"]
        constraints = [
            models.CheckConstraint(
                condition=Q(
                    approved__lte=models.F("subpoenas")
                    + models.F("warrants")
                    + models.F("emergencies")
                    + models.F("other")
                    - models.F("denied")
                    - models.F("withdrawn")
                ),
                name="disclosureyear_outcomes_within_received",
            )
        ]

    def __str__(self) -> str:
        return f"Disclosure requests in {self.year}"

    @property
    def received(self) -> int:
        return self.subpoenas + self.warrants + self.emergencies + self.other

    @property
    def undecided(self) -> int:
        return self.received - self.approved - self.denied - self.withdrawn


class DisclosureScope(models.Model):
    """One patron named in a request. A patron record kind (its retention follows the
    disclosure register's)."""

    request = models.ForeignKey(DisclosureRequest, on_delete=models.CASCADE, related_name="scopes")
    patron = models.ForeignKey(
        "patrons.Patron", on_delete=models.PROTECT, related_name="disclosure_scopes"
    )
    legal_hold = models.ForeignKey(
        "privacy.LegalHold", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["pk"]
        constraints = [
            models.UniqueConstraint(fields=["request", "patron"], name="disclosurescope_once")
        ]

    def __str__(self) -> str:
        return f"Disclosure scope #{self.pk}"
