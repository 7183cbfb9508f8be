"""Patrons, their cards, blocks, and the retention bookkeeping.

Every model here that reaches a patron is a record kind (see `patrons/records.py`).
`__str__` of those models is opaque (`Patron #31`): django-auditlog keeps `str(obj)` as
the entry's `object_repr`, and the audit trail must not become a second patron list.
"""

from django.conf import settings
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Q
from django.db.models.functions import Upper
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import gettext_noop

from core.hashers import hash_pin, pin_matches
from patrons.search_key import search_key

card_number_validator = RegexValidator(
    r"^\d{14}$", "A library card number is 14 digits, as printed under the barcode."
)


class StaffRole(models.TextChoices):
    """A staff member as a patron is told of them: by role, never by name."""

    CIRCULATION = "circulation", _("Circulation staff")
    LIBRARIAN = "librarian", _("Librarian")
    ADMINISTRATOR = "administrator", _("Library administrator")
    STAFF = "staff", _("Library staff")


class ReadingHistoryVia(models.TextChoices):
    PORTAL = "portal", "in the portal"
    DESK_PIN = "desk_pin", "at the desk, confirmed with your PIN"
    STAFF_REQUEST = "staff_request", "by library staff at your request"
    UNRECORDED = "unrecorded", "before the library recorded how"


class PatronCategory(models.Model):
    """A category of patron (Adult, Child, …), edited by the library administrator. The
    code is the key, and what the usage statistics store: keep it stable, rename freely."""

    code = models.SlugField(
        max_length=20,
        primary_key=True,
        help_text="Short and stable: statistics are counted under it. Lower case, no spaces.",
    )
    name = models.CharField(max_length=100, unique=True)

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "patron categories"

    def __str__(self) -> str:
        return self.name


