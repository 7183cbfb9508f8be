"""The most borrowed titles, from the counts per title per month. A title is named only
in a month it was borrowed at least the suppression threshold's number of times: a title
borrowed once in a month says what one person read."""

from __future__ import annotations

from django.conf import settings
from django.db.models import Sum

from circulation.models import Title
from stats.models import TitleMonth
from stats.period import Period
from stats.tables import Label, Table, month_range


def listed_from() -> int:
    """The fewest check-outs in a month for which a title is named (the threshold)."""
    return max(settings.CALUMET_STATS_SUPPRESS_BELOW, 1)


def titles_per_month(period: Period, per_month: int = 5) -> Table:
    best: dict = {}
    # One small query per month, read from the top of the (month, check-outs) index.
    for month in Period(period.start, period.end, "month").buckets():
        rows = TitleMonth.objects.filter(
            month=month, checkouts__gte=listed_from(), title__isnull=False
        )
        rows = rows.order_by("-checkouts", "title_id").values_list("title_id", "checkouts")
        entries = list(rows[:per_month])
        if entries:
            best[month] = entries
    ids = {t for entries in best.values() for t, _ in entries}
    names = dict(Title.objects.filter(pk__in=ids).values_list("pk", "title"))
    table = Table(
        "titles-per-month",
        f"Most borrowed titles per month (top {per_month})",
        ["Month", "Rank", "Title", "Check-outs"],
        adds_up="",
        chart="",
        note="A title borrowed fewer times in a month than the suppression threshold is"
        " not named for that month.",
    )
    for month in sorted(best):
        for rank, (title_id, checkouts) in enumerate(best[month], 1):
            table.rows.append(
                [month.strftime("%Y-%m"), Label(str(rank)), Label(names[title_id]), checkouts]
            )
    return table


def top_titles(period: Period, limit: int = 10) -> Table:
    """The period's most borrowed titles (a CSV download: it adds up every title's
    months, too slow for the page over a year). Only the months in which a title reached
    the threshold count, so that its total less the months the page lists never gives a
    month's small count."""
    rows = list(
        TitleMonth.objects.filter(
            **month_range(period), checkouts__gte=listed_from(), title__isnull=False
        )
        .values("title_id")
        .annotate(n=Sum("checkouts"))
        .order_by("-n", "title_id")[:limit]
    )
    names = dict(
        Title.objects.filter(pk__in=[r["title_id"] for r in rows]).values_list("pk", "title")
    )
    table = Table(
        "top-titles",
        "Most borrowed titles in the period",
        ["Title", "Check-outs"],
        adds_up="",
        note="Counted over the whole months the period touches, in the months a title was"
        " borrowed at least as often as the suppression threshold.",
    )
    table.rows = [[names.get(r["title_id"], "?"), r["n"]] for r in rows]
    return table
