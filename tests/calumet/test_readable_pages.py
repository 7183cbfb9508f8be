"""Every admin page a clerk, a librarian, the library administrator and a superuser can
open reads as a library's page: no code names of record kinds, no URL names, no raw ISO
timestamps in the text a person reads (tags, attribute values, scripts and styles aside).

The pages are not listed by hand: every URL of the admin site is walked (the index, each
app's section, every task page, and every page of every model's admin: list, add, a
record's page, its history, its own pages such as "Replace the card"), the confirmation
pages of every admin action, and the access reports with rows in them. A page the role may
not open (403, a redirect) is left out; a role that opens too few pages fails."""

from __future__ import annotations

import contextlib
import re
from html.parser import HTMLParser

import pytest
from django.contrib import admin
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.test import RequestFactory
from django.urls import NoReverseMatch, URLResolver, reverse

from circulation.models import Program, ProgramRegistration
from disclosures import services
from disclosures.models import DisclosureRequest
from patrons.models import Card
from privacy.registry import registry
from tests.helpers import signed_in

pytestmark = pytest.mark.django_db

ISO = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d")
URL_NAME = re.compile(r"\badmin:[\w.]+(?::\w+)?")
#: Site URLs that are not pages to read: signing in and out, the admin's JavaScript
#: catalog and autocomplete answers (JSON), the "view on site" redirect.
NOT_PAGES = {"login", "logout", "jsi18n", "autocomplete", "view_on_site"}


class _Text(HTMLParser):
    """Visible text, and the text of each table cell."""

    def __init__(self):
        super().__init__()
        self.parts: list[str] = []
        self.cells: list[str] = []
        self._skip = 0
        self._cell: list[str] | None = None

    def handle_starttag(self, tag, attrs):
        if tag in ("script", "style", "template"):
            self._skip += 1
        elif tag in ("td", "th"):
            self._cell = []

    def handle_endtag(self, tag):
        if tag in ("script", "style", "template"):
            self._skip = max(0, self._skip - 1)
        elif tag in ("td", "th") and self._cell is not None:
            self.cells.append(" ".join(self._cell))
            self._cell = None

    def handle_data(self, data):
        if self._skip:
            return
        self.parts.append(data)
        if self._cell is not None:
            self._cell.append(data)


def findings(html: str) -> list[str]:
    parser = _Text()
    parser.feed(html)
    text = " ".join(parser.parts)
    found = [f"ISO timestamp {m!r}" for m in ISO.findall(text)]
    found += [f"URL name {m!r}" for m in URL_NAME.findall(text)]
    for kind in registry:
        if "_" in kind.name and re.search(rf"\b{kind.name}\b", text):
            found.append(f"kind code name {kind.name!r}")
    for kind in registry:  # the patron's own wording ("Your registration") on a staff page
        if re.search(r"\b[Yy]ou(r)?\b", kind.rule.label) and kind.rule.label in text:
            found.append(f"patron's wording {kind.rule.label!r}")
    plain = {kind.name for kind in registry if "_" not in kind.name}
    for cell in parser.cells:  # a cell that is a code name, or a list of them
        for part in re.split(r"[,(]", cell):
            if part.strip() in plain:
                found.append(f"kind code name {part.strip()!r} in a cell")
    return found


@pytest.fixture
def library(one_of_everything, clerk, director, settings, tmp_path):
    """Records of every kind, a disclosure request approved (its package and summary), and
    audit entries (made by opening the pages)."""
    settings.MEDIA_ROOT = tmp_path / "private"

    card = Card.objects.first()
    details = services.RequestDetails(
        agency="Sheriff",
        requester_name="Det. Halloran",
        legal_basis=DisclosureRequest.Basis.SUBPOENA,
        non_disclosure_order="no",
        kinds=["loan", "visit"],
        card_numbers=[card.number],
        issuing_authority="Circuit Court",
        case_number="2026-CR-1",
        document=SimpleUploadedFile("s.pdf", b"%PDF", "application/pdf"),
    )
    request = services.disclosure_record(details=details, actor=clerk)
    services.disclosure_approve(
        request=request, actor=director, reason="Valid.", patron_may_be_told=False
    )
    # The factories add sign-ups without counting them; the actions below count on it.

    for program in Program.objects.all():
        program.registration_count = ProgramRegistration.objects.filter(
            program=program, status=ProgramRegistration.Status.REGISTERED
        ).count()
        program.save(update_fields=["registration_count"])
    return {"card": card, "disclosure": request}


def _patterns(patterns, prefix=""):
    """(route, URL pattern) of every named URL, includes opened."""
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            yield from _patterns(pattern.url_patterns, prefix + str(pattern.pattern))
        elif pattern.name:
            yield prefix + str(pattern.pattern), pattern


def _arguments(pattern) -> list[str]:
    return list(pattern.pattern.regex.groupindex) if hasattr(pattern.pattern, "regex") else []


