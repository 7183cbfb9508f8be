"""The load test's rows of the table `make bench` prints (bench/report.py)."""

from __future__ import annotations


def _row(label: str, value, unit: str, target: str = "", met: bool | None = None) -> tuple:
    verdict = "" if met is None else ("met" if met else "MISSED")
    return (label, f"{value}{unit}", target, verdict)


def _beside_rows(beside: dict, t: dict, judged: bool) -> list[tuple]:
    """The desks and kiosks that worked beside the patrons: p95 judged against the load's
    target (1 s), with their own targets when alone shown beside it."""
    limit = t["load_p95_ms"]
    out = []
    desks = beside.get("desks") or {}
    if desks:
        scans = desks.get("all_scans") or {}
        out.append(
            _row(
                f"load: {desks['desks']} desks beside, scans p95 ({desks['scans']})",
                scans.get("p95_ms"),
                " ms",
                f"<= {limit} ms (alone: {t['desk_scan_p95_ms']} ms)",
                scans.get("p95_ms", limit + 1) <= limit if judged else None,
            )
        )
        out.append(_row("load: desks' errors", desks["errors"], "", "0", desks["errors"] == 0))
    kiosks = beside.get("kiosks") or {}
    if kiosks:
        every = kiosks.get("all_messages") or {}
        out.append(
            _row(
                f"load: {kiosks.get('sessions')} kiosks beside, messages p95"
                f" ({every.get('messages')})",
                every.get("p95_ms"),
                " ms",
                f"<= {limit} ms (alone: {t['kiosk_p95_ms']} ms)",
                every.get("p95_ms", limit + 1) <= limit if judged else None,
            )
        )
        out.append(_row("load: kiosks' errors", kiosks["errors"], "", "0", kiosks["errors"] == 0))
    return out


def load_rows(r: dict) -> list[tuple]:
    if "load" not in r:
        return []
    load, t = r["load"], r["targets"]
    busy = load["with_think_time"]
    judged = r["scale"] >= 1
    worst = max((page.get("p95_ms", 0) for page in busy["pages"].values()), default=0)
    out = [
        _row(
            f"load, {busy['users']} portal patrons with think time: pages/s",
            busy["pages_per_s"],
            "",
        ),
        _row(
            "load: worst page p95",
            round(worst, 1),
            " ms",
            f"<= {t['load_p95_ms']} ms",
            worst <= t["load_p95_ms"] if judged else None,
        ),
        _row("load: errors", busy["errors"], "", "0", busy["errors"] == t["load_errors"]),
        _row("load: holds refused (the title's page says why)", busy.get("holds_refused"), ""),
    ]
    for name, page in sorted(busy["pages"].items()):
        if "p95_ms" in page:
            out.append(
                _row(f"load: {name} p95", page["p95_ms"], " ms", f"{page.get('p95_x_floor')}x")
            )
    out += _beside_rows(busy.get("beside") or {}, t, judged)
    sat = load["saturation"]
    out += [
        _row("load, no think time: saturates at", sat["saturates_at_users"], " patrons"),
        _row("load, no think time: max pages/s", sat["max_pages_per_s"], ""),
        _row("load, no think time: pages/s per core", sat["pages_per_s_per_core"], ""),
    ]
    profile = load.get("account_profile")
    if profile:
        out += [
            _row("account page in-process: CPU per page", profile["cpu_ms_per_page"], " ms"),
            _row(
                "account page: pages/s per core its CPU allows",
                profile["pages_per_s_per_core_by_cpu"],
                "",
            ),
        ]
    return out
