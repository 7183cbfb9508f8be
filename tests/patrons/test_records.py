"""The record registry and the record kinds of the patrons
app: the registration itself, cards and blocks."""

import datetime
from decimal import Decimal

import pytest
from django.apps import apps
from django.db import models
from django.db.models import Q
from django.test.utils import isolate_apps
from django.utils import timezone

from circulation.models import (
    Branch,
    ComputerSession,
    Fine,
    Hold,
    Item,
    Loan,
    Program,
    Title,
    VisitCount,
)
from patrons.models import Card, Patron
from patrons.records import PATRON_IDENTITY_FIELDS
from privacy.models import ExpungeRun, RetentionPolicy
from privacy.registry import Expunge, RecordKind, Registry, RegistryError, registry
from tests.factories import (
    BranchFactory,
    CardFactory,
    ComputerSessionFactory,
    FineFactory,
    HoldFactory,
    LoanFactory,
    PatronBlockFactory,
    PatronFactory,
    ProgramFactory,
    ProgramRegistrationFactory,
    VisitFactory,
)
from tests.helpers import our_app_labels, pks

OUR_APPS = our_app_labels()
DAY = datetime.timedelta(days=1)


# -- the registry walker -----------------------------------------------------------------


def paths_to_patron(model, _through=()) -> list[str]:
    """Every lookup path from `model` to `patrons.Patron` along forward relations
    (ForeignKey, OneToOneField, and ManyToManyField, which links a patron just as well).
    "" is the path of Patron itself."""
    if model is Patron:
        return [""]
    paths = []
    for field in model._meta.get_fields():
        if not isinstance(field, models.ForeignKey | models.ManyToManyField):
            continue  # reverse relations, generic relations, plain columns
        target = field.related_model
        if target in _through or target is model:
            continue
        for rest in paths_to_patron(target, (*_through, model)):
            paths.append(f"{field.name}__{rest}" if rest else field.name)
    return paths


def unregistered_patron_models(candidates) -> dict[str, list[str]]:
    """Models with a path to a patron that are not record kinds, with their paths."""
    return {
        model._meta.label: paths
        for model in candidates
        if (paths := paths_to_patron(model)) and model not in registry.models
    }


def our_models():
    return [model for label in OUR_APPS for model in apps.get_app_config(label).get_models()]


@pytest.mark.parametrize("label", OUR_APPS)
def test_our_apps_are_installed(label):
    assert apps.get_app_config(label)


def test_every_model_that_reaches_a_patron_is_a_record_kind():
    """the expunge, the patron's export and disclosure packages walk the registry,
    so a model linked to a patron that is not registered would be forgotten by all."""
    missing = unregistered_patron_models(our_models())
    assert not missing, (
        "These models link to a patron but are not record kinds in privacy.registry "
        f"(register them in <app>/records.py): {missing}"
    )


def test_the_walker_finds_direct_and_indirect_paths_to_a_patron():
    assert paths_to_patron(Patron) == [""]
    assert paths_to_patron(Loan) == ["patron"]
    assert sorted(paths_to_patron(Fine)) == ["loan__patron", "patron"]
    assert paths_to_patron(Card) == ["patron"]
    assert paths_to_patron(ComputerSession) == ["patron"]
    for unlinked in (Branch, Title, Item, Program, VisitCount, RetentionPolicy, ExpungeRun):
        assert paths_to_patron(unlinked) == [], unlinked
    # ... and the models it walks are ours: both kinds of model are there.
    found = our_models()
    assert Loan in found
    assert Branch in found


@isolate_apps("circulation")
def test_the_coverage_check_names_a_new_model_that_reaches_a_patron_through_another():
    class RoomBooking(models.Model):
        """A meeting-room booking made for a loan: linked to a patron two steps away."""

        loan = models.ForeignKey(Loan, on_delete=models.CASCADE)
        room = models.CharField(max_length=20)

        class Meta:
            app_label = "circulation"

        def __str__(self):
            return f"Room booking #{self.pk}"

    class Shelf(models.Model):
        branch = models.ForeignKey(Branch, on_delete=models.CASCADE)

        class Meta:
            app_label = "circulation"

        def __str__(self):
            return f"Shelf #{self.pk}"

    missing = unregistered_patron_models([Loan, Branch, RoomBooking, Shelf])
    assert missing == {"circulation.RoomBooking": ["loan__patron"]}


