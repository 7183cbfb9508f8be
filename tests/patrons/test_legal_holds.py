"""Legal holds name kinds of the record registry: the admin's checkboxes go through the
service, the database refuses a kind that is not registered, and holds typed as free text
before are converted without ever holding less."""

import datetime
import re

import pytest
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.test import Client
from django.urls import reverse

from circulation.models import ComputerSession, Hold, Loan, Visit
from core.refusals import Refused
from patrons.models import Patron
from privacy import retention
from privacy.exceptions import PrivacyRefusal
from privacy.legal_holds import holdable_names, normalise_legacy_kinds
from privacy.models import LegalHold, RecordKindName, RecordKindSet, RecordKindSetMember
from privacy.registry import registry
from privacy.services import legal_hold_place
from staff.roles import LIBRARY_ADMINISTRATOR
from tests.factories import (
    CardFactory,
    ComputerSessionFactory,
    HoldFactory,
    LoanFactory,
    PatronFactory,
    StaffUserFactory,
    VisitFactory,
)
from tests.helpers import database_refuses

pytestmark = pytest.mark.django_db
DAY = datetime.timedelta(days=1)
ADD_URL = "admin:privacy_legalhold_add"


@pytest.fixture
def director_client():
    user = StaffUserFactory(username="director")
    user.groups.set(Group.objects.filter(name=LIBRARY_ADMINISTRATOR))
    client = Client()
    client.force_login(user)
    return client


def closed_records(patron, now):
    """A returned loan, a cancelled hold, a visit and a computer session, all closed a day
    ago: the next expunge removes each of them unless a hold keeps it."""
    return {
        "loan": LoanFactory(
            patron=patron, checked_out_at=now - 9 * DAY, due_at=now + DAY, returned_at=now - DAY
        ),
        "hold": HoldFactory(patron=patron, status=Hold.Status.CANCELLED, closed_at=now - DAY),
        "visit": VisitFactory(patron=patron, visited_at=now - DAY),
        "computer_session": ComputerSessionFactory(
            patron=patron, started_at=now - 2 * DAY, ended_at=now - DAY
        ),
    }


def still_linked(records, patron) -> set[str]:
    kept = set()
    if Loan.objects.filter(pk=records["loan"].pk, patron=patron).exists():
        kept.add("loan")
    if Hold.objects.filter(pk=records["hold"].pk).exists():
        kept.add("hold")
    if Visit.objects.filter(pk=records["visit"].pk).exists():
        kept.add("visit")
    if ComputerSession.objects.filter(pk=records["computer_session"].pk).exists():
        kept.add("computer_session")
    return kept


def post_hold(client, patron, **data):
    form = {"patron": patron.pk, "reason": "Subpoena, case 2026-CV-1", "_save": "Save", **data}
    return client.post(reverse(ADD_URL), form)


def test_the_add_form_offers_every_kind_by_default_and_the_kinds_by_human_name(
    director_client,
):
    html = director_client.get(reverse(ADD_URL)).content.decode()
    every_kind = re.search(r'<input[^>]*name="every_kind"[^>]*>', html).group(0)
    assert "checked" in every_kind
    assert "Program sign-ups" in html and "Public computer sessions" in html
    assert 'value="program_registration"' in html  # the value, never the label, is a code
    assert ">program_registration<" not in html
    assert 'value="card"' not in html  # cards are held with the registration


def test_a_hold_made_in_the_admin_form_protects_every_kind_it_names(director_client, now):
    patron = CardFactory().patron
    records = closed_records(patron, now)
    response = post_hold(director_client, patron, kinds=["hold", "loan"])
    assert response.status_code == 302, response.context["adminform"].form.errors
    hold = LegalHold.objects.get(patron=patron)
    assert hold.kind_list == ["hold", "loan"] and not hold.every_kind
    assert hold.set_by is not None

    retention.expunge(now=now)
    assert still_linked(records, patron) == {"loan", "hold"}  # the visit and session went


def test_a_hold_made_in_the_admin_form_with_every_kind_protects_everything(director_client, now):
    patron = CardFactory().patron
    records = closed_records(patron, now)
    # Every kind ticked, and a kind ticked as well: holding more wins.
    response = post_hold(director_client, patron, every_kind="on", kinds=["visit"])
    assert response.status_code == 302
    hold = LegalHold.objects.get(patron=patron)
    assert hold.every_kind and hold.kind_set is None

    result = retention.expunge(now=now)
    assert still_linked(records, patron) == set(records)
    assert result.counts["computer_session"]["held"] == 1


def test_the_admin_form_refuses_a_hold_of_nothing_and_an_unknown_kind(director_client):
    patron = PatronFactory()
    response = post_hold(director_client, patron)
    assert response.status_code == 200
    assert "or “Every kind of record”" in response.content.decode()
    response = post_hold(director_client, patron, kinds=["loan", "loans"])
    assert response.status_code == 200
    assert "loans is not one of the available choices" in response.content.decode()
    assert not LegalHold.objects.exists()


def test_a_hold_is_not_edited_in_the_admin(director_client):
    hold = legal_hold_place(patron=PatronFactory(), kinds=["loan"], reason="Court", actor=None)
    url = reverse("admin:privacy_legalhold_change", args=[hold.pk])
    page = director_client.get(url).content.decode()
    assert "Loans" in page
    director_client.post(url, {"reason": "changed", "every_kind": "on", "_save": "Save"})
    hold.refresh_from_db()
    assert hold.reason == "Court" and hold.kind_list == ["loan"]


