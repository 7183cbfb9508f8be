"""Screenshots taken by the browser tests, for people to look at.

Headless Chromium now and then never answers a capture: once in CI, on an admin list that
had loaded, Playwright logged "waiting for fonts to load... fonts loaded" and then nothing
for 30 seconds, and a test of a working sign-up failed on its picture. A capture that times
out is taken once more, of the viewport alone with animations stopped; a second time out
still fails the test."""

from playwright.sync_api import TimeoutError as PlaywrightTimeout


def screenshot(page, path, full_page=False):
    page.wait_for_load_state("load")
    try:
        page.screenshot(path=str(path), full_page=full_page, timeout=15_000)
    except PlaywrightTimeout:
        page.wait_for_timeout(500)
        page.screenshot(path=str(path), timeout=30_000, animations="disabled", caret="hide")