def test_each_kind_declares_a_path_that_really_reaches_the_patron():
    assert len(registry) >= 9
    for kind in registry:
        if kind.patron_path is None:
            # An applicant's record (an online sign-up): it must really reach no patron.
            assert paths_to_patron(kind.model) == [], kind.name
            continue
        assert kind.patron_path in paths_to_patron(kind.model), kind.name


def test_the_registry_holds_every_kind_of_confidential_record():
    assert set(registry.names()) >= {
        "patron",
        "card",
        "patron_block",
        "loan",
        "hold",
        "fine",
        "program_registration",
        "visit",
        "computer_session",
    }


@pytest.mark.parametrize(
    ("name", "expunge"),
    [
        ("loan", Expunge.ANONYMISE),
        ("hold", Expunge.DELETE),
        ("fine", Expunge.ANONYMISE),
        ("program_registration", Expunge.DELETE),
        ("visit", Expunge.DELETE),
        ("computer_session", Expunge.DELETE),
        ("patron_block", Expunge.DELETE),
        ("patron", Expunge.DELETE),
        ("card", Expunge.WITH_OWNER),
    ],
)
def test_expunge_means_what_design_section_4_says(name, expunge):
    assert registry.get(name).expunge is expunge


# -- registering kinds -------------------------------------------------------------------


def _kind(name, model, **overrides):
    options = {
        "name": name,
        "model": model,
        "patron_path": "patron",
        "active": lambda now: Q(pk__in=[]),
        "closed_at": lambda: models.F("visited_at"),
        "expunge": Expunge.DELETE,
        "export_fields": (),
    }
    return RecordKind(**{**options, **overrides})


def test_registering_a_second_kind_under_a_taken_name_is_refused():
    fresh = Registry()
    fresh.register(_kind("visit", registry.get("visit").model))
    with pytest.raises(RegistryError, match="registered twice"):
        fresh.register(_kind("visit", Hold))


def test_registering_a_model_twice_under_another_name_is_refused():
    fresh = Registry()
    visit_model = registry.get("visit").model
    fresh.register(_kind("visit", visit_model))
    with pytest.raises(RegistryError, match="already a record kind"):
        fresh.register(_kind("door_count", visit_model, policy_kind="visit"))
    assert fresh.names() == ["visit"]


def test_a_module_imported_twice_registers_its_kind_once():
    fresh = Registry()
    visit_model = registry.get("visit").model
    first = fresh.register(_kind("visit", visit_model))
    assert fresh.register(_kind("visit", visit_model)) is first
    assert len(fresh) == 1


def test_a_kind_without_a_retention_rule_is_refused_once_every_app_has_registered():
    fresh = Registry()
    fresh.register(_kind("meeting_room_booking", registry.get("visit").model))
    with pytest.raises(RegistryError, match="no retention rule"):
        fresh.check_rules()
    other = Registry()
    other.register(_kind("visit", registry.get("visit").model, policy_kind="nonsense"))
    with pytest.raises(RegistryError, match="no retention rule"):
        other.check_rules()


def test_a_kind_must_say_when_it_closes():
    with pytest.raises(RegistryError, match="closed_at"):
        _kind("loan", Loan, closed_at=None)


def test_identity_fields_must_be_export_fields():
    with pytest.raises(RegistryError, match="not export fields"):
        _kind("visit", Loan, export_fields=("branch__name",), identity_fields=("patron__email",))


def test_asking_for_an_unknown_kind_is_an_error():
    with pytest.raises(RegistryError, match="No record kind"):
        registry.get("meeting_room_booking")


# -- the patron's registration -----------------------------------------------------------

patron_kind = registry.get("patron")


def expired_patron(now, *, expired_days_ago=100, idle_days=120, **kwargs):
    """A patron whose card expired `expired_days_ago` and who was last seen `idle_days` ago
    (pass last_activity_at=None for one never seen since registering)."""
    kwargs.setdefault("last_activity_at", now - datetime.timedelta(days=idle_days))
    return PatronFactory(
        card_expires_on=timezone.localdate(now) - datetime.timedelta(days=expired_days_ago),
        **kwargs,
    )


@pytest.mark.django_db
def test_a_patron_with_a_valid_card_is_active(now):
    valid = PatronFactory(
        card_expires_on=timezone.localdate(now) + 30 * DAY,
        last_activity_at=now - 400 * DAY,
    )
    expired = expired_patron(now)

    assert pks(patron_kind.active_records(now)) == {valid.pk}
    assert pks(patron_kind.closed_records(now)) == {expired.pk}


