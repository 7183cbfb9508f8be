"""Shared fixtures and the suite's rules. Factories live in `tests/factories.py`.

- Staff in each role (`clerk`, `librarian`, `director`, `roleless`) and signed-in clients
  (`clerk_client`, ...) are defined here and nowhere else.
- `@pytest.mark.postgres("why")` marks a PostgreSQL-only test: skipped, with the reason, on
  SQLite; run on PostgreSQL.
- Under CI=true a skipped test is a failure, except a PostgreSQL-only test on the SQLite run:
  CI never passes with the Redis broker test, a PostgreSQL test or the browser tests left out.
- `make test` ends with one line saying whether the browser tests ran, and if not, why.
"""

import datetime
import os
import zoneinfo
from collections.abc import Iterator

import pytest
import time_machine
from django.conf import settings
from django.contrib.auth.models import Group, Permission
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.utils import timezone

from circulation.models import BranchClosure
from inventory.services import inventory_start
from patrons.apps import ensure_patron_categories
from patrons.models import SignUp
from privacy.models import ExpungeRun
from sip2 import services as sip2_services
from sip2.models import SortBin, Terminal, TerminalEvent
from staff.models import RoleChange
from staff.roles import CIRCULATION_STAFF, LIBRARIAN, LIBRARY_ADMINISTRATOR
from tests.factories import (
    BranchFactory,
    CardFactory,
    PatronFactory,
    SuperuserFactory,
    VisitCountFactory,
    one_record_of_each_kind,
)
from tests.helpers import make_staff, portal_signed_in, signed_in

IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}


def on_postgresql() -> bool:
    return connection.vendor == "postgresql"


# -- PostgreSQL-only tests, and CI that cannot skip --------------------------------------------


def pytest_collection_modifyitems(config, items):
    if on_postgresql():
        return
    for item in items:
        marker = item.get_closest_marker("postgres")
        if marker is not None:
            why = marker.args[0] if marker.args else "PostgreSQL only"
            item.add_marker(
                pytest.mark.skip(reason=f"needs PostgreSQL (DATABASE_URL=postgres://...): {why}")
            )


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    report = yield
    if IN_CI and report.skipped and not hasattr(report, "wasxfail"):
        legitimate = item.get_closest_marker("postgres") is not None and not on_postgresql()
        if not legitimate:
            reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else report.longrepr
            reason = str(reason).removeprefix("Skipped: ")
            report.outcome = "failed"
            report.longrepr = (
                f"skipped under CI=true, where only a PostgreSQL test on SQLite may skip: {reason}"
            )
    return report


# -- one line about the browser tests ---------------------------------------------------------


def _is_browser_test(nodeid: str) -> bool:
    return nodeid.replace(os.sep, "/").startswith("tests/e2e/")


def pytest_deselected(items):
    config = items[0].config if items else None
    if config is not None:
        deselected = getattr(config, "_calumet_e2e_deselected", 0)
        config._calumet_e2e_deselected = deselected + sum(
            1 for item in items if _is_browser_test(item.nodeid)
        )


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_terminal_summary(terminalreporter, exitstatus, config):
    """After pytest's own summary, so that the line is the last before the totals."""
    yield
    ran, skipped, reasons = 0, 0, set()
    for kind in ("passed", "failed", "error", "skipped"):
        for report in terminalreporter.stats.get(kind, []):
            if not _is_browser_test(getattr(report, "nodeid", "")):
                continue
            if kind == "skipped":
                skipped += 1
                longrepr = report.longrepr
                reasons.add(longrepr[2] if isinstance(longrepr, tuple) else str(longrepr))
            elif report.when == "call" or kind == "error":
                ran += 1
    deselected = getattr(config, "_calumet_e2e_deselected", 0)
    if skipped:
        why = "; ".join(sorted(r.removeprefix("Skipped: ") for r in reasons))
        line = f"Browser tests: {skipped} skipped: {why}"
    elif deselected and not ran:
        line = f"Browser tests: not run ({deselected} deselected by -m or -k)"
    elif ran:
        browser = os.environ.get("CALUMET_CHROMIUM", "/usr/bin/chromium")
        line = f"Browser tests: {ran} ran with {browser}"
    else:
        return None  # a run of some other folder: nothing to say
    terminalreporter.write_line(line, yellow=bool(skipped or deselected), bold=True)


