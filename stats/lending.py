"""Circulation figures: per day, week or month, and per branch, item type and patron
category, each beside the same period a year earlier (from `Counts.circulation*`)."""

from __future__ import annotations

from stats.counts import CIRCULATION, Counts
from stats.tables import ITEM_TYPES, Table, branch_names, category_names


def circulation_over_time(counts: Counts) -> Table:
    period = counts.period
    now, earlier = counts.circulation_over_time
    table = Table(
        "circulation",
        f"Circulation per {period.group}",
        [
            period.group.capitalize(),
            "Check-outs",
            "Renewals",
            "Returns",
            "Check-outs a year earlier",
        ],
        chart="columns",
        series=(1, 4),
        # The library's totals per month: exact, like the annual report (the breakdowns
        # below are what is protected).
        adds_up="",
        exact=True,
    )
    for bucket in period.buckets():
        row = now.get(bucket, {})
        table.rows.append(
            [
                period.label(bucket),
                *(row.get(name, 0) for name in CIRCULATION),
                earlier.get(bucket, 0),
            ]
        )
    return table


#: The label of counts the expunge merged so that no cell singles out a few patrons.
OTHER = "Others (merged for privacy)"

HEADINGS = {"branch": "Branch", "item_type": "Item type", "patron_category": "Patron category"}


def circulation_by(counts: Counts, column: str) -> Table:
    """Per branch, item type or patron category: this period and a year earlier."""
    key = "branch_id" if column == "branch" else column
    names = {
        "branch": branch_names,
        "item_type": lambda: ITEM_TYPES,
        "patron_category": category_names,
    }[column]()
    # Rows the expunge generalised keep no branch breakdown of type or category.
    names = {**names, "": OTHER}
    rolled: dict = {}
    for row in counts.circulation:
        sums = rolled.setdefault(row[key], dict.fromkeys((*CIRCULATION, "before"), 0))
        for name in CIRCULATION:
            sums[name] += row[name]
        sums["before"] += row["checkouts_before"]
    heading = HEADINGS[column]
    table = Table(
        f"circulation-by-{column.replace('_', '-')}",
        f"Circulation by {heading.lower()}",
        [heading, "Check-outs", "Renewals", "Returns", "Check-outs a year earlier"],
        series=(1, 4),
    )
    for code in sorted(rolled, key=lambda c: str(names.get(c, c))):
        sums = rolled[code]
        if not any(sums.values()):
            continue
        table.rows.append(
            [str(names.get(code, code)), *(sums[name] for name in CIRCULATION), sums["before"]]
        )
    return table
