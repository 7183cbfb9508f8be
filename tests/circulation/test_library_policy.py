"""The library's policy (Settings > Library policy): one row the library administrator
edits in the admin, checked (amounts as decimals, days in their ranges) by the form, the
service and the database, audited, read once per request, and created on upgrade from the
environment variables that held it before."""

import importlib
from decimal import Decimal

import pytest
from auditlog.models import LogEntry
from django.core.exceptions import PermissionDenied
from django.core.signals import request_finished, request_started
from django.db import close_old_connections, connection
from django.db.migrations.executor import MigrationExecutor
from django.forms import MultiWidget
from django.test.utils import CaptureQueriesContext

from circulation import services
from circulation.exceptions import CirculationRefused
from circulation.models import Fine, Item, LibraryPolicy, Loan
from circulation.selectors import library_policy
from tests.factories import ItemFactory, LoanFactory
from tests.helpers import database_refuses

pytestmark = pytest.mark.django_db

URL = "/admin/circulation/librarypolicy/1/change/"

#: The form as the page posts it, with the defaults.
FORM = {
    "max_balance": "10.00",
    "hold_pickup_days": "7",
    "renew_overdue_limit_days": "14",
    "renew_overdue_charge": "charge",
    "fines_skip_closed_days": "on",
    "lost_after_days": "60",
    "default_replacement_cost": "25.00",
    "lost_processing_fee": "5.00",
    "lost_found_refund": "waive",
    "transit_overdue_days": "5",
    "courtesy_notice_days": "3",
    "card_expiry_notice_days": "30",
}


def test_the_administrator_changes_the_policy_and_the_desk_follows_it(
    director_client, director, branch, card, clerk
):
    assert URL in director_client.get("/admin/circulation/librarypolicy/").content.decode()
    page = director_client.get(URL)
    assert page.status_code == 200
    assert b"Lost item processing fee" in page.content

    answer = director_client.post(URL, {**FORM, "lost_processing_fee": "7.50"})
    assert answer.status_code == 302
    assert library_policy().lost_processing_fee == Decimal("7.50")

    item = ItemFactory(branch=branch, status=Item.Status.ON_LOAN, price=Decimal("20.00"))
    LoanFactory(item=item, patron=card.patron)
    services.item_declare_lost(barcode=item.barcode, actor=clerk)
    assert Fine.objects.get(reason=Fine.Reason.PROCESSING).amount == Decimal("7.50")

    entry = LogEntry.objects.get_for_object(LibraryPolicy.objects.get()).latest("pk")
    assert entry.actor == director
    assert entry.changes_dict["lost_processing_fee"] == ["5.00", "7.50"]


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("max_balance", "ten dollars"),
        ("max_balance", "-1.00"),
        ("lost_processing_fee", "1.005"),
        ("default_replacement_cost", "100000"),
        ("hold_pickup_days", "0"),
        ("hold_pickup_days", "61"),
        ("lost_after_days", "1000"),
        ("renew_overdue_charge", "sometimes"),
    ],
)
def test_a_wrong_value_is_a_form_error_and_changes_nothing(director_client, field, value):
    page = director_client.post(URL, {**FORM, "courtesy_notice_days": "5", field: value})
    assert page.status_code == 200
    assert page.context["adminform"].form.errors[field]
    policy = LibraryPolicy.objects.get()
    assert (policy.courtesy_notice_days, policy.max_balance) == (3, Decimal("10.00"))


def test_other_staff_may_not_see_or_change_it(clerk_client, librarian_client, librarian):
    for staff in (clerk_client, librarian_client):
        assert staff.get(URL).status_code == 403
        assert staff.post(URL, {**FORM, "hold_pickup_days": "3"}).status_code == 403
    with pytest.raises(PermissionDenied):
        services.library_policy_update(actor=librarian, changes={"hold_pickup_days": 3})
    with pytest.raises(PermissionDenied):
        services.library_policy_update(actor=None, changes={"hold_pickup_days": 3})
    assert library_policy().hold_pickup_days == 7


def test_the_service_refuses_a_wrong_value_with_the_reason_and_changes_nothing(director):
    with pytest.raises(CirculationRefused, match="hold pickup days"):
        services.library_policy_update(
            actor=director, changes={"max_balance": Decimal("3.00"), "hold_pickup_days": 0}
        )
    with pytest.raises(CirculationRefused, match="Not a library setting: id"):
        services.library_policy_update(actor=director, changes={"id": 2})
    assert library_policy().max_balance == Decimal("10.00")
    services.library_policy_update(actor=director, changes={"max_balance": Decimal("3.00")})
    assert library_policy().max_balance == Decimal("3.00")


def test_the_database_keeps_one_row_within_the_ranges():
    with database_refuses():
        LibraryPolicy.objects.create(id=2)
    with database_refuses():
        LibraryPolicy.objects.update(hold_pickup_days=0)
    with database_refuses():
        LibraryPolicy.objects.update(lost_processing_fee=Decimal("-1.00"))
    with database_refuses():
        LibraryPolicy.objects.update(lost_found_refund="sometimes")


