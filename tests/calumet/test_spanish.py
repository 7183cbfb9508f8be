"""Spanish: every public and portal page, message and notice in both languages.

The catalog (locale/es/LC_MESSAGES/django.po) must be complete and compiled, and a walk
through every public and portal page in Spanish must show no text that the same walk in
English shows, other than the library's own data (names, titles, branches): a string left
out of the translation tags, or left untranslated, reads the same in both and fails here.
"""

import datetime
import gettext as gnu_gettext
import html.parser
import re
import shutil
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest
from django.conf import settings
from django.core import mail
from django.db import IntegrityError, transaction
from django.test import Client, RequestFactory
from django.urls import reverse
from django.utils import timezone, translation

from calumet.views import server_error
from circulation.models import Fine, Item, OpeningHours
from circulation.notices.jobs import send_card_expiry_notices, send_courtesy_notices
from circulation.notices.sending import send_hold_ready_notice, send_overdue_notices
from circulation.selectors import library_policy
from patrons.models import Patron, PatronBlock
from privacy.access import log_access
from staff.roles import LIBRARIAN
from tests.factories import (
    DEFAULT_PIN,
    BranchFactory,
    CardFactory,
    FineFactory,
    HoldFactory,
    ItemFactory,
    LoanFactory,
    PatronBlockFactory,
    PatronFactory,
    ProgramFactory,
    ProgramRegistrationFactory,
    StaffUserFactory,
    TitleFactory,
)
from tests.helpers import OUR_PACKAGES

ROOT = Path(settings.BASE_DIR)
PO = ROOT / "locale" / "es" / "LC_MESSAGES" / "django.po"
MO = PO.with_suffix(".mo")
MONTHS = "enero febrero marzo abril mayo junio julio agosto septiembre octubre noviembre diciembre"


# -- the catalog --------------------------------------------------------------------------------


def _unescape(text: str) -> str:
    return re.sub(
        r"\\(.)", lambda m: {"n": "\n", "t": "\t", '"': '"', "\\": "\\"}[m.group(1)], text
    )


def read_po(path: Path) -> list[dict]:
    """The entries of a .po file: context, id, plural id, translations and flags."""
    entries, entry, key = [], None, None
    for line in [*path.read_text(encoding="utf-8").splitlines(), ""]:
        if not line.strip():
            if entry is not None:
                entries.append(entry)
            entry = None
            continue
        if line.startswith("#~"):
            continue  # an obsolete entry: msgfmt leaves it out
        entry = entry or {"flags": set(), "msgstr": {}}
        if line.startswith("#,"):
            entry["flags"] |= {flag.strip() for flag in line[2:].split(",")}
        elif line.startswith("#"):
            continue
        elif match := re.match(r'(msgctxt|msgid_plural|msgid|msgstr)(?:\[(\d)\])? "(.*)"$', line):
            name, index, text = match.groups()
            key = (name, int(index or 0))
            if name == "msgstr":
                entry["msgstr"][key[1]] = _unescape(text)
            else:
                entry[name] = _unescape(text)
        elif match := re.match(r'"(.*)"$', line):
            if key[0] == "msgstr":
                entry["msgstr"][key[1]] += _unescape(match.group(1))
            else:
                entry[key[0]] += _unescape(match.group(1))
    return [e for e in entries if e.get("msgid")]


def test_every_string_of_the_catalog_is_translated():
    entries = read_po(PO)
    assert len(entries) > 400
    untranslated = [
        e["msgid"]
        for e in entries
        if "fuzzy" in e["flags"] or not all(e["msgstr"].values()) or not e["msgstr"]
    ]
    assert untranslated == []
    header = PO.read_text(encoding="utf-8").split("\n\n")[0]
    assert "#, fuzzy" not in header and '"Language: es\\n"' in header


