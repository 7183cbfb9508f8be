"""factory_boy factories for the Calumet models.

Rows are built the way the desk would leave them (a returned loan has `returned_at`, a
cancelled hold has `closed_at`, a settled fine has `settled_at`), so that the database
constraints accept them. Tests that want the database to refuse a row build it with
`.objects.create` themselves.
"""

import datetime
import functools
from decimal import Decimal

import factory
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group
from django.utils import timezone

from circulation.models import (
    Branch,
    ComputerSession,
    Fine,
    FinePayment,
    Hold,
    Item,
    Loan,
    NoticePreference,
    NoticeSent,
    Program,
    ProgramRegistration,
    Title,
    Visit,
    VisitCount,
)
from core.hashers import hash_pin
from disclosures.models import DisclosureScope
from patrons.models import Card, Patron, PatronBlock
from privacy.models import LegalHold

DEFAULT_PIN = "2468"
STAFF_PASSWORD = "a staff password nobody would guess"


@functools.cache
def hashed(secret: str) -> str:
    """Argon2 is slow on purpose: hash each distinct password once per test run."""
    return make_password(secret)


@functools.cache
def hashed_pin(pin: str) -> str:
    """What `Patron.set_pin(pin)` stores, computed once per test run."""
    return hash_pin(pin)


class BranchFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Branch
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"br{n}")
    name = factory.Sequence(lambda n: f"Branch number {n}")
    address = "1 Library Square"


class TitleFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Title

    title = factory.Sequence(lambda n: f"A Treatise on Lighthouses, volume {n}")
    author = factory.Sequence(lambda n: f"Keeper, Agatha {n}")
    publication_year = 1901
    audience = Title.Audience.ADULT


class ItemFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Item

    title = factory.SubFactory(TitleFactory)
    barcode = factory.Sequence(lambda n: f"3{n + 1:013d}")
    branch = factory.SubFactory(BranchFactory)
    price = Decimal("25.00")


class PatronFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Patron
        skip_postgeneration_save = True

    first_name = factory.Sequence(lambda n: f"Philippa{n}")
    last_name = factory.Sequence(lambda n: f"Quennell{n}")
    email = factory.Sequence(lambda n: f"reader{n}@example.org")
    phone = "773-555-0100"
    address_line1 = "42 Harbor Drive"
    city = "Calumet City"
    postal_code = "60409"
    birth_date = datetime.date(1980, 5, 17)
    category_id = Patron.Category.ADULT
    card_expires_on = factory.LazyFunction(
        lambda: timezone.localdate() + datetime.timedelta(days=365)
    )
    # What `Patron.set_pin(DEFAULT_PIN)` stores, computed once for the whole run.
    pin_hash = factory.LazyFunction(lambda: hashed_pin(DEFAULT_PIN))
    pin_changed_at = factory.LazyFunction(timezone.now)
    last_activity_at = factory.LazyFunction(timezone.now)
    # A patron made with reading history on turned it on in the portal.
    keep_reading_history = False
    reading_history_via = factory.LazyAttribute(
        lambda patron: "portal" if patron.keep_reading_history else ""
    )
    reading_history_changed_on = factory.LazyAttribute(
        lambda patron: timezone.localdate() if patron.keep_reading_history else None
    )


class CardFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Card

    patron = factory.SubFactory(PatronFactory)
    number = factory.Sequence(lambda n: f"{21234500000000 + n:014d}")
    status = Card.Status.ACTIVE


class PatronWithCardFactory(PatronFactory):
    card = factory.RelatedFactory(CardFactory, factory_related_name="patron")


class PatronBlockFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PatronBlock

    patron = factory.SubFactory(PatronFactory)
    reason = PatronBlock.Reason.BEHAVIOUR
    note = "Please see the branch manager."
    starts_at = factory.LazyFunction(lambda: timezone.now() - datetime.timedelta(days=1))
    ends_at = None


class LoanFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Loan

    item = factory.SubFactory(ItemFactory)
    patron = factory.SubFactory(PatronFactory)
    branch = factory.SelfAttribute("item.branch")
    checked_out_at = factory.LazyFunction(lambda: timezone.now() - datetime.timedelta(days=7))
    due_at = factory.LazyAttribute(lambda o: o.checked_out_at + datetime.timedelta(days=21))
    returned_at = None


class HoldFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Hold

    title = factory.SubFactory(TitleFactory)
    patron = factory.SubFactory(PatronFactory)
    pickup_branch = factory.SubFactory(BranchFactory)
    placed_at = factory.LazyFunction(lambda: timezone.now() - datetime.timedelta(days=3))
    status = Hold.Status.PLACED
    closed_at = None

    class Params:
        waiting = factory.Trait(
            status=Hold.Status.WAITING,
            item=factory.SubFactory(
                ItemFactory,
                title=factory.SelfAttribute("..title"),
                # A copy of the pickup branch: cancelled or expired, it stays there.
                branch=factory.SelfAttribute("..pickup_branch"),
                status=Item.Status.ON_HOLD_SHELF,
            ),
            pickup_by=factory.LazyFunction(lambda: timezone.now() + datetime.timedelta(days=5)),
        )


class FineFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Fine

    patron = factory.SubFactory(PatronFactory)
    loan = None
    reason = Fine.Reason.OVERDUE
    amount = Decimal("2.50")
    amount_paid = Decimal("0.00")
    assessed_at = factory.LazyFunction(lambda: timezone.now() - datetime.timedelta(days=2))
    settled_at = None
    waived_at = None
    # A waiver always has a reason from the list (a database constraint).
    waive_reason = factory.LazyAttribute(lambda fine: "goodwill" if fine.waived_at else "")


class PaymentFactory(factory.django.DjangoModelFactory):
    """A payment taken at the desk for a fine (the fine's patron's)."""

    class Meta:
        model = FinePayment

    fine = factory.SubFactory(FineFactory)
    patron = factory.LazyAttribute(lambda payment: payment.fine.patron)
    number = factory.Sequence(lambda n: f"MAIN-20261201-{n + 1:04d}")
    kind = factory.LazyAttribute(lambda payment: payment.fine.reason)
    amount = Decimal("1.00")
    method = FinePayment.Method.CASH
    branch = factory.SubFactory(BranchFactory)


class ProgramFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Program

    name = factory.Sequence(lambda n: f"Knitting circle {n}")
    branch = factory.SubFactory(BranchFactory)
    starts_at = factory.LazyFunction(lambda: timezone.now() + datetime.timedelta(days=7))
    ends_at = factory.LazyAttribute(lambda o: o.starts_at + datetime.timedelta(hours=2))


class ProgramRegistrationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ProgramRegistration

    program = factory.SubFactory(ProgramFactory)
    patron = factory.SubFactory(PatronFactory)
    status = ProgramRegistration.Status.REGISTERED


class VisitFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Visit

    patron = factory.SubFactory(PatronFactory)
    branch = factory.SubFactory(BranchFactory)
    visited_at = factory.LazyFunction(timezone.now)


class VisitCountFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = VisitCount

    branch = factory.SubFactory(BranchFactory)
    day = factory.LazyFunction(timezone.localdate)
    count = 12


class ComputerSessionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ComputerSession

    patron = factory.SubFactory(PatronFactory)
    branch = factory.SubFactory(BranchFactory)
    workstation = factory.Sequence(lambda n: f"PC-{n:02d}")
    started_at = factory.LazyFunction(lambda: timezone.now() - datetime.timedelta(minutes=30))
    ended_at = None


class StaffUserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"staff{n}")
    first_name = "Casey"
    last_name = "Morgan"
    email = factory.Sequence(lambda n: f"staff{n}@library.example.org")
    is_staff = True
    password = factory.LazyFunction(lambda: hashed(STAFF_PASSWORD))

    @factory.post_generation
    def groups(self, create, extracted, **kwargs):
        """`StaffUserFactory(groups=["Librarian"])` puts the user in those groups."""
        if not create or not extracted:
            return

        self.groups.set(Group.objects.filter(name__in=extracted))


class SuperuserFactory(StaffUserFactory):
    username = factory.Sequence(lambda n: f"director{n}")
    is_superuser = True


class LegalHoldFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = LegalHold

    patron = factory.SubFactory(PatronFactory)
    reason = "Subpoena received; records in scope must be kept."
    reference = factory.Sequence(lambda n: f"disclosure #{n}")


class DisclosureRequestFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "disclosures.DisclosureRequest"

    received_by = factory.SubFactory(StaffUserFactory)
    agency = "County Sheriff's Office"
    requester_name = "Det. R. Halloran"
    legal_basis = "subpoena"
    non_disclosure_order = "no"
    issuing_authority = "Circuit Court of Cook County"
    case_number = factory.Sequence(lambda n: f"2026-CR-{n:05d}")
    kinds = "loan"


class DisclosureScopeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "disclosures.DisclosureScope"

    request = factory.SubFactory(DisclosureRequestFactory)
    patron = factory.SubFactory(PatronFactory)


def one_record_of_each_kind(patron: Patron) -> dict[type, object]:
    """A card, loan (with a fine), hold, program sign-up, visit, computer session and
    block for `patron`, keyed by model. Titles and names are distinctive on purpose."""
    card = CardFactory(patron=patron)
    loan = LoanFactory(patron=patron, item=ItemFactory(title=TitleFactory(title="Dracula")))
    return {
        Patron: patron,
        Card: card,
        Loan: loan,
        Fine: (fine := FineFactory(patron=patron, loan=loan)),
        FinePayment: PaymentFactory(fine=fine),
        Hold: HoldFactory(patron=patron, title=TitleFactory(title="Frankenstein")),
        ProgramRegistration: ProgramRegistrationFactory(
            patron=patron, program=ProgramFactory(name="Chess club")
        ),
        Visit: VisitFactory(patron=patron),
        ComputerSession: ComputerSessionFactory(patron=patron),
        PatronBlock: PatronBlockFactory(patron=patron),
        LegalHold: LegalHoldFactory(patron=patron),
        DisclosureScope: DisclosureScopeFactory(patron=patron),
        NoticeSent: NoticeSent.objects.create(
            patron=patron, day=timezone.now(), kind="courtesy", ok=True
        ),
        NoticePreference: NoticePreference.objects.create(patron=patron, courtesy=False),
    }
