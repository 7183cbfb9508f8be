"""Read-only queries of the patrons app."""

from dataclasses import dataclass

from .models import RetentionPolicy
from .policy import rules


@dataclass(frozen=True)
class ScheduleRow:
    kind: str
    label: str
    days: int
    active_while: str
    counted_from: str
    expunge_means: str

    @property
    def kept_for(self) -> str:
        return describe_days(self.days)


def describe_days(days: int) -> str:
    """Plain words for a retention period: 0 -> "until the next nightly run"."""
    if days == 0:
        return "until the next nightly run"
    if days % 365 == 0:
        years = days // 365
        return f"{years} year{'s' if years != 1 else ''} ({days} days)"
    return f"{days} day{'s' if days != 1 else ''}"


def retention_schedule() -> list[ScheduleRow]:
    """The schedule in force: the days come from `RetentionPolicy` (what the expunge
    applies), the wording from `patrons.policy`."""
    days = dict(RetentionPolicy.objects.values_list("kind", "days"))
    return [
        ScheduleRow(
            kind=rule.kind,
            label=rule.label,
            days=days.get(rule.kind, rule.default_days),
            active_while=rule.active_while,
            counted_from=rule.counted_from,
            expunge_means=rule.expunge_means,
        )
        for rule in rules()
    ]
