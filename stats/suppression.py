"""Small numbers hidden: every count from 1 to the threshold less one (a setting,
CALUMET_STATS_SUPPRESS_BELOW, default 5) reads "fewer than 5" on the page, "<5" in the
CSV, and draws nothing in a chart; docs/privacy.md explains the rule.

Hiding a small count is not enough where the counts add up to a total someone can see
or work out (the library's total check-outs is on the page; an expunge run's "In all"
beside its parts): with one part hidden, the total less the others gives it back. So in
each column of a breakdown (and each row that adds up), once one count is hidden the
smallest others are hidden with it until at least two are hidden and the hidden ones add
up to the threshold or more; no single hidden count can then be worked out. Those
hidden with a small one read "withheld" (they are not small: saying "fewer than 5"
would be wrong). Where the small one is the only count of its column that is not 0,
zeros of other rows (`partners`) read "fewer than 5" with it, which is true of a 0.
"""

from __future__ import annotations

from html import escape

from django.conf import settings
from django.utils.safestring import mark_safe

from stats.charts import chart
from stats.tables import Label, Table, Wait


def threshold() -> int:
    return max(settings.CALUMET_STATS_SUPPRESS_BELOW, 0)


def small(value: int, below: int) -> bool:
    return 0 < value < below


def _complement(cells: dict, below: int, hidden: set, withheld: set, order=lambda pos: pos) -> None:
    """`cells`: {position: count} of counts that add up to a total. Withhold more of
    them (the smallest first, ties by `order`) until no hidden one can be worked out from
    the total. The choice depends only on the counts and their labels (`order`), so the
    same month reads the same wherever it is shown (stats/protect.py)."""
    mine = {pos for pos in cells if pos in hidden or pos in withheld}
    if not mine:
        return
    others = sorted(
        (value, order(pos), pos) for pos, value in cells.items() if pos not in mine and value
    )
    others = [(value, pos) for value, _, pos in others]
    while others and (len(mine) < 2 or sum(cells[pos] for pos in mine) < below):
        _, pos = others.pop(0)
        mine.add(pos)
        withheld.add(pos)
    if len(mine) == 1:
        # It is the only count of the column that is not 0: the total less the zeros
        # would give it back. Its partners (fixed by the labels alone) are hidden too.
        hidden |= partners(sorted(cells, key=order), *mine) - mine


def partners(ordered: list, pos) -> set:
    """The group `pos` is hidden with when it is the only count of its column that is
    not 0: the positions in label order taken two by two (the last three together when
    they are odd in number). Which of a group holds the count changes nothing of what is
    hidden, so the hidden cells do not say whose it is."""
    if len(ordered) < 2:
        return set()
    start = ordered.index(pos) // 2 * 2
    if start + 3 == len(ordered) or start + 1 == len(ordered):
        start = len(ordered) - 3 if len(ordered) >= 3 else 0
    return set(ordered[start : start + 3 if start + 3 == len(ordered) else start + 2])


def hidden_cells(table: Table, below: int) -> set[tuple[int, int]]:
    """The (row, column) positions of the counts to hide (small, or withheld)."""
    small_ones, withheld = suppressed_cells(table, below)
    return small_ones | withheld


def suppressed_cells(table: Table, below: int, forced: set = frozenset()) -> tuple[set, set]:
    """The (row, column) positions of the small counts, and of those withheld with them.
    `forced`: (row label, column) of cells to withhold whatever their count (a period's
    cell that a month of it hides, stats/protect.py)."""
    hidden, withheld = set(), set()
    counts: dict[tuple[int, int], int] = {}
    for i, row in enumerate(table.rows):
        for j, value in enumerate(row[1:], 1):
            if isinstance(value, Wait):
                if small(value.holds, below):
                    hidden.add((i, j))
                elif (str(row[0]), j) in forced:
                    withheld.add((i, j))
            elif isinstance(value, int) and not isinstance(value, bool):
                counts[i, j] = value
                if table.exact:
                    continue
                if small(value, below):
                    hidden.add((i, j))
                elif (str(row[0]), j) in forced:
                    # A 0 is hidden only with a lone small count: it reads as that one.
                    (withheld if value else hidden).add((i, j))
    if table.adds_up == "columns":
        label = lambda pos: str(table.rows[pos[0]][0])  # noqa: E731
        for j in range(1, len(table.columns)):
            column = {p: v for p, v in counts.items() if p[1] == j}
            _complement(column, below, hidden, withheld, label)
    elif table.adds_up == "rows":  # the last cell of a row is the sum of the others
        last = len(table.columns) - 1
        for i in range(len(table.rows)):
            parts = {p: v for p, v in counts.items() if p[0] == i and p[1] != last}
            _complement(parts, below, hidden, withheld)
    return hidden, withheld


