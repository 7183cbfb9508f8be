"""Read-only queries of the privacy kernel: the retention schedule in force."""

from dataclasses import dataclass

from django.utils.translation import gettext, ngettext

from privacy.models import RetentionPolicy
from privacy.policy import rules


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
        return gettext("until the next nightly run")
    if days % 365 == 0:
        years = days // 365
        return ngettext(
            "%(years)d year (%(days)d days)", "%(years)d years (%(days)d days)", years
        ) % {"years": years, "days": days}
    return ngettext("%(days)d day", "%(days)d days", days) % {"days": days}


def retention_schedule() -> list[ScheduleRow]:
    """The schedule in force: the days come from `RetentionPolicy` (what the expunge
    applies), the wording from `privacy.policy`, in the language of the request."""
    days = dict(RetentionPolicy.objects.values_list("kind", "days"))
    return [
        ScheduleRow(
            kind=rule.kind,
            label=gettext(rule.label),
            days=days.get(rule.kind, rule.default_days),
            active_while=gettext(rule.active_while),
            counted_from=gettext(rule.counted_from),
            expunge_means=gettext(rule.expunge_means),
        )
        for rule in rules()
    ]


def retention_for(kind: str) -> ScheduleRow:
    """One row of the schedule in force (the privacy page's row for `kind`), for a page
    that tells the patron how long one kind of record is kept."""
    for row in retention_schedule():
        if row.kind == kind:
            return row
    raise LookupError(f"No retention rule for {kind!r}.")


def longest_retention_days() -> int:
    """The longest retention in force, in days: no backup may be kept longer."""
    return max((row.days for row in retention_schedule()), default=0)