def test_read_once_per_request_and_again_after_a_change(director):
    # As the test client does: a request's start and end, keeping the test's connection.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        request_started.send(sender=None)
        with CaptureQueriesContext(connection) as queries:
            for _ in range(5):
                assert library_policy().hold_pickup_days == 7
        assert len(queries) == 1
        services.library_policy_update(actor=director, changes={"hold_pickup_days": 9})
        assert library_policy().hold_pickup_days == 9
    finally:
        request_finished.send(sender=None)
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)
    # Outside a request (a task, the SIP2 server) every call reads the row.
    LibraryPolicy.objects.update(hold_pickup_days=4)
    assert library_policy().hold_pickup_days == 4


def test_without_the_row_the_defaults_apply_and_a_change_creates_it(director):
    LibraryPolicy.objects.all().delete()
    assert library_policy().lost_after_days == 60
    services.library_policy_update(actor=director, changes={"lost_after_days": 90})
    assert LibraryPolicy.objects.get().lost_after_days == 90


def test_a_copys_status_is_not_edited_in_the_admin(librarian_client, branch, card):
    loan = LoanFactory(
        item=ItemFactory(branch=branch, status=Item.Status.ON_LOAN), patron=card.patron
    )
    item = loan.item
    url = f"/admin/circulation/item/{item.pk}/change/"
    form = librarian_client.get(url).context["adminform"].form
    assert "status" not in form.fields
    data = {"status": Item.Status.AVAILABLE}  # what a crafted post would say
    for name in form.fields:
        widget, value = form[name].field.widget, form[name].value()
        if isinstance(widget, MultiWidget):
            for index, part in enumerate(widget.decompress(value)):
                data[f"{name}_{index}"] = "" if part is None else str(part)
        else:
            data[name] = "" if value is None else str(value)
    answer = librarian_client.post(url, data)
    assert answer.status_code == 302
    assert Item.objects.get(pk=item.pk).status == Item.Status.ON_LOAN
    assert Loan.objects.get(pk=loan.pk).returned_at is None


# -- the upgrade: the environment's values become the row ------------------------------------

migration = importlib.import_module("circulation.migrations.0023_library_policy")


def test_the_upgrade_copies_the_environment_values(monkeypatch):
    for name, value in {
        "CALUMET_MAX_BALANCE": "12.5",
        "CALUMET_HOLD_PICKUP_DAYS": "10",
        "CALUMET_LOST_AFTER_DAYS": "45",
        "CALUMET_DEFAULT_REPLACEMENT_COST": "30.00",
        "CALUMET_LOST_PROCESSING_FEE": "0",
        "CALUMET_LOST_FOUND_REFUND": "keep",
        "CALUMET_RENEW_OVERDUE_CHARGE": "forgive",
        "CALUMET_FINES_SKIP_CLOSED_DAYS": "false",
        "CALUMET_COURTESY_NOTICE_DAYS": "2",
    }.items():
        monkeypatch.setenv(name, value)
    values = migration._from_environment()
    assert values["max_balance"] == Decimal("12.50")
    assert values["hold_pickup_days"] == 10
    assert values["lost_after_days"] == 45
    assert values["default_replacement_cost"] == Decimal("30.00")
    assert values["lost_processing_fee"] == Decimal("0.00")
    assert values["lost_found_refund"] == "keep"
    assert values["renew_overdue_charge"] == "forgive"
    assert values["fines_skip_closed_days"] is False
    assert values["courtesy_notice_days"] == 2
    assert values["transit_overdue_days"] == 5  # not set: the old default
    LibraryPolicy.objects.update(**values)
    policy = LibraryPolicy.objects.get()
    policy.full_clean()  # what the admin will show is valid


def test_the_upgrade_brings_odd_values_into_range_and_never_fails(monkeypatch):
    monkeypatch.setenv("CALUMET_MAX_BALANCE", "lots")
    monkeypatch.setenv("CALUMET_LOST_AFTER_DAYS", "5000")
    monkeypatch.setenv("CALUMET_HOLD_PICKUP_DAYS", "0")
    monkeypatch.setenv("CALUMET_LOST_FOUND_REFUND", "sometimes")
    monkeypatch.setenv("CALUMET_LOST_PROCESSING_FEE", "NaN")
    values = migration._from_environment()
    assert values["max_balance"] == Decimal("10.00")
    assert values["lost_after_days"] == 730
    assert values["hold_pickup_days"] == 1
    assert values["lost_found_refund"] == "waive"
    assert values["lost_processing_fee"] == Decimal("5.00")


@pytest.mark.django_db(transaction=True)
def test_migrating_from_the_schema_before_keeps_the_librarys_values(monkeypatch):
    executor = MigrationExecutor(connection)
    executor.migrate([("circulation", "0022_remove_branch_opening_hours")])
    monkeypatch.setenv("CALUMET_LOST_PROCESSING_FEE", "6.25")
    monkeypatch.setenv("CALUMET_HOLD_PICKUP_DAYS", "9")
    monkeypatch.setenv("CALUMET_LOST_FOUND_REFUND", "keep")
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())
    policy = LibraryPolicy.objects.get()
    assert (policy.lost_processing_fee, policy.hold_pickup_days, policy.lost_found_refund) == (
        Decimal("6.25"),
        9,
        "keep",
    )
    assert policy.max_balance == Decimal("10.00")  # not set: the old default
