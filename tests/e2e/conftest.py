"""Browser tests: Playwright driving Debian's chromium (never a downloaded browser)."""

import os
import shutil
from pathlib import Path

import pytest
from playwright.sync_api import sync_playwright

from privacy.policy import ensure_retention_policies
from staff.roles import sync_roles
from tests.e2e.axe import require_axe
from tests.e2e.shared_sqlite import one_thread_at_a_time

CHROMIUM = os.environ.get("CALUMET_CHROMIUM", "/usr/bin/chromium")
DOCS_SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"

# Playwright's sync API runs an event loop in the test thread; the ORM calls made by the
# test itself (creating rows before the browser acts) are still synchronous.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


def pytest_collection_modifyitems(config, items):
    for item in items:
        if "tests/e2e/" in str(item.fspath).replace(os.sep, "/"):
            item.add_marker(pytest.mark.e2e)


@pytest.fixture(autouse=True)
def rows_from_data_migrations(transactional_db):
    """A transactional test ends with a flush that empties every table, including the
    rows the data migrations made (staff groups, retention policies, loan policies).
    Django's serialized rollback does not survive Playwright's greenlets (the connection
    it was stored on is not the one the test sees), so the rows are made again here."""
    ensure_retention_policies()
    sync_roles(strict=True)


@pytest.fixture(scope="session")
def browser(live_server):
    """Chromium, for the session. It asks for the live server so that it is closed first:
    pytest tears fixtures down in the reverse order of their set-up, and a browser closed
    after the server would end the server's open keep-alive connections only then, in
    request threads that find the shared test database no longer theirs ("Exception in
    thread ... DatabaseWrapper objects created in a thread can only be used in that same
    thread", printed by an otherwise green run).

    On SQLite the test and the server's threads share one connection, used one thread at a
    time for as long as the browser is open (tests/e2e/shared_sqlite.py says why)."""
    if not (os.path.exists(CHROMIUM) or shutil.which(CHROMIUM)):
        if os.environ.get("CI"):
            pytest.fail(f"{CHROMIUM} is missing: .ci/run installs Debian's chromium package.")
        pytest.skip(f"{CHROMIUM} not installed (apt-get install chromium)")

    with one_thread_at_a_time(), sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
            ],
        )
        yield browser
        browser.close()


@pytest.fixture
def page(browser, live_server):
    context = browser.new_context(base_url=live_server.url)
    page = context.new_page()
    outside = []
    page.on(
        "request",
        lambda request: (
            outside.append(request.url) if not request.url.startswith(live_server.url) else None
        ),
    )
    page.outside_requests = outside
    yield page
    context.close()


@pytest.fixture
def page_without_js(browser, live_server):
    context = browser.new_context(base_url=live_server.url, java_script_enabled=False)
    page = context.new_page()
    yield page
    context.close()


@pytest.fixture
def screenshots(tmp_path) -> Path:
    """Where a test saves its screenshots: docs/screenshots/ (tracked, shown in the docs) only
    when asked with CALUMET_SCREENSHOTS=1 (`make screenshots`), otherwise a temporary folder."""
    if os.environ.get("CALUMET_SCREENSHOTS") == "1":
        DOCS_SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        return DOCS_SCREENSHOTS
    return tmp_path


@pytest.fixture
def axe():
    """Asked for first by a test that runs axe-core: it skips (fails under CI=true) before
    anything is built when axe-core is not there. See tests/e2e/axe.py."""
    require_axe()
