"""Patrons, cards and blocks: what the database itself refuses, PINs, and opaque names."""

import datetime

import pytest
from auditlog.models import LogEntry
from django.db import DataError, IntegrityError
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.text import capfirst

from circulation.models import (
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
)
from disclosures.models import DisclosureScope
from patrons.models import Card, Patron, PatronBlock, SignUp
from privacy.models import LegalHold
from privacy.registry import registry
from tests.factories import (
    DEFAULT_PIN,
    CardFactory,
    ComputerSessionFactory,
    DisclosureScopeFactory,
    FineFactory,
    HoldFactory,
    ItemFactory,
    LegalHoldFactory,
    LoanFactory,
    PatronBlockFactory,
    PatronFactory,
    PaymentFactory,
    ProgramFactory,
    ProgramRegistrationFactory,
    TitleFactory,
    VisitFactory,
)
from tests.helpers import database_refuses

pytestmark = pytest.mark.django_db

HOUR = datetime.timedelta(hours=1)


# -- cards -------------------------------------------------------------------------------


def test_two_cards_cannot_share_a_number():
    CardFactory(number="21234000000077")
    with database_refuses():
        Card.objects.create(patron=PatronFactory(), number="21234000000077")
    assert Card.objects.filter(number="21234000000077").count() == 1


@pytest.mark.parametrize("number", ["2123400000007", "2123400000007X", "", "2123400000007 "])
def test_a_card_number_is_fourteen_digits(number):
    with database_refuses():
        Card.objects.create(patron=PatronFactory(), number=number)


def test_a_card_number_is_not_longer_than_fourteen_digits():
    # PostgreSQL refuses the over-long value for the column itself (DataError); SQLite
    # does not enforce lengths, and the check constraint refuses it.
    with database_refuses((IntegrityError, DataError)):
        Card.objects.create(patron=PatronFactory(), number="212340000000777")


def test_a_patron_has_at_most_one_active_card():
    patron = PatronFactory()
    Card.objects.create(patron=patron, number="21234000000001")
    with database_refuses():
        Card.objects.create(patron=patron, number="21234000000002")
    assert patron.cards.count() == 1


def test_a_lost_card_and_its_replacement_can_both_exist():
    patron = PatronFactory()
    lost = Card.objects.create(patron=patron, number="21234000000001")
    Card.objects.filter(pk=lost.pk).update(status=Card.Status.LOST)
    Card.objects.create(patron=patron, number="21234000000002")

    assert patron.active_card.number == "21234000000002"
    # Reactivating the lost card would make two active cards.
    with database_refuses():
        Card.objects.filter(pk=lost.pk).update(status=Card.Status.ACTIVE)


def test_two_active_cards_in_one_bulk_insert_are_refused():
    patron = PatronFactory()
    with database_refuses():
        Card.objects.bulk_create(
            [
                Card(patron=patron, number="21234000000001"),
                Card(patron=patron, number="21234000000002"),
            ]
        )
    assert not patron.cards.exists()


def test_different_patrons_each_have_an_active_card():
    Card.objects.bulk_create(
        [
            Card(patron=PatronFactory(), number="21234000000001"),
            Card(patron=PatronFactory(), number="21234000000002"),
        ]
    )
    assert Card.objects.filter(status=Card.Status.ACTIVE).count() == 2


# -- blocks ------------------------------------------------------------------------------


def test_a_block_cannot_end_before_it_starts():
    start = timezone.now()
    with database_refuses():
        PatronBlock.objects.create(
            patron=PatronFactory(), reason="behaviour", starts_at=start, ends_at=start - HOUR
        )


def test_a_block_cannot_end_when_it_starts():
    start = timezone.now()
    with database_refuses():
        PatronBlock.objects.create(
            patron=PatronFactory(), reason="behaviour", starts_at=start, ends_at=start
        )


def test_a_block_cannot_be_moved_to_end_before_it_starts():
    block = PatronBlockFactory(ends_at=None)
    PatronBlock.objects.filter(pk=block.pk).update(ends_at=block.starts_at + HOUR)  # fine
    with database_refuses():
        PatronBlock.objects.filter(pk=block.pk).update(ends_at=block.starts_at - HOUR)


# -- PINs --------------------------------------------------------------------------------


