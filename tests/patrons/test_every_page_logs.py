"""Every staff page that shows a patron's data writes an access entry about that patron.

The pages are not listed by hand: the walk takes every model registered in the admin
(its list, a search for the patron, the record's page, its delete confirmation and its
history), every autocomplete field, and every task page registered on the admin site
(the desk, the reports), and on those pages fills every form that asks for a card number
or a barcode. Any response that shows the patron's name or card number must have written
an entry naming the patron.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser
from urllib.parse import urlencode

import pytest
from auditlog.models import LogEntry
from django.contrib import admin
from django.urls import NoReverseMatch, reverse

from patrons.models import Patron, SignUp
from privacy.registry import registry
from tests.factories import PatronFactory, one_record_of_each_kind

pytestmark = pytest.mark.django_db


class _Forms(HTMLParser):
    """The POST forms of a page: their field names and hidden values."""

    def __init__(self) -> None:
        super().__init__()
        self.forms: list[dict[str, str]] = []
        self._current: dict[str, str] | None = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form" and (attrs.get("method") or "").lower() == "post":
            self._current = {}
        elif tag in ("input", "select", "textarea") and self._current is not None:
            name = attrs.get("name")
            if name and name != "csrfmiddlewaretoken":
                self._current[name] = attrs.get("value") or ""

    def handle_endtag(self, tag):
        if tag == "form" and self._current is not None:
            self.forms.append(self._current)
            self._current = None


@pytest.fixture
def walk(superuser_client, settings):
    settings.CALUMET_AUDIT_REPEAT_MINUTES = 0  # every view counts here
    patron = PatronFactory(
        first_name="Quintessa", last_name="Zwiebelfisch", email="zwiebel@example.org"
    )
    records = one_record_of_each_kind(patron)
    # An online application: someone else, not yet a patron (its pages show no patron).
    records[SignUp] = SignUp.objects.create(
        first_name="Mary", last_name="Shelley", email="mary@example.org", reference="WALKWALK"
    )
    card = records[next(m for m in records if m.__name__ == "Card")]
    return superuser_client, patron, card, records


def _shows(response, patron, card, asked: str = "", records=()) -> bool:
    """The patron's names, email or card number are on the page (other than what was
    typed in a search box, which the page repeats); for a search or an autocomplete, any
    of the patron's records in the answer (it confirms the person is a patron)."""
    text = response.content.decode(errors="replace")
    marks = {patron.first_name, patron.last_name, patron.email, card.number} - {asked}
    if any(mark in text for mark in marks):
        return True
    return bool(asked) and any(
        re.search(re.escape(str(record)) + r"(?!\d)", text) for record in records
    )


def _entries(patron) -> int:
    return LogEntry.objects.filter(
        action=LogEntry.Action.ACCESS, additional_data__patron=patron.pk
    ).count()


def _admin_urls(patron, card, records):
    for model, model_admin in admin.site._registry.items():
        info = f"{model._meta.app_label}_{model._meta.model_name}"
        yield f"admin:{info}_changelist", reverse(f"admin:{info}_changelist"), ""
        if model_admin.search_fields:
            url = reverse(f"admin:{info}_changelist")
            yield f"search {info}", f"{url}?{urlencode({'q': card.number})}", card.number
            yield (
                f"search {info} by name",
                f"{url}?{urlencode({'q': patron.last_name})}",
                patron.last_name,
            )
        obj = records.get(model) or model._default_manager.first()
        if obj is not None:
            for view in ("change", "delete", "history"):
                try:
                    url = reverse(f"admin:{info}_{view}", args=[obj.pk])
                    yield f"admin:{info}_{view}", url, ""
                except NoReverseMatch:
                    continue
        for field_name in model_admin.autocomplete_fields:
            query = {
                "app_label": model._meta.app_label,
                "model_name": model._meta.model_name,
                "field_name": field_name,
                "term": patron.last_name[:5],
            }
            yield (
                f"autocomplete {info}.{field_name}",
                f"{reverse('admin:autocomplete')}?{urlencode(query)}",
                patron.last_name[:5],
            )
    for page in admin.site._pages:
        yield f"admin:{page.url_name}", reverse(f"admin:{page.url_name}"), ""


def test_every_page_that_shows_a_patron_logs_it(walk):
    client, patron, card, records = walk
    loan = records[next(m for m in records if m.__name__ == "Loan")]
    visited, seen, showing, silent = 0, [], [], []
    for name, url, asked in _admin_urls(patron, card, records):
        before = _entries(patron)
        response = client.get(url, follow=True)
        visited += 1
        seen.append(name)
        # (405: an endpoint that only takes a POST, such as "serve this patron")
        assert response.status_code in (200, 403, 405), (name, response.status_code)
        if _shows(response, patron, card, asked, records.values()):
            showing.append(name)
            if _entries(patron) == before:
                silent.append(name)
        if name.startswith("admin:") and not name.endswith(("_change", "_delete", "_history")):
            # A task page: fill each form that asks for a card or a barcode.
            parser = _Forms()
            parser.feed(response.content.decode(errors="replace"))
            for form in parser.forms:
                if not ({"card_number", "barcode"} & set(form)):
                    continue
                data = dict(form)
                if "card_number" in data:
                    data["card_number"] = card.number
                if "barcode" in data:
                    data["barcode"] = loan.item.barcode
                before = _entries(patron)
                response = client.post(url, data, follow=True)
                visited += 1
                if _shows(response, patron, card):
                    showing.append(f"{name} {data.get('action', '')}")
                    if _entries(patron) == before:
                        silent.append(f"{name} {data.get('action', '')}")
    assert silent == [], f"pages showing the patron without an access entry: {silent}"
    # The walk is not empty: every record kind's pages were visited, and the patron's
    # own page and the desk were seen showing him.
    for kind in registry:
        if kind.model in admin.site._registry:
            label = f"admin:{kind.model._meta.app_label}_{kind.model._meta.model_name}_change"
            assert label in seen, label
    assert "admin:patrons_patron_change" in showing
    assert any("checkout" in name for name in showing), showing
    assert visited > 60


def test_the_audit_logs_own_pages_log_the_patrons_they_show(walk):
    client, patron, _, _ = walk
    client.get(reverse("admin:patrons_patron_change", args=[patron.pk]))
    before = _entries(patron)
    client.get(reverse("admin:auditlog_logentry_changelist"))
    assert _entries(patron) == before + 1
    entry = LogEntry.objects.filter(additional_data__patron=patron.pk).first()
    client.get(reverse("admin:auditlog_logentry_change", args=[entry.pk]))
    assert _entries(patron) == before + 2
    assert (
        LogEntry.objects.filter(additional_data__patron=patron.pk)
        .order_by("-pk")
        .values_list("additional_data__access", flat=True)[:2][::-1]
    ) == ["listed", "opened"]


def test_the_audit_log_never_keeps_a_whole_card_number(walk):
    client, patron, card, _ = walk
    card.status = "lost"
    card.save()
    type(card).objects.create(patron=patron, number="21234999988887")
    for entry in LogEntry.objects.all():
        text = f"{entry.changes} {entry.changes_text} {entry.object_repr} {entry.additional_data}"
        assert card.number not in text and "21234999988887" not in text
    page = client.get(reverse("admin:auditlog_logentry_changelist")).content.decode()
    assert ("21234999988887" not in page and "…8887" in page) or "8887" not in page
    assert Patron.objects.filter(pk=patron.pk).exists()
