"""Every public and portal page against axe-core (WCAG 2.1 A and AA), in English and in
Spanish, at a desktop and a phone width; and every page reflows at 200 % and 400 % zoom
(640 and 320 CSS pixels wide) without scrolling sideways (WCAG 1.4.10).

One browser context per language and width walks the whole site (signed out, then signed
in as a patron who keeps a reading history, then as one who does not), so the suite pays
for one sign-in per patron rather than one per page."""

import datetime

import pytest
from django.conf import settings
from django.utils import timezone

from circulation.models import OpeningHours
from disclosures.models import DisclosureYear
from tests.e2e.axe import STRUCTURE, axe_context, report, violations
from tests.factories import (
    DEFAULT_PIN,
    BranchFactory,
    CardFactory,
    DisclosureRequestFactory,
    FineFactory,
    HoldFactory,
    ItemFactory,
    LoanFactory,
    PatronFactory,
    ProgramFactory,
    ProgramRegistrationFactory,
    TitleFactory,
)

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.markup_audit]

READER = "21234000000101"  # keeps a reading history
QUIET = "21234000000202"  # does not
LOCKED_OUT = "21234000000303"
DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}


@pytest.fixture
def library(settings):
    """A small library with something on every page: branches, titles with subjects and
    copies, programs, a transparency report, and two patrons with loans (one overdue), holds
    (one ready), a fine, a program sign-up and a reading history."""
    settings.CALUMET_TRANSPARENCY_PAGE = True
    settings.AXES_FAILURE_LIMIT = 2  # the lockout page after two wrong PINs, not five
    day = datetime.timedelta(days=1)
    now = timezone.now()
    main = BranchFactory(code="main", name="Central Library")
    for weekday in range(6):  # the home page shows the hours, closed Sunday
        OpeningHours.objects.create(
            branch=main, weekday=weekday, opens=datetime.time(9), closes=datetime.time(20)
        )
    east = BranchFactory(code="east", name="East Side Branch")
    titles = {}
    for name, author, year, subjects, language in [
        ("Great Expectations", "Dickens, Charles", 1861, "Orphans\nEngland -- Fiction", "eng"),
        ("The Age of Innocence", "Wharton, Edith", 1920, "New York -- Fiction", "eng"),
        ("Middlemarch", "Eliot, George", 1871, "England -- Fiction", "eng"),
        ("Cien años de soledad", "García Márquez, Gabriel", 1967, "Colombia -- Fiction", "spa"),
        ("A Beginner's Guide to Birds", "Nakamura, Ray", 2019, "Birds\nBird watching", "eng"),
    ]:
        title = TitleFactory(
            title=name,
            author=author,
            publication_year=year,
            subjects=subjects,
            language=language,
            summary=f"{name}, by {author}.",
            call_number=f"FIC {author[:3].upper()}",
        )
        ItemFactory(title=title, branch=main)
        ItemFactory(title=title, branch=east)
        titles[name] = title
    ProgramFactory(name="Story time", branch=main)
    DisclosureRequestFactory()

    # Last year's published figures (this year's are not shown until it is over).
    DisclosureYear.objects.create(
        year=now.year - 1, subpoenas=2, warrants=1, approved=1, denied=1, patrons_named=3
    )

    reader = PatronFactory(first_name="Avery", home_branch=main, keep_reading_history=True)
    CardFactory(patron=reader, number=READER)
    for name, out, due in [("Great Expectations", 30, -9), ("The Age of Innocence", 12, 9)]:
        LoanFactory(
            patron=reader,
            item=titles[name].items.filter(branch=main).get(),
            checked_out_at=now - out * day,
            due_at=now + due * day,
        )
    LoanFactory(
        patron=reader,
        item=titles["Middlemarch"].items.filter(branch=east).get(),
        checked_out_at=now - 40 * day,
        due_at=now - 19 * day,
        returned_at=now - 20 * day,
    )
    HoldFactory(patron=reader, pickup_branch=main, waiting=True, title=TitleFactory(title="Emma"))
    HoldFactory(patron=reader, pickup_branch=east, title=titles["Cien años de soledad"])
    FineFactory(patron=reader, amount="2.25")
    ProgramRegistrationFactory(patron=reader, program=ProgramFactory(name="Bird walk"))

    quiet = PatronFactory(first_name="Jun", home_branch=east)
    CardFactory(patron=quiet, number=QUIET)
    return titles


