"""The library's settings and catalog change through their services (the admin's forms
included): a valid change is saved and audited as the staff member's, a refused one says
why and changes nothing, and the fields the desk's services own stay theirs."""

import datetime

import pytest
from auditlog.models import LogEntry
from django.core.exceptions import PermissionDenied
from django.urls import reverse

from circulation import services
from circulation.admin.library import CirculationRuleAdmin
from circulation.exceptions import CirculationRefusal
from circulation.models import BranchClosure, CirculationRule, Item, Title
from patrons.exceptions import PatronRefusal
from patrons.models import PatronCategory
from patrons.services import patron_category_save
from privacy.exceptions import PrivacyRefusal
from privacy.models import RetentionPolicy
from privacy.services import retention_policy_save
from tests.circulation.conftest import database_state
from tests.factories import ItemFactory, ProgramFactory, TitleFactory

pytestmark = pytest.mark.django_db


def last_entry(obj) -> LogEntry:
    return LogEntry.objects.get_for_object(obj).latest("timestamp")


def test_a_closed_day_is_saved_and_audited_as_the_librarians(librarian, branch):
    closure = BranchClosure(branch=branch, date=datetime.date(2026, 7, 4), reason="Fourth")
    services.branch_closure_save(closure, actor=librarian)
    assert BranchClosure.objects.filter(branch=branch, reason="Fourth").exists()
    assert last_entry(closure).actor == librarian


def test_a_closed_day_without_a_reason_is_refused(librarian, branch, refused):
    closure = BranchClosure(branch=branch, date=datetime.date(2026, 7, 4), reason="")
    message = refused(
        lambda: services.branch_closure_save(closure, actor=librarian),
        code=CirculationRefusal.NOT_SAVED,
    )
    assert "Reason: This field cannot be blank." in message


def test_a_second_rule_for_the_same_cell_is_refused(librarian, branch, refused):
    services.circulation_rule_save(
        CirculationRule(branch=branch, item_type="dvd", loan_days=7), actor=librarian
    )
    message = refused(
        lambda: services.circulation_rule_save(
            CirculationRule(branch=branch, item_type="dvd", loan_days=14), actor=librarian
        ),
        code=CirculationRefusal.NOT_SAVED,
    )
    assert "already a rule for this branch" in message


def test_a_clerk_may_not_change_a_rule(clerk, branch):
    rule = CirculationRule(branch=branch, item_type="dvd", loan_days=7)
    with pytest.raises(PermissionDenied):
        services.circulation_rule_save(rule, actor=clerk)
    assert not CirculationRule.objects.filter(branch=branch, item_type="dvd").exists()


def test_a_copys_status_and_count_stay_the_desks(librarian):
    item = ItemFactory(status=Item.Status.ON_LOAN, circulation_count=4)
    item.status = Item.Status.AVAILABLE
    item.circulation_count = 0
    item.call_number = "623.89 KEE"
    services.item_save(item, actor=librarian)
    item.refresh_from_db()
    assert (item.status, item.circulation_count, item.call_number) == (
        Item.Status.ON_LOAN,
        4,
        "623.89 KEE",
    )


def test_a_new_copy_starts_on_the_shelf(librarian, branch):
    item = Item(title=TitleFactory(), barcode="39999000000001", branch=branch)
    item.status = Item.Status.LOST
    services.item_save(item, actor=librarian)
    item.refresh_from_db()
    assert item.status == Item.Status.AVAILABLE


def test_a_title_with_copies_is_not_deleted(librarian, refused):
    title = ItemFactory().title
    message = refused(
        lambda: services.title_delete(title, actor=librarian), code=CirculationRefusal.IN_USE
    )
    assert message == "Title not deleted: it is still used by items."


def test_a_program_keeps_its_counts(librarian):
    program = ProgramFactory(registration_count=3, attendance_count=2)
    program.registration_count = 0
    program.name = "Lace making"
    services.program_save(program, actor=librarian)
    program.refresh_from_db()
    assert (program.name, program.registration_count) == ("Lace making", 3)


