"""Holds (placed, filled, the median wait) and the use of the branches (visits, public
computers, programs), per branch, beside the same period a year earlier."""

from __future__ import annotations

from stats.counts import Counts
from stats.tables import Table, Wait, branch_names


def holds(counts: Counts) -> Table:
    names = branch_names()
    table = Table(
        "holds",
        "Holds by pickup branch",
        [
            *("Branch", "Placed", "Filled", "Cancelled", "Expired"),
            *("Median wait (days)", "Placed a year earlier"),
        ],
        series=(1, 2),
        note="The median wait counts holds filled in the whole months the period touches.",
    )
    for branch_id in sorted(counts.holds, key=lambda b: names.get(b, "")):
        row = counts.holds[branch_id]
        wait, filled = counts.median_wait(branch_id)
        if not any(row.values()) and not filled:
            continue
        table.rows.append(
            [
                names.get(branch_id, str(branch_id)),
                *(row[name] for name in ("placed", "filled", "cancelled", "expired")),
                # A median of fewer holds than the threshold is hidden like a count.
                Wait(wait, filled),
                row["placed_before"],
            ]
        )
    return table


def branch_use(counts: Counts) -> Table:
    names = branch_names()
    visits, computers, programs = counts.visits, counts.computers, counts.programs
    table = Table(
        "branch-use",
        "Visits, computers and programs by branch",
        [
            *("Branch", "Visits", "Computer sessions", "Computer hours", "Program sessions"),
            *("Program attendance", "Visits a year earlier"),
        ],
        series=(1, 6),
    )
    for branch_id in sorted(
        set(visits) | set(computers) | set(programs), key=lambda b: names.get(b, "")
    ):
        v = visits.get(branch_id, {})
        c, p = computers.get(branch_id, {}), programs.get(branch_id, {})
        row = [
            names.get(branch_id, str(branch_id)),
            v.get("count", 0),
            c.get("sessions", 0),
            round(c.get("minutes", 0) / 60),
            p.get("sessions", 0),
            p.get("attendance", 0),
            v.get("count_before", 0),
        ]
        if any(row[1:]):
            table.rows.append(row)
    return table
