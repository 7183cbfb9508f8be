"""Charts drawn on the server as SVG: no script, no inline style (the CSP forbids both),
colours from classes in static/css/stats.css. A hidden (suppressed) value, given as its
mark ("<5", or a dash for one withheld with it), draws no bar and is marked where there is
room.

Each chart is an <svg role="img"> with a <title> and a <desc>; the same numbers are in
the table beside it, which is what screen readers are pointed to.
"""

from __future__ import annotations

import math
from html import escape

from django.utils.safestring import mark_safe

WIDTH, HEIGHT = 720, 280
LEFT, RIGHT, TOP, BOTTOM = 56, 12, 28, 64


def _step(value: float) -> float:
    """A round step (1, 2 or 5 times a power of ten, at least 1) for four gridlines."""
    rough = max(value / 4, 1)
    magnitude = 10 ** math.floor(math.log10(rough))
    for step in (1, 2, 5, 10):
        if rough <= step * magnitude:
            return step * magnitude
    return 10 * magnitude  # pragma: no cover


def _ticks(top: float) -> list[float]:
    step = _step(top)
    return [step * i for i in range(math.ceil(top / step) + 1)] if top > 0 else [0, 1]


def _short(label: str) -> str:
    """An axis label: a day or a week's Monday as month-day, long names cut."""
    label = label.removeprefix("Week of ")
    if len(label) == 10 and label[4] == "-" and label[7] == "-":
        return label[5:]
    return label if len(label) <= 18 else label[:17] + "…"


def _number(value: float) -> str:
    return f"{value:,.0f}" if value >= 10 or value == int(value) else f"{value:.1f}"


def chart(*, title: str, labels: list[str], series: list[tuple[str, list]], kind: str):
    """`series`: (name, values), each value a number or the mark of a hidden one (a str).
    `kind`: "columns" draws the first series as columns and the second as a line (over
    time); "bars" draws the series side by side per label."""
    values = [v for _, vs in series for v in vs if isinstance(v, int | float)]
    ticks = _ticks(max(values, default=0))
    top = ticks[-1]
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    n = max(len(labels), 1)
    slot = plot_w / n
    y = lambda v: TOP + plot_h - (v / top) * plot_h  # noqa: E731
    parts = [
        '<svg xmlns="http://www.w3.org/2000/svg" class="stats-chart"'
        f' viewBox="0 0 {WIDTH} {HEIGHT}"'
        f' width="{WIDTH}" height="{HEIGHT}" role="img" aria-label="{escape(title)}">',
        f"<title>{escape(title)}</title>",
        f"<desc>{escape(title)}: the numbers are in the table beside this chart.</desc>",
    ]
    for tick in ticks:
        ty = y(tick)
        parts.append(
            f'<line class="grid" x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{ty:.1f}" y2="{ty:.1f}"/>'
        )
        parts.append(
            f'<text class="tick" x="{LEFT - 6}" y="{ty + 4:.1f}" text-anchor="end">'
            f"{_number(tick)}</text>"
        )
    parts.append(
        f'<line class="axis" x1="{LEFT}" x2="{WIDTH - RIGHT}"'
        f' y1="{TOP + plot_h}" y2="{TOP + plot_h}"/>'
    )
    # Label every k-th slot so that the labels do not overlap.
    every = max(1, math.ceil(n / (plot_w / 80)))
    rotate = kind == "bars" and n > 6
    for i, label in enumerate(labels):
        if i % every:
            continue
        lx, ly = LEFT + slot * (i + 0.5), TOP + plot_h + 16
        short = _short(label)
        if rotate:
            parts.append(
                f'<text class="label" x="{lx:.1f}" y="{ly:.1f}" text-anchor="end"'
                f' transform="rotate(-30 {lx:.1f} {ly:.1f})">{escape(short)}</text>'
            )
        else:
            parts.append(
                f'<text class="label" x="{lx:.1f}" y="{ly:.1f}" text-anchor="middle">'
                f"{escape(short)}</text>"
            )
    bar_series = series[:1] if kind == "columns" else series
    width = slot * 0.8 / max(len(bar_series), 1)
    for s, (name, vs) in enumerate(bar_series):
        for i, value in enumerate(vs):
            x = LEFT + slot * i + slot * 0.1 + width * s
            if not isinstance(value, int | float):
                if value and width >= 14:
                    parts.append(
                        f'<text class="hidden-mark" x="{x + width / 2:.1f}" y="{TOP + plot_h - 4}"'
                        f' text-anchor="middle">{escape(value)}</text>'
                    )
                continue
            h = (value / top) * plot_h
            parts.append(
                f'<rect class="series-{s}" x="{x:.1f}" y="{y(value):.1f}"'
                f' width="{max(width, 0.5):.1f}" height="{h:.1f}">'
                f"<title>{escape(labels[i])}, {escape(name)}: {value:,}</title></rect>"
            )
    if kind == "columns" and len(series) > 1:
        name, vs = series[1]
        points = [
            f"{LEFT + slot * (i + 0.5):.1f},{y(v):.1f}"
            for i, v in enumerate(vs)
            if isinstance(v, int | float)
        ]
        if points:
            parts.append(f'<polyline class="series-line" points="{" ".join(points)}"/>')
    # Legend.
    lx = LEFT
    for s, (name, _) in enumerate(series):
        css = "series-line-key" if kind == "columns" and s == 1 else f"series-{s}"
        parts.append(f'<rect class="{css}" x="{lx}" y="8" width="12" height="12"/>')
        parts.append(f'<text class="legend" x="{lx + 16}" y="18">{escape(name)}</text>')
        lx += 30 + 7 * len(name)
    parts.append("</svg>")
    return mark_safe("".join(parts))  # noqa: S308 (every text above is escaped)