def test_a_pin_is_stored_as_an_argon2_hash_and_checks():
    patron = PatronFactory(pin_hash="", pin_changed_at=None)
    patron.set_pin("8642")
    patron.save()

    patron = Patron.objects.get(pk=patron.pk)
    assert patron.pin_hash.startswith("argon2")
    assert "8642" not in patron.pin_hash
    assert patron.pin_changed_at is not None
    assert patron.check_pin("8642")
    assert not patron.check_pin("8643")
    assert not patron.check_pin("")


def test_a_patron_without_a_pin_cannot_sign_in_with_any_pin():
    patron = PatronFactory(pin_hash="")
    assert not patron.check_pin("")
    assert not patron.check_pin("0000")


def test_the_factory_pin_is_a_real_pin():
    assert PatronFactory().check_pin(DEFAULT_PIN)


# -- opaque names ------------------------------------------------------------------------

# One way to make a row of each record kind, full of things str() must not reveal.
MAKERS = {
    Patron: lambda p: p,
    Card: lambda p: p.cards.get(),
    PatronBlock: lambda p: PatronBlockFactory(patron=p, note="Shouted at the Quennells"),
    Loan: lambda p: LoanFactory(patron=p, item=ItemFactory(title=TitleFactory(title="Dracula"))),
    Hold: lambda p: HoldFactory(patron=p, title=TitleFactory(title="Frankenstein"), waiting=True),
    Fine: lambda p: FineFactory(patron=p, loan=LoanFactory(patron=p)),
    FinePayment: lambda p: PaymentFactory(fine=FineFactory(patron=p, loan=LoanFactory(patron=p))),
    ProgramRegistration: lambda p: ProgramRegistrationFactory(
        patron=p, program=ProgramFactory(name="Divorce recovery group")
    ),
    Visit: lambda p: VisitFactory(patron=p),
    ComputerSession: lambda p: ComputerSessionFactory(patron=p, workstation="PC-Quennell"),
    LegalHold: lambda p: LegalHoldFactory(patron=p, reference="Quennell subpoena"),
    DisclosureScope: lambda p: DisclosureScopeFactory(patron=p),
    NoticeSent: lambda p: NoticeSent.objects.create(
        patron=p, day=timezone.now(), kind="courtesy", ok=False
    ),
    NoticePreference: lambda p: NoticePreference.objects.create(patron=p, courtesy=False),
    SignUp: lambda p: SignUp.objects.create(
        first_name=p.first_name, last_name=p.last_name, email=p.email, reference="QUENNELL"
    ),
}


def revealing_strings(patron):
    """Everything that would identify the patron or what they used."""
    strings = {patron.first_name, patron.last_name, patron.email, patron.phone}
    strings |= set(patron.cards.values_list("number", flat=True))
    strings |= set(Title.objects.values_list("title", flat=True))
    strings |= set(Item.objects.values_list("barcode", flat=True))
    strings |= set(Program.objects.values_list("name", flat=True))
    strings |= {"Quennell", "PC-"}
    return {s for s in strings if s}


def test_every_patron_record_has_an_opaque_name():
    """auditlog keeps str(obj) as object_repr: it must be "Loan #12" (a notice sent: its
    kind and day), never a name, a card number or a title."""
    patron = PatronFactory(first_name="Philippa", last_name="Quennell", email="pq@example.org")
    CardFactory(patron=patron, number="21234999990001")
    unknown = [kind.model.__name__ for kind in registry if kind.model not in MAKERS]
    assert not unknown, f"Add a maker for {unknown} to this test."

    records = [MAKERS[kind.model](patron) for kind in registry]
    secrets = revealing_strings(patron)
    assert {"Dracula", "21234999990001", "Philippa", "Divorce recovery group"} <= secrets

    for record in records:
        name = str(record)
        if isinstance(record, NoticeSent):
            # Staff read the notices sent by kind and day, which name no patron.
            day = date_format(timezone.localdate(record.day), "DATE_FORMAT")
            assert name == f"{record.get_kind_display()}, {day}"
        else:
            assert name == f"{capfirst(record._meta.verbose_name)} #{record.pk}"
        leaked = {s for s in secrets if s.lower() in name.lower()}
        assert not leaked, f"{type(record).__name__}: {name!r} reveals {leaked}"


def test_the_audit_log_names_patron_records_opaquely():
    patron = PatronFactory(first_name="Philippa", last_name="Quennell")
    loan = LoanFactory(patron=patron, item=ItemFactory(title=TitleFactory(title="Dracula")))

    for record in (patron, loan):
        entries = LogEntry.objects.get_for_object(record)
        assert entries.exists()
        assert set(entries.values_list("object_repr", flat=True)) == {str(record)}