def sign_in(page, number):
    page.goto("/portal/login/")
    page.fill("#id_card_number", number)
    page.fill("#id_pin", DEFAULT_PIN)
    page.locator("form.stack button[type=submit]").click()  # in whichever language
    page.wait_for_load_state()
    assert page.url.endswith("/portal/"), page.url


def sign_out(page):
    page.locator("form.signout button[type=submit]").click()
    page.wait_for_load_state()


def tour(page, titles):
    """Walks every public and portal page; yields each page's name once it is shown."""
    great, birds = titles["Great Expectations"], titles["A Beginner's Guide to Birds"]
    for name, url in [
        ("home", "/"),
        ("privacy policy", "/privacy/"),
        ("transparency report", "/transparency/"),
        ("catalog home", "/portal/catalog/"),
        ("search results with facets", "/portal/catalog/?q=fiction&language=eng"),
        ("search with no result", "/portal/catalog/?q=zeppelin"),
        ("title page, signed out", f"/portal/catalog/{great.pk}/"),
        ("sign-in", "/portal/login/"),
        ("PIN reset request", "/portal/pin/forgotten/"),
        ("PIN reset: the new PIN", "/portal/pin/reset/a-token-from-the-email/"),
        ("online sign-up", "/portal/sign-up/"),
        ("online sign-up sent", "/portal/sign-up/sent/"),
        ("online sign-up: the emailed link", "/portal/sign-up/confirm/a-token/"),
        ("staff refused", "/portal/staff/"),
        ("page not found", "/portal/no-such-page/"),
    ]:
        page.goto(url)
        yield name

    page.goto("/portal/pin/forgotten/")
    page.fill("#id_card_number", QUIET)
    page.locator("form.stack button[type=submit]").click()  # no email: the form says so
    page.wait_for_load_state()
    yield "PIN reset with an error"

    page.goto("/portal/sign-up/")
    page.fill("#id_email", "not-an-address")
    page.locator("form.stack button[type=submit]").click()  # required fields missing
    page.wait_for_load_state()
    yield "online sign-up with errors"

    page.goto("/portal/sign-up/confirm/a-token/")
    page.locator("form.stack button[type=submit]").click()
    page.wait_for_load_state()
    yield "online sign-up: a link that is not valid"

    page.goto("/portal/login/")
    page.fill("#id_card_number", READER)
    page.fill("#id_pin", "0000")
    page.locator("form.stack button[type=submit]").click()
    page.wait_for_load_state()
    yield "sign-in with a wrong PIN"

    # A card locked out after too many wrong PINs.
    for _attempt in range(settings.AXES_FAILURE_LIMIT + 1):
        page.goto("/portal/login/")
        page.fill("#id_card_number", LOCKED_OUT)
        page.fill("#id_pin", "0000")
        with page.expect_navigation() as sent:
            page.locator("form.stack button[type=submit]").click()
        if sent.value.status == 429:
            break
    assert sent.value.status == 429
    yield "sign-in locked"

    # A form sent without its CSRF cookie (a session that expired in another tab).
    page.goto("/portal/pin/forgotten/")
    page.context.clear_cookies()
    page.fill("#id_card_number", QUIET)
    page.fill("#id_email", "nobody@example.org")
    page.locator("form.stack button[type=submit]").click()
    page.wait_for_load_state()
    yield "refused form (CSRF)"

    sign_in(page, READER)
    yield "account with loans, holds, fines and programs"
    for name, url in [
        ("reading history", "/portal/history/"),
        ("notices", "/portal/notices/"),
        ("privacy choices", "/portal/privacy/"),
        ("who has looked", "/portal/access/"),
        ("my data", "/portal/data/"),
        ("all my data, printable", "/portal/data/all/"),
        ("PIN change", "/portal/pin/"),
        ("lost card", "/portal/lost-card/"),
        ("catalog, signed in", "/portal/catalog/?subject=Birds"),
        ("title page with the hold form", f"/portal/catalog/{birds.pk}/"),
    ]:
        page.goto(url)
        yield name
    page.locator("#pickup_branch").select_option(label="East Side Branch")
    page.locator("form.inline-form button[type=submit]").click()
    page.wait_for_load_state()
    assert page.url.endswith("/portal/"), page.url
    yield "hold placed"
    page.locator("form[action$='/renew/'] button").first.click()
    page.wait_for_load_state()
    yield "renewed"
    page.goto("/portal/lost-card/")
    page.locator("form.stack button[type=submit]").click()  # not confirmed
    page.wait_for_load_state()
    yield "lost card, not confirmed"
    sign_out(page)
    yield "signed out"

    sign_in(page, QUIET)
    yield "account with nothing"
    page.goto("/portal/history/")
    yield "reading history off"
    page.goto("/portal/lost-card/")
    page.locator("form.stack input[type=checkbox]").check()
    page.locator("form.stack button[type=submit]").click()
    page.wait_for_load_state()
    yield "card reported lost"


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
@pytest.mark.parametrize("language", ["en", "es"])
def test_every_public_and_portal_page_passes_axe(
    axe, browser, live_server, library, language, viewport
):
    context = axe_context(
        browser,
        live_server.url,
        viewport=viewport,
        locale="es-ES" if language == "es" else "en-US",
        extra_http_headers={"Accept-Language": language},
    )
    page = context.new_page()
    refused = []  # what the Content Security Policy blocked
    page.on("console", lambda m: refused.append(m.text) if "Content Security" in m.text else None)
    found, seen, languages = {}, [], {}
    responses = []
    page.on(
        "response", lambda r: responses.append(r) if r.request.is_navigation_request() else None
    )
    for name in tour(page, library):
        seen.append(name)
        found[name] = violations(page, rules=STRUCTURE)
        if (h1 := page.locator("h1").count()) != 1:
            found[name].append(f"{h1} level-one headings: a page has one")
        if name != "home" and page.title() == settings.CALUMET_LIBRARY_NAME:
            found[name].append("the <title> does not say which page this is")
        # The page says which language it is in: the one the server chose.
        chosen = (responses[-1].headers.get("content-language") or "en") if responses else "en"
        languages[name] = (page.evaluate("document.documentElement.lang"), chosen)
    context.close()
    assert seen[-1] == "card reported lost"
    if any(found.values()):
        pytest.fail(
            f"axe-core ({language}, {viewport['width']} px):\n{report(found)}", pytrace=False
        )
    wrong = {n: pair for n, pair in languages.items() if not pair[0].startswith(pair[1][:2])}
    assert not wrong, wrong
    assert not refused, refused