def test_the_compiled_catalog_is_the_one_of_the_po_file():
    """The .mo is committed (servers need not have gettext): it says what the .po says."""
    with MO.open("rb") as handle:
        compiled = gnu_gettext.GNUTranslations(handle)
    stale = []
    for entry in read_po(PO):
        context = entry.get("msgctxt")
        if "msgid_plural" in entry:
            got = [
                compiled.npgettext(context, entry["msgid"], entry["msgid_plural"], n)
                if context
                else compiled.ngettext(entry["msgid"], entry["msgid_plural"], n)
                for n in (1, 2)
            ]
            wanted = [entry["msgstr"][0], entry["msgstr"][2]]
        else:
            got = [
                compiled.pgettext(context, entry["msgid"])
                if context
                else compiled.gettext(entry["msgid"])
            ]
            wanted = [entry["msgstr"][0]]
        if got != wanted:
            stale.append(entry["msgid"])
    assert stale == [], "run `make messages` to compile locale/es/LC_MESSAGES/django.po"


def test_every_marked_string_is_in_the_catalog_and_translated(tmp_path):
    """`makemessages` run again on a copy finds no string the catalog lacks, and none it
    has that the code no longer marks: the committed .po is current."""
    if shutil.which("xgettext") is None:
        pytest.fail("gettext's xgettext is needed (apt-get install gettext)")
    copy = tmp_path / "calumet"
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", "*.mo")
    for name in OUR_PACKAGES:
        shutil.copytree(ROOT / name, copy / name, ignore=ignore)
    for name in ("templates", "locale"):
        shutil.copytree(ROOT / name, copy / name, ignore=ignore)
    shutil.copy(ROOT / "manage.py", copy / "manage.py")
    subprocess.run(
        [sys.executable, "manage.py", "makemessages", "-l", "es", "--no-obsolete"],
        cwd=copy,
        check=True,
        capture_output=True,
        env={"PATH": "/usr/bin:/bin", "DJANGO_DEBUG": "true", "PYTHONPATH": str(copy)},
    )
    fresh = read_po(copy / "locale" / "es" / "LC_MESSAGES" / "django.po")
    missing = [
        e["msgid"]
        for e in fresh
        if "fuzzy" in e["flags"] or not e["msgstr"] or not all(e["msgstr"].values())
    ]
    assert missing == [], "strings to translate in locale/es/LC_MESSAGES/django.po"
    key = lambda e: (e.get("msgctxt"), e["msgid"])  # noqa: E731
    assert {key(e) for e in fresh} == {key(e) for e in read_po(PO)}


# -- the walk through every page ----------------------------------------------------------------


class VisibleText(html.parser.HTMLParser):
    """The text a reader sees or hears: text nodes, the page title, and the attributes a
    screen reader reads or the small-screen tables show; never scripts, and never what is
    marked as being in another language (the language switch)."""

    ATTRIBUTES = ("aria-label", "placeholder", "title", "alt", "data-label")
    VOID = {"area", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "wbr"}

    def __init__(self):
        super().__init__()
        self.nodes: list[str] = []
        self.skip = 0

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag not in self.VOID and (
            self.skip or tag in ("script", "style") or (tag != "html" and "lang" in attrs)
        ):
            self.skip += 1
            return
        if not self.skip:
            self.nodes += [attrs[name] for name in self.ATTRIBUTES if attrs.get(name)]

    def handle_endtag(self, tag):
        if self.skip and tag not in self.VOID:
            self.skip -= 1

    def handle_data(self, data):
        if not self.skip and data.strip():
            self.nodes.append(data)


def residues(page: str, data: list[str]) -> set[str]:
    """The page's words that are not the library's data nor numbers."""
    parser = VisibleText()
    parser.feed(page)
    found = set()
    for node in parser.nodes:
        text = " ".join(node.split())
        for value in data:
            text = text.replace(value, " ")
        text = " ".join(re.sub(r"\d+", "#", text).split())
        if re.search(r"[^\W\d_]{2}", text) and text not in SAME_IN_BOTH:
            found.add(text)
    return found


#: Words that are the same in English and Spanish.
SAME_IN_BOTH = {"ISBN", "PIN", "DVD", "MARC", "Total"}


