"""The retention schedule: the rules the apps declare, the RetentionPolicy rows, the registry."""

import pytest

from privacy.models import RetentionPolicy
from privacy.policy import RULES_BY_KIND, ensure_retention_policies, rules
from privacy.registry import registry

pytestmark = pytest.mark.django_db

# The library's published schedule (docs/retention.md), copied by hand: a change to the
# defaults must change this too.
DESIGN_DEFAULT_DAYS = {
    "loan": 0,
    "hold": 0,
    "fine": 0,
    "program_registration": 0,
    "visit": 0,
    "computer_session": 0,
    "notice_sent": 30,
    "patron_block": 0,
    "patron": 730,
    "audit_entry": 365,
    "disclosure_request": 1825,
    "signup": 30,
}


def policy_days() -> dict[str, int]:
    return dict(RetentionPolicy.objects.values_list("kind", "days"))


def test_the_rules_are_the_design_schedule():
    assert {rule.kind: rule.default_days for rule in rules()} == DESIGN_DEFAULT_DAYS
    assert len(RULES_BY_KIND) == len(rules())  # no kind listed twice
    assert [rule.kind for rule in rules()][:3] == ["loan", "hold", "fine"]


def test_a_fresh_database_holds_the_design_defaults():
    """The data migration created one row per rule with its default days."""
    assert policy_days() == DESIGN_DEFAULT_DAYS


def test_every_record_kind_follows_a_rule_with_a_policy_row():
    days = policy_days()
    for kind in registry:
        rule_kind = kind.policy_kind or kind.name
        assert kind.rule is RULES_BY_KIND[rule_kind], kind.name
        assert rule_kind in days, f"no RetentionPolicy row for {kind.name!r}"


def test_a_missing_row_is_created_with_its_default():
    RetentionPolicy.objects.filter(kind__in=["visit", "patron"]).delete()

    assert ensure_retention_policies() == 2

    assert policy_days() == DESIGN_DEFAULT_DAYS


def test_a_row_an_administrator_edited_is_left_alone():
    RetentionPolicy.objects.filter(kind="patron").update(days=1095)
    RetentionPolicy.objects.filter(kind="loan").update(days=14)

    assert ensure_retention_policies() == 0

    assert policy_days() == {**DESIGN_DEFAULT_DAYS, "patron": 1095, "loan": 14}


def test_a_policy_row_is_named_by_its_rule():
    row = RetentionPolicy.objects.get(kind="computer_session")
    assert str(row) == "Public computer sessions"