# -- staff --------------------------------------------------------------------------------------


@pytest.fixture
def clerk(db):
    return make_staff("clerk", CIRCULATION_STAFF)


@pytest.fixture
def librarian(db):
    return make_staff("librarian", LIBRARIAN)


@pytest.fixture
def director(db):
    """A library administrator."""
    return make_staff("director", LIBRARY_ADMINISTRATOR)


@pytest.fixture
def roleless(db):
    """A staff account in no group: it can sign in to the admin and do nothing."""
    return make_staff("roleless")


@pytest.fixture
def clerk_client(clerk):
    return signed_in(clerk)


@pytest.fixture
def librarian_client(librarian):
    return signed_in(librarian)


@pytest.fixture
def director_client(director):
    return signed_in(director)


@pytest.fixture
def superuser(db):
    return SuperuserFactory()


@pytest.fixture
def patron_client(db):
    """A patron signed in to the portal (the one signed-in patron of the tests); the
    client's `card` is their card."""
    card = CardFactory()
    client = portal_signed_in(card)
    client.card = card
    return client


@pytest.fixture
def superuser_client(client, superuser):
    # force_login, not login: django-axes' backend needs a request to authenticate.
    client.force_login(superuser)
    return client


# -- time and data -----------------------------------------------------------------------------


#: Where the `now` fixture puts the clock: a Wednesday at noon in the library's time zone,
#: far from midnight and from a change of summer time, so that a test that reasons about
#: days ("due in 3 days", "closed on Sunday") means the same whenever it runs.
FROZEN_AT = datetime.datetime(2026, 3, 11, 12, 0)


@pytest.fixture
def now() -> Iterator[datetime.datetime]:
    """The clock, stopped at FROZEN_AT for the test (it then runs on from there, so code
    that measures elapsed time still sees time pass); the instant is in whole seconds, so it
    compares equal after a database round trip."""
    instant = FROZEN_AT.replace(tzinfo=zoneinfo.ZoneInfo(settings.TIME_ZONE))
    with time_machine.travel(instant, tick=True):
        yield timezone.now().replace(microsecond=0)


@pytest.fixture
def one_of_everything(db):
    """A patron with one record of each kind, plus what the catalog and statistics hold,
    so that admin lists render real rows."""
    records = one_record_of_each_kind(PatronFactory())
    # An online application (it reaches no patron: a kind of its own).
    records[SignUp] = SignUp.objects.create(
        first_name="Mary", last_name="Shelley", email="mary@example.org", reference="ONEOFALL"
    )
    VisitCountFactory()
    ExpungeRun.objects.create(dry_run=True, counts={"loan": {"expunged": 0}})
    BranchClosure.objects.create(date=datetime.date(2000, 12, 25), yearly=True, reason="Christmas")

    RoleChange.objects.create(
        group=Group.objects.get(name="Circulation staff"),
        permission=Permission.objects.get(codename="view_visitcount"),
        granted=True,
    )
    kiosk = Terminal(name="Kiosk", login="kiosk", branch=BranchFactory())
    sip2_services.terminal_save(terminal=kiosk, actor=None)
    sip2_services.event_record(kind=TerminalEvent.Kind.values[0], terminal_id=kiosk.pk, code="93")
    sip2_services.sort_bin_save(sort_bin=SortBin(branch=kiosk.branch, bin="A"), actor=None)
    inventory_start(branch=kiosk.branch, call_number_from="600", call_number_to="699", actor=None)
    return records


@pytest.fixture(autouse=True)
def fresh_content_type_cache():
    """A transactional test ends with a flush that recreates content types under new ids;
    the cache of the old ids would make the next audit entry point at a missing row."""
    ContentType.objects.clear_cache()
    yield
    ContentType.objects.clear_cache()


@pytest.fixture(autouse=True)
def patron_categories_after_a_flush(request):
    """A transactional test starts after the previous one's flush emptied every table,
    the patron categories seeded by the data migration included: seed them again."""
    marker = request.node.get_closest_marker("django_db")
    if "transactional_db" in request.fixturenames or (
        marker is not None and marker.kwargs.get("transaction")
    ):
        request.getfixturevalue("transactional_db")
        ensure_patron_categories()