class Patron(models.Model):
    class Category(models.TextChoices):
        """The categories every library starts with (seeded by a migration; more can be
        added in the admin)."""

        ADULT = "adult", "Adult"
        YOUNG_ADULT = "young_adult", "Young adult"
        CHILD = "child", "Child"
        SENIOR = "senior", "Senior"
        NON_RESIDENT = "non_resident", "Non-resident"
        STAFF = "staff", "Staff"

    class Status(models.TextChoices):
        ACTIVE = "active", gettext_noop("Active")
        EXPIRED = "expired", gettext_noop("Expired")

    first_name = models.CharField(max_length=100)
    last_name = models.CharField(max_length=100)
    email = models.EmailField(blank=True)
    phone = models.CharField(max_length=30, blank=True)
    address_line1 = models.CharField("address", max_length=200, blank=True)
    address_line2 = models.CharField("address (line 2)", max_length=200, blank=True)
    city = models.CharField(max_length=100, blank=True)
    postal_code = models.CharField(max_length=20, blank=True)
    birth_date = models.DateField(null=True, blank=True)
    home_branch = models.ForeignKey(
        "circulation.Branch",
        on_delete=models.PROTECT,
        related_name="patrons",
        null=True,
        blank=True,
    )
    category = models.ForeignKey(
        PatronCategory,
        on_delete=models.PROTECT,
        db_column="category",
        default="adult",
        related_name="+",
    )
    registered_at = models.DateTimeField(default=timezone.now)
    card_expires_on = models.DateField(help_text="Borrowing privileges end on this date.")
    status = models.CharField(max_length=10, choices=Status, default=Status.ACTIVE)
    keep_reading_history = models.BooleanField(
        default=False,
        help_text="The patron chose to keep returned loans as their own reading history. "
        "Only the patron turns it on (portal, or the desk with their PIN).",
    )
    # Who last turned the reading history on or off, and how (shown to the patron).
    reading_history_changed_on = models.DateField(null=True, blank=True, editable=False)
    reading_history_via = models.CharField(
        max_length=20,
        choices=ReadingHistoryVia,
        blank=True,
        default="",
        db_default="",
        editable=False,
    )
    reading_history_staff_role = models.CharField(
        max_length=20,
        choices=StaffRole,
        blank=True,
        default="",
        db_default="",
        editable=False,
    )
    reading_history_branch = models.ForeignKey(
        "circulation.Branch",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        editable=False,
        related_name="+",
    )
    pin_hash = models.CharField(max_length=255, blank=True, editable=False)
    pin_changed_at = models.DateTimeField(null=True, blank=True, editable=False)
    pin_must_change = models.BooleanField(
        "PIN must be changed",
        default=False,
        db_default=False,
        editable=False,
        help_text="A temporary PIN was issued (or none is set): the patron chooses their "
        "own at the next portal sign-in, or through a reset link.",
    )
    last_activity_at = models.DateTimeField(
        null=True,
        blank=True,
        help_text="Last check-out, return, hold, payment or sign-in. Retention counts from it.",
    )
    language = models.CharField(
        max_length=8,
        choices=settings.LANGUAGES,
        blank=True,
        default="",
        db_default="",
        help_text="The language of the patron's notices and portal pages. Empty: not chosen "
        "(pages follow the browser, notices are in English).",
    )
    # What the desk finds the patron by (patrons/search_key.py): the folded words of the
    # names and the phone's digits, kept by save(). Indexed on PostgreSQL by migration
    # patrons 0021 (a GIN index of its words, for "a word starts with").
    search_key = models.TextField(blank=True, default="", db_default="", editable=False)

    #: The fields the search key is made of.
    SEARCH_KEY_FIELDS = frozenset({"first_name", "last_name", "phone"})

    class Meta:
        ordering = ["last_name", "first_name", "pk"]
        indexes = [
            models.Index(fields=["last_name", "first_name"]),
            models.Index(fields=["card_expires_on"]),
            # The desk's search by email address (`email__iexact`).
            models.Index(Upper("email"), name="patron_email_upper"),
        ]
        constraints = [
            # On only by the patron's own act: in the portal, or at the desk with their PIN
            # (or before the library recorded how, for histories kept from earlier).
            models.CheckConstraint(
                condition=Q(keep_reading_history=False)
                | Q(reading_history_via__in=["portal", "desk_pin", "unrecorded"]),
                name="patron_reading_history_on_by_patron",
                violation_error_message="Only the patron can turn their reading history on.",
            ),
            models.CheckConstraint(
                condition=Q(keep_reading_history=True)
                | Q(reading_history_via__in=["", "staff_request", "portal"]),
                name="patron_reading_history_off_how",
                violation_error_message="Reading history is off: say how it was turned off.",
            ),
            models.CheckConstraint(
                condition=Q(language__in=["", *(code for code, _name in settings.LANGUAGES)]),
                name="patron_language_known",
                violation_error_message="Choose a language from the list.",
            ),
            # Staff (at the desk or in the admin) are named by role, never by name.
            models.CheckConstraint(
                condition=~Q(reading_history_via__in=["desk_pin", "staff_request"])
                | ~Q(reading_history_staff_role=""),
                name="patron_reading_history_staff_role",
                violation_error_message="Record the role of the staff member who served.",
            ),
        ]

    def __str__(self) -> str:
        # Opaque: the audit log and Django's admin log keep it as the object's name.
        return f"Patron #{self.pk}"

    def save(self, *args, **kwargs):
        """Saves, keeping `search_key` current with the names and phone number."""
        update_fields = kwargs.get("update_fields")
        if update_fields is None or self.SEARCH_KEY_FIELDS & set(update_fields):
            key = search_key(first_name=self.first_name, last_name=self.last_name, phone=self.phone)
            if key != self.search_key:
                self.search_key = key
                if update_fields is not None:
                    kwargs["update_fields"] = {*update_fields, "search_key"}
        super().save(*args, **kwargs)

    @property
    def card_label(self) -> str:
        """How a staff page names the patron where the name does not belong (a page's
        title, a breadcrumb, a list of records): the card in use, masked, "card …0001".
        A list loads the cards in use for all its rows at once (`cards_in_use_prefetch`)."""
        cards = getattr(self, "cards_in_use", None)
        card = (cards[0] if cards else None) if cards is not None else self.active_card
        return f"card {card.masked_number}" if card else "no card in use"

    @staticmethod
    def cards_in_use_prefetch(path: str = ""):
        """The card in use of every patron of a list, in one query (`card_label` reads it)."""
        return models.Prefetch(
            f"{path}__cards" if path else "cards",
            queryset=Card.objects.filter(status=Card.Status.ACTIVE).order_by("pk"),
            to_attr="cards_in_use",
        )

    @property
    def notice_language(self) -> str:
        """The language the patron's notices are written in: their choice, else the
        library's default."""
        return self.language or settings.LANGUAGE_CODE

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()

    def set_pin(self, pin: str) -> None:
        self.pin_hash = hash_pin(pin)
        self.pin_changed_at = timezone.now()

    def check_pin(self, pin: str) -> bool:
        return pin_matches(pin, self.pin_hash)

    @property
    def active_card(self) -> "Card | None":
        return self.cards.filter(status=Card.Status.ACTIVE).first()


