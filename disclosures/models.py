"""The disclosure register: every demand to release patron records, its legal basis, the
administrator's decision, and the package released."""

from django.conf import settings
from django.core.files.storage import FileSystemStorage
from django.db import models
from django.db.models import Q
from django.utils import timezone


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
        COURT_ORDER = "court_order", "Court order"
        SUBPOENA = "subpoena", "Subpoena"
        EMERGENCY = "emergency", "Emergency (identification only)"
        NONE = "none", "None presented"

    class Status(models.TextChoices):
        REFUSED_AT_DESK = "refused_at_desk", "Refused at the desk (no legal process)"
        PENDING = "pending", "Waiting for the administrator"
        APPROVED = "approved", "Approved, package ready"
        DENIED = "denied", "Denied"
        WITHDRAWN = "withdrawn", "Withdrawn"
        FULFILLED = "fulfilled", "Fulfilled"

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