WITHHELD = "withheld"


def cell(value, below: int, hidden: bool = False, withheld: bool = False) -> dict:
    """How one value is shown: its text on the page, in the CSV, and the number charted
    (for a hidden one, the mark the chart shows instead)."""
    if hidden:
        return {"text": f"fewer than {below}", "csv": f"<{below}", "value": None, "num": True,
                "hidden": True, "mark": f"<{below}"}  # fmt: skip
    if withheld:
        return {"text": WITHHELD, "csv": WITHHELD, "value": None, "num": True,
                "hidden": True, "mark": "–"}  # fmt: skip
    if isinstance(value, Label):
        return {"text": str(value), "csv": str(value), "value": None, "num": False}
    if isinstance(value, Wait):
        if value.days is None:
            return {"text": "—", "csv": "", "value": None, "num": True}
        return {"text": str(value.days), "csv": str(value.days), "value": value.days, "num": True}
    if isinstance(value, int) and not isinstance(value, bool):
        return {"text": f"{value:,}", "csv": str(value), "value": value, "num": True}
    if value is None:
        return {"text": "—", "csv": "", "value": None, "num": True}
    return {"text": str(value), "csv": str(value), "value": None, "num": False}


def figure(value: int | None) -> dict:
    """A single total (the page's summary, the annual report): hidden when small."""
    below = threshold()
    return cell(value, below, isinstance(value, int) and small(value, below))


def exact(value: int | None) -> dict:
    """A whole-library total (a month's, a period's, a fiscal year's): shown as it is."""
    return cell(value, threshold())


def present(table: Table, forced: set = frozenset()) -> dict:
    """The table's cells as shown (small counts hidden), and its chart drawn from them."""
    below = threshold()
    small_ones, withheld = suppressed_cells(table, below, forced)
    rows = [
        [{"text": str(row[0]), "csv": str(row[0])}]
        + [
            cell(value, below, (i, j) in small_ones, (i, j) in withheld)
            for j, value in enumerate(row[1:], 1)
        ]
        for i, row in enumerate(table.rows)
    ]
    drawn = None
    if table.chart and any(row[i]["value"] for row in rows for i in table.series):
        labels = [row[0]["text"] for row in rows]
        series = [
            (table.columns[i], [row[i].get("mark", row[i]["value"]) for row in rows])
            for i in table.series
        ]
        drawn = chart(title=table.title, labels=labels, series=series, kind=table.chart)
    return {"table": table, "rows": rows, "chart": drawn, "body": _body(rows)}


def _td_class(c: dict) -> str:
    return " ".join(
        name for name, on in (("num", c.get("num")), ("hidden-value", c.get("hidden"))) if on
    )


def _body(rows: list[list[dict]]) -> str:
    """The table's rows as HTML (a year of days is a few thousand cells: written here,
    each text escaped, rather than by the template engine, a tenth of the time)."""
    lines = []
    for row in rows:
        cells = "".join(f'<td class="{_td_class(c)}">{escape(c["text"])}</td>' for c in row[1:])
        lines.append(f'<tr><th scope="row">{escape(row[0]["text"])}</th>{cells}</tr>')
    return mark_safe("\n".join(lines))  # noqa: S308 (every text above is escaped)