def test_a_patron_category_with_a_bad_code_is_refused(director, refused):
    category = PatronCategory(code="Not a slug!", name="Visitors")
    refused(lambda: patron_category_save(category, actor=director), code=PatronRefusal.CATEGORY)
    patron_category_save(PatronCategory(code="visitor", name="Visitors"), actor=director)
    assert PatronCategory.objects.get(code="visitor").name == "Visitors"


def test_retention_days_are_checked_and_the_kind_stays(director, refused):
    policy = RetentionPolicy.objects.get(kind="loan")
    policy.days = -1
    refused(lambda: retention_policy_save(policy, actor=director), code=PrivacyRefusal.NOT_SAVED)
    policy.refresh_from_db()
    policy.days, policy.kind = 30, "hold"
    retention_policy_save(policy, actor=director)
    policy.refresh_from_db()
    assert (policy.kind, policy.days) == ("loan", 30)
    assert last_entry(policy).actor == director


# -- through the admin -------------------------------------------------------------------


def rule_form(branch, **changes) -> dict:
    data = {
        "patron_category": "",
        "item_type": "dvd",
        "branch": str(branch.pk),
        "loan_days": "7",
        "max_renewals": "1",
        "daily_fine": "1.00",
        "grace_days": "0",
        "max_fine": "10.00",
        "max_loans": "5",
        "max_holds": "5",
        "holdable": "on",
    }
    return {**data, **changes}


def test_a_librarian_adds_a_rule_in_the_admin_and_is_named_in_the_audit_log(
    librarian_client, librarian, branch
):
    url = reverse("admin:circulation_circulationrule_add")
    response = librarian_client.post(url, rule_form(branch))
    assert response.status_code == 302, response.context["adminform"].form.errors
    rule = CirculationRule.objects.get(branch=branch, item_type="dvd")
    assert rule.loan_days == 7
    assert last_entry(rule).actor == librarian


def test_a_refusal_in_the_admin_is_a_message_and_changes_nothing(
    librarian_client, branch, monkeypatch
):
    def refuse(rule, *, actor):
        rule.save()  # half a change, which the refusal must undo
        raise CirculationRefusal.NOT_SAVED.refuse("Rule not saved: the reason.")

    monkeypatch.setitem(
        CirculationRuleAdmin.services,
        CirculationRule,
        (refuse, services.circulation_rule_delete),
    )
    url = reverse("admin:circulation_circulationrule_add")
    before = database_state()
    response = librarian_client.post(url, rule_form(branch), follow=True)
    assert response.status_code == 200
    shown = [str(message) for message in response.context["messages"]]
    assert shown == ["Rule not saved: the reason."]
    assert database_state() == before


def test_a_title_in_use_is_not_deleted_from_the_admin(librarian_client):
    title = ItemFactory().title
    url = reverse("admin:circulation_title_delete", args=[title.pk])
    response = librarian_client.post(url, {"post": "yes"})
    assert response.status_code in (200, 403)  # the admin's "cannot delete" page
    assert Title.objects.filter(pk=title.pk).exists()


def test_a_librarian_adds_a_title_with_a_copy_in_the_admin(librarian_client, librarian, branch):
    url = reverse("admin:circulation_title_add")
    page = librarian_client.get(url)
    assert page.status_code == 200
    data = {
        "title": "Lighthouses of Lake Michigan",
        "format": "book",
        "language": page.context["adminform"].form["language"].value() or "",
        "created_at_0": "2026-03-11",
        "created_at_1": "12:00:00",
        "items-TOTAL_FORMS": "1",
        "items-INITIAL_FORMS": "0",
        "items-MIN_NUM_FORMS": "0",
        "items-MAX_NUM_FORMS": "1000",
        "items-0-barcode": "39999000000077",
        "items-0-branch": str(branch.pk),
        "items-0-item_type": "book",
        "items-0-call_number": "387.1 LIG",
        "_save": "Save",
    }
    response = librarian_client.post(url, data)
    assert response.status_code == 302, response.context["adminform"].form.errors or [
        f.errors for f in response.context["inline_admin_formsets"][0].formset.forms
    ]
    item = Item.objects.get(barcode="39999000000077")
    assert (item.title.title, item.status) == ("Lighthouses of Lake Michigan", "available")