def _build_library(today: datetime.date):
    branch = BranchFactory(code="harbor", name="Harbor Street", address="1 Harbor Street")
    for weekday in range(6):  # the home page's hours, and "Cerrado: domingo"
        OpeningHours.objects.create(
            branch=branch,
            weekday=weekday,
            opens=datetime.time(9 if weekday < 5 else 10),
            closes=datetime.time(20 if weekday < 5 else 16),
        )
    whale = TitleFactory(
        title="Moby-Dick",
        author="Melville, Herman",
        publication_year=1851,
        language="eng",
        series="Sea stories",
        subjects="Whaling\nSea voyages",
        summary="A captain hunts a whale.",
        call_number="FIC MEL",
    )
    ItemFactory(title=whale, branch=branch)
    ItemFactory(title=whale, branch=branch, status=Item.Status.ON_LOAN)
    patron = PatronFactory(
        first_name="Rosalind",
        last_name="Okafor",
        email="rosalind@example.org",
        keep_reading_history=True,
    )
    card = CardFactory(patron=patron, number="21234000000101")
    now = timezone.now()
    kept = TitleFactory(title="Cold Harbor Tides", author="Lind, Ada")
    LoanFactory(
        item=ItemFactory(title=kept, branch=branch),
        patron=patron,
        checked_out_at=now - datetime.timedelta(days=30),
    )
    LoanFactory(
        item=ItemFactory(title=kept, branch=branch),
        patron=patron,
        checked_out_at=now - datetime.timedelta(days=40),
        returned_at=now - datetime.timedelta(days=2),
    )
    HoldFactory(
        title=TitleFactory(title="Lanterns", author="Ives, Rona"),
        patron=patron,
        pickup_branch=branch,
        waiting=True,
    )
    HoldFactory(
        title=TitleFactory(title="Quiet Rivers", author="Dahl, Ole"),
        patron=patron,
        pickup_branch=branch,
        suspended_until=today + datetime.timedelta(days=10),
    )
    FineFactory(patron=patron, reason=Fine.Reason.OVERDUE, amount=Decimal("2.50"), amount_paid=1)
    ProgramRegistrationFactory(
        program=ProgramFactory(name="Story time", branch=branch), patron=patron
    )
    ProgramFactory(name="Chess club", branch=branch)
    PatronBlockFactory(patron=patron, reason=PatronBlock.Reason.UNPAID)

    log_access(
        [patron],
        request=None,
        page="desk:checkout",
        who={"role": "Circulation staff", "branch": "Harbor Street"},
    )
    other = CardFactory(
        number="21234000000202",
        patron=PatronFactory(first_name="Tobias", last_name="Wren", email="tw@example.org"),
    )
    locked = CardFactory(number="21234000000303")
    data = [
        settings.CALUMET_LIBRARY_NAME,
        "Harbor Street",
        "Moby-Dick",
        "Melville, Herman",
        "Sea stories",
        "Whaling",
        "Sea voyages",
        "A captain hunts a whale.",
        "FIC MEL",
        "Cold Harbor Tides",
        "Lind, Ada",
        "Lanterns",
        "Ives, Rona",
        "Quiet Rivers",
        "Dahl, Ole",
        "Story time",
        "Chess club",
        "Rosalind Okafor",
        "Rosalind",
        "Okafor",
        "Tobias",
        "rosalind@example.org",
        patron.phone,
        patron.address_line1,
        patron.city,
        card.masked_number,
        "Calumet",
    ]
    return card, whale, other, locked, data