# What keeps an expired registration open: any record of another kind that is active.
KEEPS_REGISTRATION_OPEN = {
    "open loan": lambda p, now: LoanFactory(patron=p),
    "returned loan with an unpaid fine": lambda p, now: FineFactory(
        patron=p, loan=LoanFactory(patron=p, returned_at=now - DAY)
    ),
    "hold in the queue": lambda p, now: HoldFactory(patron=p),
    "unpaid fine": lambda p, now: FineFactory(patron=p),
    "sign-up for a coming program": lambda p, now: ProgramRegistrationFactory(patron=p),
    "session on a public computer": lambda p, now: ComputerSessionFactory(patron=p),
    "block in force": lambda p, now: PatronBlockFactory(patron=p),
}
DOES_NOT_KEEP_IT_OPEN = {
    "returned loan": lambda p, now: LoanFactory(patron=p, returned_at=now - DAY),
    "cancelled hold": lambda p, now: HoldFactory(patron=p, status="cancelled", closed_at=now - DAY),
    "paid fine": lambda p, now: FineFactory(
        patron=p, amount_paid=FineFactory.amount, settled_at=now - DAY
    ),
    "sign-up for a past program": lambda p, now: ProgramRegistrationFactory(
        patron=p, program=ProgramFactory(starts_at=now - 3 * DAY)
    ),
    "visit": lambda p, now: VisitFactory(patron=p),
    "ended computer session": lambda p, now: ComputerSessionFactory(patron=p, ended_at=now),
    "lifted block": lambda p, now: PatronBlockFactory(patron=p, lifted_at=now - DAY),
    "lost card": lambda p, now: CardFactory(patron=p, status=Card.Status.LOST),
}


@pytest.mark.django_db
@pytest.mark.parametrize("record", KEEPS_REGISTRATION_OPEN, ids=str)
def test_an_active_record_keeps_an_expired_registration_open(now, record):
    patron = expired_patron(now)
    bystander = expired_patron(now)
    KEEPS_REGISTRATION_OPEN[record](patron, now)

    assert pks(patron_kind.active_records(now)) == {patron.pk}
    assert pks(patron_kind.closed_records(now)) == {bystander.pk}


@pytest.mark.django_db
@pytest.mark.parametrize("record", DOES_NOT_KEEP_IT_OPEN, ids=str)
def test_a_closed_record_does_not_keep_an_expired_registration_open(now, record):
    patron = expired_patron(now)
    DOES_NOT_KEEP_IT_OPEN[record](patron, now)

    assert pks(patron_kind.active_records(now)) == set()
    assert pks(patron_kind.closed_records(now)) == {patron.pk}


def _on_or_about(moment: datetime.datetime, day: datetime.date) -> bool:
    """`moment` falls within two days of `day`. Where exactly in that span a registration
    closes depends on the time zone; the lower bound is the subject of its own test."""
    return abs(moment.date() - day) <= 2 * DAY


@pytest.mark.django_db
def test_a_registration_closes_at_the_later_of_card_expiry_and_last_activity(now):
    today = timezone.localdate(now)
    active_after_expiry = expired_patron(now, expired_days_ago=800, idle_days=100)
    idle_before_expiry = expired_patron(now, expired_days_ago=800, idle_days=900)
    never_active = expired_patron(
        now, expired_days_ago=800, last_activity_at=None, registered_at=now - 2000 * DAY
    )

    closed_on = {p.pk: p.closed_on for p in patron_kind.closed_records(now)}

    # The last activity is kept as its month: the count starts after the end of that
    # month (32 days after its first day).
    assert closed_on[active_after_expiry.pk] == now - 100 * DAY + 32 * DAY
    assert _on_or_about(closed_on[idle_before_expiry.pk], today - 800 * DAY)
    assert _on_or_about(closed_on[never_active.pk], today - 800 * DAY)


@pytest.mark.django_db
def test_registrations_past_retention_are_exactly_those_closed_before_the_cutoff(now):
    retention = 730 * DAY  # the default for registrations
    due = expired_patron(now, expired_days_ago=800, idle_days=900)
    due_never_active = expired_patron(
        now, expired_days_ago=800, last_activity_at=None, registered_at=now - 2000 * DAY
    )
    recently_active = expired_patron(now, expired_days_ago=800, idle_days=100)
    recently_expired = expired_patron(now, expired_days_ago=700, idle_days=900)
    with_open_loan = expired_patron(now, expired_days_ago=800, idle_days=900)
    LoanFactory(patron=with_open_loan, checked_out_at=now - 900 * DAY)
    PatronFactory(card_expires_on=timezone.localdate(now) + DAY, last_activity_at=None)

    due_now = patron_kind.closed_before(now - retention, now=now)

    assert pks(due_now) == {due.pk, due_never_active.pk}
    assert recently_active.pk not in pks(due_now)
    assert recently_expired.pk not in pks(due_now)


