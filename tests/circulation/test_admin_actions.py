"""Loans, holds and fines in the admin: read-only raw forms for staff, and the admin actions
that call the circulation services."""

import datetime
from decimal import Decimal

import pytest
from django.contrib.messages import constants as message_levels
from django.forms.models import model_to_dict
from django.urls import reverse

from circulation import services
from circulation.models import Fine, Hold, Item, Loan
from tests.circulation.conftest import database_state
from tests.factories import (
    BranchFactory,
    CardFactory,
    FineFactory,
    HoldFactory,
    PatronFactory,
)
from tests.helpers import signed_in

pytestmark = pytest.mark.django_db

DAY = datetime.timedelta(days=1)


def change_url(obj) -> str:
    meta = obj._meta
    return reverse(f"admin:{meta.app_label}_{meta.model_name}_change", args=[obj.pk])


def changelist_url(model) -> str:
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")


def messages_of(response) -> list[tuple[int, str]]:
    return [(message.level, message.message) for message in response.context["messages"]]


def action_choices(response) -> set[str]:
    form = response.context["action_form"]  # None when no action is offered at all
    return {value for value, _ in form.fields["action"].choices} if form else set()


@pytest.fixture
def records(card, lend):
    loan = lend(card.patron)
    return {
        "loan": loan,
        "hold": HoldFactory(patron=card.patron),
        "fine": FineFactory(patron=card.patron, loan=loan),
    }


# -- raw change forms -----------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["clerk", "librarian", "superuser"])
@pytest.mark.parametrize("kind", ["loan", "hold", "fine"])
def test_raw_change_forms_are_read_only_for_everyone(request, records, role, kind):
    """A patron's records change only through services: not even a superuser can set a
    loan's renewals, a fine's amount or a hold's pickup branch by hand."""
    client = signed_in(request.getfixturevalue(role))
    obj = records[kind]
    url = change_url(obj)

    response = client.get(url)
    assert response.status_code == 200
    html = response.content.decode()
    assert 'name="_save"' not in html and 'name="_continue"' not in html
    assert response.context["has_change_permission"] is False

    data = {name: "" if value is None else str(value) for name, value in model_to_dict(obj).items()}
    data.update({"renewals": "1", "amount": "3.75", "_save": "Save"})
    before = database_state()
    assert client.post(url, data).status_code == 403
    assert database_state() == before


@pytest.mark.parametrize("role", ["clerk", "librarian", "superuser"])
def test_nobody_adds_or_deletes_loans_holds_or_fines_by_hand(request, records, role):
    client = signed_in(request.getfixturevalue(role))
    for obj in records.values():
        model = type(obj)
        add = reverse(f"admin:circulation_{model._meta.model_name}_add")
        delete = reverse(f"admin:circulation_{model._meta.model_name}_delete", args=[obj.pk])
        assert client.get(add).status_code == 403
        assert client.post(delete, {"post": "yes"}).status_code == 403
        assert model.objects.filter(pk=obj.pk).exists()


# -- Loan actions -----------------------------------------------------------------------------


def test_renew_selected_loans_renews_and_reports_each_refusal(clerk_client, card, lend, now):
    renewable = lend(card.patron, due_in_days=2)
    wanted = lend(card.patron, due_in_days=2)
    HoldFactory(title=wanted.item.title)  # another patron is waiting for it
    wanted_due = wanted.due_at

    response = clerk_client.post(
        changelist_url(Loan),
        {"action": "renew_selected", "_selected_action": [renewable.pk, wanted.pk]},
        follow=True,
    )

    assert response.status_code == 200
    assert set(messages_of(response)) == {
        (message_levels.SUCCESS, "1 loans renewed."),
        (message_levels.WARNING, f"Loan #{wanted.pk}: Another patron is waiting for this title."),
    }
    renewable.refresh_from_db()
    wanted.refresh_from_db()
    assert renewable.renewals == 1 and renewable.due_at > now + 20 * DAY
    assert wanted.renewals == 0 and wanted.due_at == wanted_due


def test_check_in_selected_loans_returns_them_fines_and_reports_refusals(
    clerk_client, card, lend, now
):
    on_time = lend(card.patron, due_in_days=5)
    late = lend(card.patron, due_in_days=-3)
    returned = lend(card.patron)
    Loan.objects.filter(pk=returned.pk).update(returned_at=now)
    Item.objects.filter(pk=returned.item_id).update(status=Item.Status.AVAILABLE)

    response = clerk_client.post(
        changelist_url(Loan),
        {"action": "check_in_selected", "_selected_action": [on_time.pk, late.pk, returned.pk]},
        follow=True,
    )

    assert set(messages_of(response)) == {
        (message_levels.SUCCESS, "2 items checked in."),
        (message_levels.WARNING, f"Loan #{returned.pk}: This item is not checked out."),
    }
    assert Loan.objects.filter(pk__in=[on_time.pk, late.pk], returned_at__isnull=True).count() == 0
    assert Item.objects.get(pk=on_time.item_id).status == Item.Status.AVAILABLE
    fine = Fine.objects.get()
    assert fine.loan_id == late.pk and fine.amount > 0
    assert Loan.objects.get(pk=returned.pk).returned_at == now