def walk(language: str) -> tuple[dict[str, str], list[str]]:
    """Every public and portal page, and the messages and form errors of the portal's
    actions, as one reader sees them with their browser in `language`."""
    pages: dict[str, str] = {}

    def keep(name, response, status=200):
        assert response.status_code == status, (name, response.status_code)
        pages[name] = response.content.decode()

    today = timezone.localdate()
    card, whale, other, locked, data = _build_library(today)
    browser = {"HTTP_ACCEPT_LANGUAGE": language}
    anon = Client(**browser)
    for name, url in [
        ("home", "/"),
        ("privacy", "/privacy/"),
        ("transparency", "/transparency/"),
        ("catalog", "/portal/catalog/"),
        ("results", "/portal/catalog/?q=harbor"),
        ("results-browse", "/portal/catalog/?format=book"),
        ("results-none", "/portal/catalog/?q=zzzzqqq"),
        ("title", f"/portal/catalog/{whale.pk}/"),
        ("login", "/portal/login/"),
        ("pin-reset", "/portal/pin/forgotten/"),
    ]:
        keep(name, anon.get(url))
    keep("404", anon.get("/no-such-page/"), 404)
    keep("400", anon.get("/portal/catalog/?q=%00"), 400)
    keep(
        "403-csrf",
        Client(enforce_csrf_checks=True, **browser).post("/portal/login/", {}),
        403,
    )
    with translation.override(language):
        pages["500"] = server_error(RequestFactory().get("/")).content.decode()
    keep("login-refused", anon.post("/portal/login/", {"card_number": "1", "pin": "1"}))
    keep(
        "pin-reset-errors",
        anon.post("/portal/pin/forgotten/", {"card_number": "", "email": "not an address"}),
    )
    keep(
        "pin-reset-sent",
        anon.post(
            "/portal/pin/forgotten/",
            {"card_number": card.number, "email": "rosalind@example.org"},
            follow=True,
        ),
    )
    session = anon.session
    session["calumet_pin_reset_token"] = "not-a-token"
    session.save()
    keep("pin-new", anon.get("/portal/pin/reset/new/"))
    keep(
        "pin-new-errors",
        anon.post(
            "/portal/pin/reset/new/",
            {"card_number": card.number, "new_pin": "1111", "new_pin2": "2222"},
        ),
    )
    keep(
        "pin-new-refused",
        anon.post(
            "/portal/pin/reset/new/",
            {"card_number": card.number, "new_pin": "8642", "new_pin2": "8642"},
        ),
    )
    for _attempt in range(settings.AXES_FAILURE_LIMIT):
        Client(**browser).post("/portal/login/", {"card_number": locked.number, "pin": "0000"})
    keep(
        "locked",
        Client(**browser).post("/portal/login/", {"card_number": locked.number, "pin": "0000"}),
        429,
    )
    staff = Client(**browser)
    staff.force_login(StaffUserFactory())
    keep("staff-refused", staff.get("/portal/staff/"), 403)

    reader = Client(**browser)
    response = reader.post("/portal/login/", {"card_number": card.number, "pin": DEFAULT_PIN})
    assert response.status_code == 302
    for name, url in [
        ("account", "/portal/"),
        ("history", "/portal/history/"),
        ("notices", "/portal/notices/"),
        ("portal-privacy", "/portal/privacy/"),
        ("access", "/portal/access/"),
        ("my-data", "/portal/data/"),
        ("pin", "/portal/pin/"),
        ("lost-card", "/portal/lost-card/"),
        ("title-signed-in", f"/portal/catalog/{whale.pk}/"),
        ("home-signed-in", "/"),
    ]:
        keep(name, reader.get(url))
    loan = card.patron.loans.filter(returned_at__isnull=True).first()
    hold = card.patron.holds.filter(status="placed").first()
    for name, url, form in [
        ("renewed", "/portal/renew/", {"loan": loan.pk}),
        ("renewed-all", "/portal/renew-all/", {}),
        ("suspend-bad-date", "/portal/holds/suspend/", {"hold": hold.pk, "until": "soon"}),
        ("suspend-too-far", "/portal/holds/suspend/", {"hold": hold.pk, "until": "2999-01-01"}),
        ("resumed", "/portal/holds/suspend/", {"hold": hold.pk, "until": ""}),
        ("hold-refused", "/portal/holds/place/", {"title": whale.pk, "pickup_branch": ""}),
        ("notices-saved", "/portal/notices/", {"courtesy": "on"}),
        ("pin-errors", "/portal/pin/", {"current_pin": "0000", "new_pin": "1234"}),
        ("privacy-confirm", "/portal/privacy/", {"keep": "off"}),
        ("history-kept", "/portal/privacy/", {"keep": "on"}),
    ]:
        keep(name, reader.post(url, form, follow=True))
    returned = card.patron.loans.filter(returned_at__isnull=False).first()
    keep(
        "history-removed",
        reader.post("/portal/history/delete/", {"loan": returned.pk}, follow=True),
    )
    keep(
        "history-off",
        reader.post("/portal/privacy/", {"keep": "off", "confirm": "on"}, follow=True),
    )
    keep("history-off-page", reader.get("/portal/history/"))
    keep("signed-out", reader.post("/portal/logout/", follow=True))

    second = Client(**browser)
    second.post("/portal/login/", {"card_number": other.number, "pin": DEFAULT_PIN})
    keep("lost-card-unconfirmed", second.post("/portal/lost-card/", {}))
    keep("card-stopped", second.post("/portal/lost-card/", {"confirm": "on"}))
    return pages, data