@pytest.mark.django_db
def test_a_card_is_valid_through_its_expiry_day_in_the_library_time_zone():
    """Regression: the check once used the UTC date of timezone.now(), so from 6/7 pm in
    Chicago a card expiring that day already counted as expired."""
    local = timezone.get_default_timezone()
    expiry = datetime.date(2031, 6, 10)
    patron = PatronFactory(card_expires_on=expiry, last_activity_at=None)
    # The retention engine passes timezone.now(), which is in UTC.
    late_evening = datetime.datetime(2031, 6, 10, 23, 30, tzinfo=local).astimezone(datetime.UTC)
    next_morning = datetime.datetime(2031, 6, 11, 0, 30, tzinfo=local).astimezone(datetime.UTC)

    assert pks(patron_kind.active_records(late_evening)) == {patron.pk}
    assert pks(patron_kind.active_records(next_morning)) == set()


@pytest.mark.django_db
def test_a_registration_does_not_close_before_its_card_stops_working():
    """Regression: retention once counted from midnight UTC at the start of the expiry
    day (7 pm the day before in Chicago), before the card stopped working."""
    local = timezone.get_default_timezone()
    expiry = datetime.date(2021, 6, 10)
    PatronFactory(
        card_expires_on=expiry,
        last_activity_at=None,
        registered_at=datetime.datetime(2019, 6, 10, tzinfo=datetime.UTC),
    )
    end_of_expiry_day = datetime.datetime.combine(expiry + DAY, datetime.time.min, local)

    (closed,) = patron_kind.closed_records(timezone.now())

    assert end_of_expiry_day <= closed.closed_on <= end_of_expiry_day + 2 * DAY


@pytest.mark.django_db
def test_for_patron_returns_only_that_patron():
    patron, other = PatronFactory(), PatronFactory()
    assert pks(patron_kind.for_patron(patron)) == {patron.pk}
    assert pks(patron_kind.for_patron(other)) == {other.pk}


@pytest.mark.django_db
def test_the_export_of_a_registration_carries_the_declared_fields():
    branch = BranchFactory(name="Eastside Branch")
    patron = PatronFactory(
        first_name="Ada",
        last_name="Byron",
        email="ada@example.org",
        home_branch=branch,
        card_expires_on=datetime.date(2031, 1, 31),
        keep_reading_history=True,
    )

    exported = patron_kind.export(patron)

    assert list(exported) == list(patron_kind.export_fields)
    assert exported["first_name"] == "Ada"
    assert exported["last_name"] == "Byron"
    assert exported["email"] == "ada@example.org"
    assert exported["home_branch__name"] == "Eastside Branch"
    assert exported["card_expires_on"] == "2031-01-31"
    assert exported["registered_at"] == patron.registered_at.isoformat()
    assert exported["keep_reading_history"] is True
    assert "pin_hash" not in exported
    assert patron.pin_hash not in exported.values()


@pytest.mark.django_db
def test_an_identity_export_names_the_patron_and_nothing_about_their_use(now):
    """an emergency release identifies a person; it never says what they used."""
    patron = PatronFactory(first_name="Ada", last_name="Byron")
    loan = LoanFactory(patron=patron)

    exported = patron_kind.export(patron, identity_only=True)

    assert set(exported) == set(PATRON_IDENTITY_FIELDS)
    assert exported["first_name"] == "Ada"
    assert exported["last_name"] == "Byron"
    assert not {"home_branch__name", "category", "keep_reading_history"} & set(exported)
    values = " ".join(str(v) for v in exported.values())
    assert loan.item.title.title not in values
    assert loan.item.barcode not in values


# -- cards -------------------------------------------------------------------------------

card_kind = registry.get("card")


