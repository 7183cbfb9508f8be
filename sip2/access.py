"""Access entries for what a SIP2 terminal reads or changes, named after the terminal.

A terminal has no request and no staff user: the entry names the terminal instead
(role: "Self-check kiosk 2", branch: "Main"), which the patron's "who has looked" page
shows.
"""

from __future__ import annotations

from privacy.access import log_access


def terminal_context(terminal) -> dict:
    return {"role": terminal.name, "branch": terminal.branch.name}


def log_terminal_access(
    records, *, terminal, message: str, patron=None, remembered: dict | None = None
) -> int:
    """`remembered`: the connection's memory of the entries it wrote (see `log_access`)."""
    return log_access(
        [r for r in records if r is not None],
        request=None,
        page=f"sip2:{message}",
        access="opened",
        patron=patron,
        who=terminal_context(terminal),
        remembered=remembered,
    )