def _walk_and_undo(language: str):
    class Undo(Exception):
        pass

    result = {}
    try:
        with transaction.atomic():
            result["walk"] = walk(language)
            raise Undo
    except Undo:
        pass
    return result["walk"]


@pytest.mark.django_db
def test_no_english_is_left_on_any_public_or_portal_page_in_spanish():
    english, data = _walk_and_undo("en")
    spanish, _data = _walk_and_undo("es")
    assert english.keys() == spanish.keys()
    english_words = set().union(*(residues(page, data) for page in english.values()))
    left = {
        name: sorted(residues(page, data) & english_words)
        for name, page in spanish.items()
        if residues(page, data) & english_words
    }
    assert left == {}
    # Spanish pages say so, and the walk did read Spanish (not empty pages).
    assert all('<html lang="es">' in page for name, page in spanish.items() if name != "500")
    assert "Préstamos, reservas y multas" in spanish["account"]
    assert "Quién ha consultado su registro" in spanish["access"]
    assert "Personal de circulación, Harbor Street:" in spanish["access"]


# -- choosing the language ----------------------------------------------------------------------


@pytest.fixture
def patron_card(db):
    return CardFactory(number="21234000000404", patron=PatronFactory(first_name="Marisol"))


def test_english_without_a_language_and_spanish_when_the_browser_asks(db):
    assert b"Sign in to your account" in Client().get("/portal/login/").content
    spanish = Client(HTTP_ACCEPT_LANGUAGE="es-MX,es;q=0.9,en;q=0.5").get("/portal/login/")
    assert "Inicie sesión en su cuenta" in spanish.content.decode()
    assert spanish["Content-Language"] == "es"


def test_the_switch_works_without_script_and_returns_to_the_page(db):
    browser = Client(HTTP_ACCEPT_LANGUAGE="es")
    page = browser.get("/portal/catalog/?q=whale").content.decode()
    # A plain form on the page: the button names the other language, in that language.
    assert 'action="/language/"' in page and 'value="en" lang="en"' in page
    response = browser.post(
        "/language/", {"language": "en", "next": "/portal/catalog/?q=whale"}, HTTP_ORIGIN="null"
    )
    assert response.status_code == 302 and response["Location"] == "/portal/catalog/?q=whale"
    assert b"Search the catalog" in browser.get("/portal/catalog/").content
    # Somewhere else (another site) is never where the switch leads.
    away = browser.post("/language/", {"language": "es", "next": "https://example.com/"})
    assert away["Location"] == "/"
    assert "Buscar en el catálogo" in browser.get("/portal/catalog/").content.decode()


def test_the_staff_side_stays_in_english(db, superuser):
    staff = Client(HTTP_ACCEPT_LANGUAGE="es")
    staff.force_login(superuser)
    response = staff.get(reverse("admin:index"))
    assert response["Content-Language"] == "en"
    assert "Cerrar sesión" not in response.content.decode()
    login = Client(HTTP_ACCEPT_LANGUAGE="es").get(reverse("admin:login"))
    assert login["Content-Language"] == "en"