@pytest.mark.django_db
def test_cards_belong_to_their_patron_and_only_an_active_card_is_active(now):
    patron = PatronFactory()
    lost = CardFactory(patron=patron, status=Card.Status.LOST)
    active = CardFactory(patron=patron)
    someone_elses = CardFactory()

    assert pks(card_kind.for_patron(patron)) == {lost.pk, active.pk}
    assert pks(card_kind.active_records(now)) == {active.pk, someone_elses.pk}
    assert card_kind.export(active)["number"] == active.number
    assert card_kind.rule.kind == "patron"  # cards go with the registration


# -- patron blocks -----------------------------------------------------------------------

block_kind = registry.get("patron_block")


@pytest.mark.django_db
def test_a_block_is_active_until_lifted_or_ended(now):
    open_ended = PatronBlockFactory(ends_at=None)
    ending_later = PatronBlockFactory(ends_at=now + 10 * DAY)
    lifted = PatronBlockFactory(ends_at=now + 10 * DAY, lifted_at=now - 2 * DAY)
    ended = PatronBlockFactory(starts_at=now - 30 * DAY, ends_at=now - 3 * DAY)

    assert pks(block_kind.active_records(now)) == {open_ended.pk, ending_later.pk}
    closed_on = {b.pk: b.closed_on for b in block_kind.closed_records(now)}
    assert closed_on == {lifted.pk: now - 2 * DAY, ended.pk: now - 3 * DAY}


@pytest.mark.django_db
def test_a_block_ending_later_becomes_closed_when_its_end_passes(now):
    block = PatronBlockFactory(ends_at=now + 10 * DAY)
    later = now + 11 * DAY
    assert pks(block_kind.active_records(later)) == set()
    assert block_kind.closed_records(later).get().closed_on == block.ends_at


@pytest.mark.django_db
def test_blocks_past_retention_are_exactly_those_closed_before_the_cutoff(now):
    long_lifted = PatronBlockFactory(starts_at=now - 60 * DAY, lifted_at=now - 40 * DAY)
    long_ended = PatronBlockFactory(starts_at=now - 60 * DAY, ends_at=now - 31 * DAY)
    PatronBlockFactory(starts_at=now - 60 * DAY, lifted_at=now - 20 * DAY)
    PatronBlockFactory(starts_at=now - 60 * DAY)  # still in force after 60 days

    due = block_kind.closed_before(now - 30 * DAY, now=now)

    assert pks(due) == {long_lifted.pk, long_ended.pk}


@pytest.mark.django_db
def test_blocks_for_patron_and_their_export(now):
    patron = PatronFactory()
    block = PatronBlockFactory(patron=patron, note="Until the window is paid for.")
    PatronBlockFactory()

    assert pks(block_kind.for_patron(patron)) == {block.pk}
    exported = block_kind.export(block)
    assert list(exported) == list(block_kind.export_fields)
    assert exported["note"] == "Until the window is paid for."
    assert exported["starts_at"] == block.starts_at.isoformat()
    assert exported["ends_at"] is None
    assert block_kind.export(block, identity_only=True) == {}


@pytest.mark.django_db
def test_a_kinds_closed_records_are_exactly_those_not_active(now):
    """A kind may say how its closed records are chosen (for the database's plan); they
    must be exactly the linked records that are not active, in every state a loan can be
    in: out, returned, returned with a fine unpaid or paid, out with a fine."""
    patron = PatronFactory()
    out = LoanFactory(patron=patron)
    returned = LoanFactory(patron=patron, returned_at=now - DAY)
    owing = LoanFactory(patron=patron, returned_at=now - DAY)
    FineFactory(patron=patron, loan=owing)
    paid = LoanFactory(patron=patron, returned_at=now - 2 * DAY)
    FineFactory(patron=patron, loan=paid, amount_paid=Decimal("2.50"), settled_at=now - DAY)
    out_owing = LoanFactory(patron=patron)
    FineFactory(patron=patron, loan=out_owing)
    with_closed = [kind for kind in registry if kind.closed is not None]
    assert "loan" in {kind.name for kind in with_closed}
    for kind in with_closed:
        linked = kind.linked()
        not_active = pks(linked.exclude(kind.active(now)))
        assert pks(kind.closed_records(now)) == not_active, kind.name
        assert not_active.isdisjoint(pks(linked.filter(kind.active(now)))), kind.name
        assert not_active | pks(linked.filter(kind.active(now))) == pks(linked), kind.name
    assert pks(registry.get("loan").closed_records(now)) == {returned.pk, paid.pk}
    assert {out.pk, owing.pk, out_owing.pk}.isdisjoint(
        pks(registry.get("loan").closed_records(now))
    )