class Card(models.Model):
    class Status(models.TextChoices):
        ACTIVE = "active", gettext_noop("Active")
        LOST = "lost", gettext_noop("Reported lost")
        STOLEN = "stolen", gettext_noop("Stolen")
        DAMAGED = "damaged", gettext_noop("Damaged (replaced)")
        REPLACED = "replaced", gettext_noop("Replaced")
        EXPIRED = "expired", gettext_noop("Expired")

    patron = models.ForeignKey(Patron, on_delete=models.CASCADE, related_name="cards")
    number = models.CharField(
        max_length=14, unique=True, validators=[card_number_validator], db_index=True
    )
    issued_at = models.DateTimeField(default=timezone.now)
    status = models.CharField(max_length=10, choices=Status, default=Status.ACTIVE)
    status_changed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-issued_at", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["patron"],
                condition=Q(status="active"),
                name="card_one_active_per_patron",
                violation_error_message="This patron already has an active card.",
            ),
            models.CheckConstraint(
                condition=Q(number__regex=r"^[0-9]{14}$"),
                name="card_number_is_14_digits",
                violation_error_message="A library card number is 14 digits.",
            ),
        ]

    def __str__(self) -> str:
        return f"Card #{self.pk}"

    @property
    def masked_number(self) -> str:
        """The last four digits, as staff read them out at the desk ("card ...0001")."""
        return f"…{self.number[-4:]}"


class PatronBlock(models.Model):
    class Reason(models.TextChoices):
        BEHAVIOUR = "behaviour", _("Rules of behaviour")
        UNPAID = "unpaid", _("Unpaid fines or fees")
        LOST_ITEMS = "lost_items", _("Items not returned")
        ADDRESS = "address", _("Address to be confirmed")
        # Placed by a self-check machine (SIP2 block patron), which may lift only these.
        KIOSK = "kiosk", _("Card kept by a self-check machine")
        OTHER = "other", _("Other")

    patron = models.ForeignKey(Patron, on_delete=models.CASCADE, related_name="blocks")
    reason = models.CharField(max_length=20, choices=Reason)
    note = models.CharField(
        max_length=300, blank=True, help_text="Shown to the patron. Keep it short and factual."
    )
    starts_at = models.DateTimeField(default=timezone.now)
    ends_at = models.DateTimeField(
        null=True, blank=True, help_text="Leave empty for a block that lasts until lifted."
    )
    lifted_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    lifted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        ordering = ["-starts_at", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_at__isnull=True) | Q(ends_at__gt=models.F("starts_at")),
                name="patronblock_ends_after_start",
                violation_error_message="A block must end after it starts.",
            ),
        ]

    def __str__(self) -> str:
        return f"Patron block #{self.pk}"

    def in_force(self, now=None) -> bool:
        now = now or timezone.now()
        return (
            self.lifted_at is None
            and self.starts_at <= now
            and (self.ends_at is None or self.ends_at > now)
        )


class SignUp(models.Model):
    """An online application for a card, pending until staff check the applicant's
    identity at a desk (`patrons/signup.py`). It holds only the fields the library asks
    for (`CALUMET_SIGNUP_FIELDS`), and it reaches no patron: at the desk it becomes one
    and is deleted; never collected, the expunge deletes it after its retention."""

    first_name = models.CharField(max_length=100)
    last_name = models.CharField(max_length=100)
    email = models.EmailField()
    phone = models.CharField(max_length=30, blank=True)
    address_line1 = models.CharField("address", max_length=200, blank=True)
    address_line2 = models.CharField("address (line 2)", max_length=200, blank=True)
    city = models.CharField(max_length=100, blank=True)
    postal_code = models.CharField(max_length=20, blank=True)
    birth_date = models.DateField(null=True, blank=True)
    home_branch = models.ForeignKey(
        "circulation.Branch", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    language = models.CharField(max_length=8, choices=settings.LANGUAGES, blank=True, default="")
    #: What the applicant tells the desk (also on the confirmation email).
    reference = models.CharField(max_length=12, unique=True, editable=False)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    confirmed_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        verbose_name = "online sign-up"
        ordering = ["created_at", "pk"]
        constraints = [
            # One application per email address (a second one sends a reminder instead).
            models.UniqueConstraint(
                Upper("email"),
                name="signup_one_per_email",
                violation_error_message="An application with this email address is pending.",
            ),
            models.CheckConstraint(
                condition=Q(language__in=["", *(code for code, _name in settings.LANGUAGES)]),
                name="signup_language_known",
                violation_error_message="Choose a language from the list.",
            ),
        ]

    def __str__(self) -> str:
        return f"Online sign-up #{self.pk}"

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()


__all__ = [
    "Card",
    "Patron",
    "PatronBlock",
    "PatronCategory",
    "ReadingHistoryVia",
    "SignUp",
    "StaffRole",
]