def test_the_patrons_choice_wins_over_the_browser_and_is_kept(patron_card):
    patron = patron_card.patron
    browser = Client(HTTP_ACCEPT_LANGUAGE="en")
    browser.post("/portal/login/", {"card_number": patron_card.number, "pin": DEFAULT_PIN})
    assert b"Loans, holds and fines" in browser.get("/portal/").content
    # Chosen on the notices page: kept on the patron, and the page follows at once.
    saved = browser.post("/portal/notices/", {"language": "es"}, follow=True).content.decode()
    assert "Se guardaron sus preferencias de avisos." in saved
    patron.refresh_from_db()
    assert patron.language == "es"
    # Next time, on another computer whose browser asks for English: Spanish.
    again = Client(HTTP_ACCEPT_LANGUAGE="en")
    again.post("/portal/login/", {"card_number": patron_card.number, "pin": DEFAULT_PIN})
    assert "Préstamos, reservas y multas" in again.get("/portal/").content.decode()
    # The switch at the top, signed in, changes the patron's choice too.
    again.post("/language/", {"language": "en", "next": "/portal/"})
    patron.refresh_from_db()
    assert patron.language == "en"
    assert b"Loans, holds and fines" in again.get("/portal/").content
    # A language that is not offered changes nothing.
    refused = again.post("/portal/notices/", {"language": "fr"}, follow=True)
    assert b"Choose a language from the list. Nothing was changed." in refused.content
    patron.refresh_from_db()
    assert patron.language == "en"


def test_the_database_takes_only_languages_on_offer(patron_card):
    with pytest.raises(IntegrityError), transaction.atomic():
        Patron.objects.filter(pk=patron_card.patron.pk).update(language="fr")


def test_spanish_dates_read_as_spanish(patron_card):
    patron = patron_card.patron
    patron.language = "es"
    patron.save()
    fine = FineFactory(patron=patron)
    browser = Client()
    browser.post("/portal/login/", {"card_number": patron_card.number, "pin": DEFAULT_PIN})
    page = browser.get("/portal/").content.decode()
    day = timezone.localtime(fine.assessed_at)
    month = MONTHS.split()[day.month - 1]
    assert f"cobrado el {day.day} de {month} de {day.year}" in page
    # Money keeps the US decimal point.
    assert "$2.50" in page


# -- notices in the patron's language -----------------------------------------------------------


def test_notices_go_in_the_patrons_language(db, settings):
    settings.CALUMET_NOTICES_INCLUDE_TITLES = True
    now = timezone.now()
    branch = BranchFactory(name="Harbor Street")
    spanish = PatronFactory(first_name="Lucía", language="es")
    english = PatronFactory(first_name="Ruth")
    for patron in (spanish, english):
        HoldFactory(patron=patron, pickup_branch=branch, waiting=True)
        LoanFactory(patron=patron, checked_out_at=now - datetime.timedelta(days=40))
    for hold in spanish.holds.all() | english.holds.all():
        send_hold_ready_notice(hold.pk)
    send_overdue_notices(now=now)
    by_patron = {}
    for message in mail.outbox:
        by_patron.setdefault(message.to[0], []).append(message)
    es_hold, es_overdue = by_patron[spanish.email]
    assert es_hold.subject == "Su reserva está lista para recoger"
    assert es_hold.body.startswith("Hola, Lucía:")
    assert "lo espera en Harbor Street" in es_hold.body
    assert es_overdue.subject == "Artículos vencidos en su tarjeta de la biblioteca"
    assert "1 artículo de su tarjeta está vencido" in es_overdue.body
    en_hold, en_overdue = by_patron[english.email]
    assert en_hold.subject == "Your hold is ready for pickup"
    assert en_overdue.body.startswith("Hello Ruth,")

    mail.outbox.clear()
    due = now + datetime.timedelta(days=library_policy().courtesy_notice_days)
    LoanFactory(patron=spanish, checked_out_at=due - datetime.timedelta(days=21))
    assert send_courtesy_notices(now=now) == 1
    assert mail.outbox[0].subject == "Artículos que vencen pronto en su tarjeta de la biblioteca"
    assert "1 artículo de su tarjeta vence el" in mail.outbox[0].body
    mail.outbox.clear()
    expires = timezone.localdate(now) + datetime.timedelta(
        days=library_policy().card_expiry_notice_days
    )
    Patron.objects.filter(pk=spanish.pk).update(card_expires_on=expires)
    assert send_card_expiry_notices(now=now) == 1
    month = MONTHS.split()[expires.month - 1]
    assert "Su tarjeta de la biblioteca vence el" in mail.outbox[0].body
    assert f"{expires.day} de {month} de {expires.year}" in mail.outbox[0].body


