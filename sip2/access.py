"""Access entries for what a SIP2 terminal reads or changes, named after the terminal.

`patrons.access.log_access` takes a request to find out who looked; a terminal has no
request and no staff user. When log_access accepts a `staff_context` it is given the
terminal's description (role: "Self-check kiosk 2", branch: "Main"), which the patron's
"who has looked" page shows; until then the entries are written without it.
"""

from __future__ import annotations

import inspect
from functools import cache

from patrons.access import log_access


@cache
def _takes_staff_context() -> bool:
    return "staff_context" in inspect.signature(log_access).parameters


def terminal_context(terminal) -> dict:
    return {"role": terminal.name, "branch": terminal.branch.name}


def log_terminal_access(records, *, terminal, message: str, patron=None) -> int:
    kwargs = {"request": None, "page": f"sip2:{message}", "access": "opened"}
    if patron is not None:
        kwargs["patron"] = patron
    if _takes_staff_context():
        kwargs["staff_context"] = terminal_context(terminal)
    return log_access([r for r in records if r is not None], **kwargs)