# The elements that stick out on the right, innermost first, as "tag.class" paths.
STICKING_OUT = """() => {
  const width = document.documentElement.clientWidth;
  const out = [...document.body.querySelectorAll("*")].filter((e) => {
    const box = e.getBoundingClientRect();
    return box.right > width + 1 && box.width > 0 && !e.closest(".table-scroll, .visually-hidden");
  });
  const name = (e) => e.tagName.toLowerCase() + [...e.classList].map((c) => "." + c).join("");
  return out.filter((e) => !out.some((o) => o !== e && e.contains(o))).slice(0, 3)
    .map((e) => name(e.parentElement) + " > " + name(e));
}"""


def test_every_page_reflows_at_200_and_400_percent_zoom(browser, live_server, library):
    """A 1280 px window at 200 % zoom lays pages out 640 CSS pixels wide, at 400 % 320:
    nothing may need scrolling sideways (a data table may scroll inside its own box)."""
    context = browser.new_context(base_url=live_server.url, viewport={"width": 640, "height": 400})
    page = context.new_page()
    wide = {}
    for name in tour(page, library):
        for width in (640, 320):
            page.set_viewport_size({"width": width, "height": 400})
            if page.evaluate(
                "() => document.documentElement.scrollWidth > document.documentElement.clientWidth"
            ):
                wide[f"{name} at {width} px"] = page.evaluate(STICKING_OUT)
        page.set_viewport_size({"width": 640, "height": 400})
    context.close()
    assert not wide, wide