def test_the_pin_reset_mail_is_in_the_patrons_language_whatever_the_page(db):
    card = CardFactory(number="21234000000505", patron=PatronFactory(language="es"))
    Client(HTTP_ACCEPT_LANGUAGE="en").post(
        "/portal/pin/forgotten/", {"card_number": card.number, "email": card.patron.email}
    )
    assert mail.outbox[0].subject.endswith(": elija un PIN nuevo")
    assert "Alguien pidió restablecer el PIN" in mail.outbox[0].body


# -- slips and receipts -------------------------------------------------------------------------


def test_every_slip_handed_to_a_patron_is_in_spanish_for_a_spanish_patron(db, settings):
    """The desk's slips (check-out receipt, items out, payment receipt) and the patron's
    slips (registration, temporary PIN, new card), rendered for the same patron in English
    and then in Spanish: no English word of the slip is left in the Spanish one."""
    branch = BranchFactory(code="main", name="Harbor Street")
    patron = PatronFactory(first_name="Lucía", last_name="Ferrer", home_branch=branch)
    card = CardFactory(patron=patron, number="21234000000001")
    item = ItemFactory(branch=branch, title=TitleFactory(title="Rayuela"))
    FineFactory(patron=patron, amount=Decimal("1.75"))
    staff = StaffUserFactory(username="desk", groups=[LIBRARIAN])
    client = Client()
    client.force_login(staff)
    checkout, payment = "/admin/circulation/checkout/", "/admin/circulation/payment/"
    client.post(checkout, {"action": "branch", "branch": branch.pk})
    client.post(checkout, {"action": "card", "card_number": card.number})
    client.post(checkout, {"action": "item", "barcode": item.barcode})
    client.post(payment, {"action": "card", "card_number": card.number})
    client.post(payment, {"action": "pay_all", "method": "cash", "tendered": "5.00"})
    slips = {
        "check-out receipt": ("get", "/admin/circulation/checkout-receipt/"),
        "items out": ("get", "/admin/circulation/checkout-receipt/?all=1"),
        "payment receipt": ("get", "/admin/circulation/payment-receipt/"),
        "temporary PIN": ("post", f"/admin/patrons/patron/{patron.pk}/temporary-pin/"),
        "new card": ("post", f"/admin/patrons/patron/{patron.pk}/replace-card/"),
    }

    def read(language: str) -> dict[str, str]:
        Patron.objects.filter(pk=patron.pk).update(language=language)
        pages = {}
        for name, (method, url) in slips.items():
            data = {"reason": "damaged"} if name == "new card" else {}
            response = getattr(client, method)(url, data)
            assert response.status_code == 200, name
            pages[name] = response.content.decode()
        return pages

    english, spanish = read("en"), read("es")
    data = [
        settings.CALUMET_LIBRARY_NAME,
        "Lucía Ferrer",
        "Harbor Street",
        "Rayuela",
        "MAIN-",
        item.barcode,
        "http://testserver/portal/login/",
    ]
    english_words = set().union(*(residues(page, data) for page in english.values()))
    left = {
        name: sorted(residues(page, data) & english_words)
        for name, page in spanish.items()
        if residues(page, data) & english_words
    }
    assert left == {}
    assert all('<html lang="es">' in page for page in spanish.values())
    assert "Recibo de préstamo" in spanish["check-out receipt"]
    assert "Efectivo entregado" in spanish["payment receipt"]
    assert "PIN temporal" in spanish["temporary PIN"]
    assert "Su nueva tarjeta de la biblioteca" in spanish["new card"]