def _urls():
    """(URL name, URL) of every admin page there is, with a sample record where it needs
    one."""
    site_urls = [p for p in admin.site.get_urls() if not isinstance(p, URLResolver)]
    for _route, pattern in _patterns(site_urls):
        name = pattern.name
        if name in NOT_PAGES:
            continue
        if name == "app_list":
            for label in sorted({m._meta.app_label for m in admin.site._registry}):
                yield f"admin:app_list {label}", reverse("admin:app_list", args=[label])
        elif not _arguments(pattern):
            yield f"admin:{name}", reverse(f"admin:{name}")
    for model, model_admin in admin.site._registry.items():
        if not model._meta.managed:
            continue  # a section with no table (the statistics' entry in the index)
        # The first and the last record: of requests, a pending one and an approved one.
        manager = model._default_manager
        samples = {
            r.pk for r in (manager.order_by("pk").first(), manager.order_by("pk").last()) if r
        }
        for _route, pattern in _patterns(model_admin.get_urls()):
            arguments = _arguments(pattern)
            if not arguments:
                yield f"admin:{pattern.name}", reverse(f"admin:{pattern.name}")
            elif len(arguments) == 1:
                for pk in sorted(samples):
                    with contextlib.suppress(NoReverseMatch):
                        url = reverse(f"admin:{pattern.name}", args=[pk])
                        yield f"admin:{pattern.name}", url


def _action_pages(client):
    """Each admin action on a sample record, undone afterwards: the confirmation pages some
    actions show ("Turn off reading history...") are pages a person reads too."""
    for model, model_admin in admin.site._registry.items():
        if not model._meta.managed:
            continue
        sample = model._default_manager.order_by("pk").first()
        if sample is None:
            continue
        request = RequestFactory().get("/admin/")
        request.user = client.user
        for action in model_admin.get_actions(request):
            if action == "delete_selected":
                continue
            changelist = reverse(
                f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist"
            )
            with contextlib.suppress(_Undo), transaction.atomic():
                response = client.post(
                    changelist, {"action": action, ACTION_CHECKBOX_NAME: [sample.pk]}
                )
                yield f"action {model._meta.label}.{action}", response
                raise _Undo


class _Undo(Exception):
    pass


def _read(name, response, problems) -> bool:
    if response.status_code != 200 or "html" not in response.get("Content-Type", ""):
        return False
    found = findings(response.content.decode())
    if found:
        problems[name] = sorted(set(found))
    return True


@pytest.mark.parametrize("role", ["clerk", "librarian", "director", "superuser"])
def test_every_page_reads_as_a_librarys(role, library, request):
    user = request.getfixturevalue(role)
    client = signed_in(user)
    problems: dict[str, list[str]] = {}
    opened = []
    for name, url in _urls():
        if _read(name, client.get(url), problems):
            opened.append(name)
    for name, response in _action_pages(client):
        if _read(name, response, problems):
            opened.append(name)
    # The access reports with rows in them (the walk above made access entries).
    response = client.post(
        reverse("admin:auditlog_patron_access"), {"card_number": library["card"].number}
    )
    if _read("admin:auditlog_patron_access (report)", response, problems):
        opened.append("patron access report")
    if _read(
        "admin:auditlog_staff_access", client.get(reverse("admin:auditlog_staff_access")), problems
    ):
        opened.append("staff access report")
    assert not problems, "\n".join(f"{name}: {found}" for name, found in problems.items())
    # The walk really opened the role's pages: its home, its desk or reports, its records.
    expected = {
        "clerk": {
            "admin:circulation_desk",
            "admin:patrons_patron_change",
            "admin:circulation_checkout",
        },
        "librarian": {
            "admin:index",
            "admin:circulation_title_change",
            "admin:patrons_patron_change",
        },
        "director": {
            "admin:index",
            "admin:disclosures_summary",
            "admin:disclosures_disclosurerequest_change",
            "patron access report",
            "staff access report",
        },
        "superuser": {"admin:auth_user_change", "admin:sip2_terminal_changelist"},
    }[role]
    assert expected <= set(opened), expected - set(opened)
    assert len(opened) > 40, opened


def test_the_check_sees_what_a_person_would_not_understand():
    """The check itself can fail: each kind of finding is found, in text and not in tags."""
    assert findings("<td>Opened 2026-11-30T23:02:59</td>") == ["ISO timestamp '2026-11-30T23:02'"]
    assert findings("<p>Page: admin:patrons.patron:change</p>") == [
        "URL name 'admin:patrons.patron:change'"
    ]
    assert "kind code name 'disclosure_scope'" in findings("<p>Kinds: disclosure_scope</p>")
    assert "kind code name 'loan' in a cell" in findings("<table><td>loan, visit</td></table>")
    assert (
        findings('<a href="/admin/" title="admin:index" data-at="2026-11-30T23:02">Home</a>') == []
    )
    assert findings("<script>let at = '2026-11-30T23:02';</script><td>Loans</td>") == []