def test_check_in_selected_traps_an_item_for_a_hold(clerk_client, card, lend, branch):
    loan = lend(PatronFactory())
    hold = HoldFactory(title=loan.item.title, pickup_branch=branch, patron=card.patron)
    clerk_client.post(
        changelist_url(Loan), {"action": "check_in_selected", "_selected_action": [loan.pk]}
    )
    hold.refresh_from_db()
    assert hold.status == Hold.Status.WAITING and hold.item_id == loan.item_id


def test_checking_in_an_old_loan_does_not_close_the_items_current_loan(
    clerk, clerk_client, card, lend
):
    old = lend(card.patron)
    services.loan_return(barcode=old.item.barcode, actor=clerk)
    # The copy goes out again, to somebody else.
    other = services.loan_checkout(
        card_number=CardFactory().number, barcode=old.item.barcode, actor=clerk
    )

    response = clerk_client.post(
        changelist_url(Loan),
        {"action": "check_in_selected", "_selected_action": [old.pk]},
        follow=True,
    )

    assert Loan.objects.get(pk=other.pk).returned_at is None
    assert (message_levels.SUCCESS, "1 items checked in.") not in messages_of(response)


def test_loan_actions_are_offered_to_a_clerk(clerk_client, card, lend):
    lend(card.patron)
    choices = action_choices(clerk_client.get(changelist_url(Loan)))
    assert {"renew_selected", "check_in_selected"} <= choices


# -- Fine actions -----------------------------------------------------------------------------


def test_waive_selected_fines_asks_for_a_reason_then_waives(librarian_client, librarian, card, now):
    fines = [FineFactory(patron=card.patron, amount=Decimal(a)) for a in ("1.00", "2.50")]
    selection = {"action": "waive_selected", "_selected_action": [f.pk for f in fines]}

    response = librarian_client.post(changelist_url(Fine), selection)
    assert response.status_code == 200
    assert response.templates[0].name == "admin/circulation/fine/waive.html"
    html = response.content.decode()
    assert "Reason for waiving" in html
    for fine in fines:
        assert f"Fine #{fine.pk}: ${fine.balance} owed" in html
    assert not Fine.objects.filter(waived_at__isnull=False).exists()

    response = librarian_client.post(
        changelist_url(Fine), {**selection, "apply": "1", "reason": "hardship"}, follow=True
    )
    assert (message_levels.SUCCESS, "2 fines waived.") in messages_of(response)
    for fine in fines:
        fine.refresh_from_db()
        assert fine.waive_reason == "hardship" and fine.waived_by == librarian
        assert fine.settled_at is not None and fine.balance == 0


def test_waiving_without_a_reason_shows_the_form_again(librarian_client, card):
    fine = FineFactory(patron=card.patron)
    before = database_state()
    response = librarian_client.post(
        changelist_url(Fine),
        {"action": "waive_selected", "_selected_action": [fine.pk], "apply": "1", "reason": " "},
    )
    assert response.status_code == 200
    assert response.context["form"].errors["reason"]
    assert database_state() == before


def test_waiving_a_settled_fine_is_reported(librarian_client, card, now):
    open_fine = FineFactory(patron=card.patron)
    paid = FineFactory(patron=card.patron, amount_paid=Decimal("2.50"), settled_at=now)
    response = librarian_client.post(
        changelist_url(Fine),
        {
            "action": "waive_selected",
            "_selected_action": [open_fine.pk, paid.pk],
            "apply": "1",
            "reason": "hardship",
        },
        follow=True,
    )
    assert set(messages_of(response)) == {
        (message_levels.SUCCESS, "1 fines waived."),
        (message_levels.WARNING, f"Fine #{paid.pk}: This fine is already settled."),
    }
    assert Fine.objects.get(pk=paid.pk).waived_at is None


def test_the_waive_action_is_not_offered_to_a_clerk(clerk_client, librarian_client, card):
    fine = FineFactory(patron=card.patron)
    assert "waive_selected" not in action_choices(clerk_client.get(changelist_url(Fine)))
    assert "waive_selected" in action_choices(librarian_client.get(changelist_url(Fine)))

    before = database_state()
    for data in (
        {"action": "waive_selected", "_selected_action": [fine.pk]},
        {"action": "waive_selected", "_selected_action": [fine.pk], "apply": "1", "reason": "x"},
    ):
        response = clerk_client.post(changelist_url(Fine), data)
        assert response.status_code in (200, 302, 403)
        assert "admin/circulation/fine/waive.html" not in [t.name for t in response.templates]
    assert database_state() == before


# -- Hold actions -----------------------------------------------------------------------------


def test_cancel_selected_holds(clerk_client, card, now):
    branch = BranchFactory()
    queued = HoldFactory(patron=card.patron, pickup_branch=branch)
    closed = HoldFactory(status=Hold.Status.FULFILLED, closed_at=now)
    response = clerk_client.post(
        changelist_url(Hold),
        {"action": "cancel_selected", "_selected_action": [queued.pk, closed.pk]},
        follow=True,
    )
    assert set(messages_of(response)) == {
        (message_levels.SUCCESS, "1 holds cancelled."),
        (message_levels.WARNING, f"Hold #{closed.pk}: This hold is no longer active."),
    }
    assert Hold.objects.get(pk=queued.pk).status == Hold.Status.CANCELLED
    assert Hold.objects.get(pk=closed.pk).status == Hold.Status.FULFILLED


def test_the_lists_open_for_a_clerk_with_the_records_in_them(clerk_client, records):
    for obj in records.values():
        response = clerk_client.get(changelist_url(type(obj)))
        assert response.status_code == 200
        assert f"{obj}</a>" in response.content.decode()