def test_the_service_refuses_an_unknown_kind_with_a_clear_message():
    patron = PatronFactory()
    for kinds in (["loan", "lons"], ["card"], []):
        with pytest.raises(Refused) as refusal:
            legal_hold_place(patron=patron, kinds=kinds, reason="Court", actor=None)
        assert refusal.value.code == PrivacyRefusal.KIND
    with pytest.raises(Refused, match=r"Unknown record kind: lons\. Choose kinds from the list"):
        legal_hold_place(patron=patron, kinds=["lons"], reason="x", actor=None)
    assert not LegalHold.objects.exists()


def test_holds_naming_the_same_kinds_share_one_set():
    first = legal_hold_place(patron=PatronFactory(), kinds=["loan", "hold"], reason="a", actor=None)
    second = legal_hold_place(
        patron=PatronFactory(), kinds=["hold", "loan"], reason="b", actor=None
    )
    third = legal_hold_place(patron=PatronFactory(), kinds=["loan"], reason="c", actor=None)
    assert first.kind_set_id == second.kind_set_id != third.kind_set_id


def test_the_database_refuses_a_kind_that_is_not_registered():
    kind_set = RecordKindSet.objects.create()
    with database_refuses():
        RecordKindSetMember.objects.create(kind_set=kind_set, kind_id="lons")
        connection.check_constraints()  # foreign keys are checked at commit
    with database_refuses():
        RecordKindName.objects.filter(name="loan").delete()  # a set still names it
        RecordKindSetMember.objects.create(kind_set=kind_set, kind_id="loan")
        connection.check_constraints()


def test_the_model_refuses_a_kind_a_hold_cannot_name():
    kind_set = RecordKindSet.objects.create()
    with pytest.raises(ValidationError, match="card is not a kind a legal hold can name"):
        RecordKindSetMember(kind_set=kind_set, kind_id="card").full_clean()
    with pytest.raises(ValidationError):
        RecordKindSetMember(kind_set=kind_set, kind_id="lons").full_clean()
    RecordKindSetMember(kind_set=kind_set, kind_id="loan").full_clean()


def test_the_database_refuses_a_hold_that_is_neither_every_kind_nor_a_set():
    patron = PatronFactory()
    with database_refuses():
        LegalHold.objects.create(patron=patron, reason="x", every_kind=False, kind_set=None)
    with database_refuses():
        LegalHold.objects.create(
            patron=patron, reason="x", every_kind=True, kind_set=RecordKindSet.objects.create()
        )


def test_every_registered_kind_has_a_row_the_holds_can_point_at():
    assert set(RecordKindName.objects.values_list("name", flat=True)) >= set(registry.names())


def test_a_set_with_no_kinds_holds_every_kind(now):
    """Failing safe: a set emptied by hand holds more, never less."""
    patron = CardFactory().patron
    records = closed_records(patron, now)
    LegalHold.objects.create(
        patron=patron, reason="x", every_kind=False, kind_set=RecordKindSet.objects.create()
    )
    retention.expunge(now=now)
    assert still_linked(records, patron) == set(records)


@pytest.mark.parametrize(
    ("legacy", "kinds"),
    [
        ("hold, loan", ["hold", "loan"]),
        ("loan,hold", ["hold", "loan"]),
        (" Loan ,  HOLD,", ["hold", "loan"]),
        ("loan,,loan", ["loan"]),
        ("visit", ["visit"]),
        ("", None),
        ("  ,  ", None),
        (None, None),
        ("loans", None),  # not a kind: every kind
        ("loan, circulation records", None),  # one word not understood: every kind
        ("card", None),  # held with the registration, never alone
    ],
)
def test_legacy_free_text_is_normalised_never_to_fewer_kinds(legacy, kinds):
    assert normalise_legacy_kinds(legacy, set(holdable_names())) == kinds


@pytest.mark.django_db(transaction=True)
def test_the_data_migration_converts_the_holds_typed_before(now):
    """Back to the schema with free text, three holds typed by hand, then forward."""
    before = [("patrons", "0009_record_kinds_and_reading_history_schema")]
    executor = MigrationExecutor(connection)
    executor.migrate(before)
    old_apps = executor.loader.project_state(before).apps
    old_patron = old_apps.get_model("patrons", "Patron")
    old_hold = old_apps.get_model("patrons", "LegalHold")
    patron = old_patron.objects.create(
        first_name="A", last_name="B", card_expires_on=now.date(), keep_reading_history=True
    )
    for text in ("hold, loan", "", "loan, everything"):
        old_hold.objects.create(patron=patron, kinds=text, reason=f"typed: {text}")

    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes())

    holds = {hold.reason: hold for hold in LegalHold.objects.all()}
    assert holds["typed: hold, loan"].kind_list == ["hold", "loan"]
    assert not holds["typed: hold, loan"].every_kind
    assert holds["typed: "].every_kind
    assert holds["typed: loan, everything"].every_kind

    assert Patron.objects.get(pk=patron.pk).reading_history_via == "unrecorded"
