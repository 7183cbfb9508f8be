"""Production readiness: security headers, deploy checks, error pages, logs, CSRF,
hostile input, the expunge lock (issue: production readiness)."""

import logging
import os
import subprocess
import sys
import threading

import psycopg
import pytest
from axes.utils import reset
from django.core.management import CommandError, call_command
from django.db import connection, connections
from django.test import Client
from django.urls import reverse
from hypothesis import HealthCheck, given
from hypothesis import settings as hyp_settings
from hypothesis import strategies as st

from calumet.logging import StripQueryString
from calumet.views import server_error
from circulation.models import Fine, Hold, Loan
from disclosures.models import DisclosureRequest
from patrons.models import Card, Patron
from privacy import retention
from privacy.tasks import nightly_expunge
from tests.factories import (
    DEFAULT_PIN,
    BranchFactory,
    CardFactory,
    ItemFactory,
    LoanFactory,
    SuperuserFactory,
    TitleFactory,
)

pytestmark = pytest.mark.django_db

HOSTILE = [
    "",
    "x" * 10_000,
    "\x00",
    "21234\x00000000001",
    "Łódź ☃ 漢字 🙂",
    "' OR 1=1 --",
    "<script>alert('owned')</script>",
    "../../etc/passwd",
]


@pytest.fixture
def patron_card():
    card = CardFactory(number="21234777700001")
    return card


def _portal_client(card) -> Client:
    client = Client()
    response = client.post(
        reverse("portal:login"), {"card_number": card.number, "pin": DEFAULT_PIN}
    )
    assert response.status_code == 302, "the patron could not sign in"
    return client


# -- headers -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "path", ["/", "/privacy/", "/portal/login/", "/portal/catalog/", "/admin/login/"]
)
def test_every_kind_of_page_sends_the_security_headers(client, path):
    response = client.get(path)
    assert response.status_code == 200
    csp = response["Content-Security-Policy"]
    directives = dict(
        ([*part.split(" ", 1), ""])[:2] for part in (p.strip() for p in csp.split(";")) if part
    )
    assert directives["default-src"] == "'self'"
    assert directives["script-src"] == "'self'"
    assert directives["style-src"] == "'self'"
    assert directives["frame-ancestors"] == "'none'"
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
    assert "http:" not in csp and "https:" not in csp  # no third-party source
    assert response["Referrer-Policy"] == "no-referrer"
    assert response["X-Frame-Options"] == "DENY"
    policy = response["Permissions-Policy"]
    for feature in ("camera=()", "microphone=()", "geolocation=()"):
        assert feature in policy


def test_a_signed_in_portal_page_sends_them_too(patron_card):
    response = _portal_client(patron_card).get(reverse("portal:account"))
    assert response.status_code == 200
    assert response["Referrer-Policy"] == "no-referrer"
    assert "default-src 'self'" in response["Content-Security-Policy"]


def test_pages_hold_no_inline_script_or_style(client, patron_card):
    pages = [client.get(p).content.decode() for p in ("/", "/privacy/", "/portal/login/")]
    pages.append(_portal_client(patron_card).get(reverse("portal:account")).content.decode())
    for html in pages:
        assert "<script>" not in html and "<script " not in html
        assert " style=" not in html and "<style" not in html


# -- deploy checks ---------------------------------------------------------------------------


def test_the_documented_production_settings_pass_the_deploy_check(tmp_path):
    env = {
        "PATH": os.environ["PATH"],
        "DJANGO_SETTINGS_MODULE": "calumet.settings",
        "DJANGO_DEBUG": "false",
        "DJANGO_SECRET_KEY": "k" * 20 + "production-like-secret-value-0123456789-abcdefghij",
        "DJANGO_ALLOWED_HOSTS": "catalog.example-library.org",
        "CALUMET_TRUSTED_PROXIES": "127.0.0.1",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'deploy.sqlite3'}",
    }
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        capture_output=True,
        text=True,
        env=env,
        cwd=os.path.dirname(os.path.dirname(os.path.dirname(__file__))),
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout + result.stderr


# -- error pages -----------------------------------------------------------------------------


def test_404_uses_the_site_layout_and_does_not_echo_the_address(client):
    response = client.get("/portal/<script>alert('x')</script>/card-21234000000001/")
    assert response.status_code == 404
    html = response.content.decode()
    assert "Page not found" in html
    assert 'class="site-header"' in html
    assert "alert(" not in html and "21234000000001" not in html


def test_400_for_a_bad_host_uses_the_site_layout(client):
    response = client.get("/", HTTP_HOST="evil.example.com")
    assert response.status_code == 400
    assert "could not be understood" in response.content.decode()


def test_403_uses_the_site_layout(client, clerk):
    client.force_login(clerk)
    response = client.get("/admin/auditlog/staff-access/")
    assert response.status_code == 403
    assert "You may not open this page" in response.content.decode()


def test_a_nul_byte_anywhere_is_a_400_with_the_site_layout(client):
    response = client.get(reverse("portal:catalog"), {"q": "Dracula\x00"})
    assert response.status_code == 400
    assert "could not be understood" in response.content.decode()
    response = client.post(reverse("portal:login"), {"card_number": "1\x00", "pin": "1"})
    assert response.status_code == 400


def test_500_renders_without_the_request(rf):
    response = server_error(rf.get("/portal/?card=21234000000001"))
    assert response.status_code == 500
    html = response.content.decode()
    assert "Something went wrong" in html and "21234000000001" not in html


# -- logs ------------------------------------------------------------------------------------


def test_a_whole_portal_session_leaves_no_card_number_or_pin_in_the_logs(caplog, patron_card):
    title = TitleFactory(title="A Very Private Title")
    ItemFactory(title=title)
    LoanFactory(patron=patron_card.patron, item=ItemFactory(title=title))
    caplog.set_level(logging.DEBUG)
    client = Client()
    client.post(reverse("portal:login"), {"card_number": patron_card.number, "pin": "9999"})
    client.post(reverse("portal:login"), {"card_number": patron_card.number, "pin": DEFAULT_PIN})
    client.get(reverse("portal:account"))
    client.get(reverse("portal:catalog"), {"q": "A Very Private Title"})
    client.get(reverse("portal:my_data"), {"download": "1"})
    client.post(reverse("portal:renew_all"))
    client.get("/portal/nothing-here/?card=" + patron_card.number)
    client.post(reverse("portal:logout"))
    text = caplog.text
    assert patron_card.number not in text
    assert DEFAULT_PIN not in text and "9999" not in text
    assert "Private Title" not in text


def test_server_request_lines_lose_their_query_string():
    record = logging.LogRecord(
        "django.server",
        logging.INFO,
        __file__,
        1,
        '"%s" %s %s',
        ("GET /portal/catalog/?q=Private+Title HTTP/1.1", "200", "512"),
        None,
    )
    assert StripQueryString().filter(record)
    assert record.getMessage() == '"GET /portal/catalog/ HTTP/1.1" 200 512'


# -- CSRF -------------------------------------------------------------------------------------


def _csrf_token(client: Client, path: str) -> str:
    client.get(path)
    return client.cookies["csrftoken"].value


def test_csrf_is_enforced_on_every_post(patron_card):
    client = Client(enforce_csrf_checks=True)
    credentials = {"card_number": patron_card.number, "pin": DEFAULT_PIN}
    assert client.post(reverse("portal:login"), credentials).status_code == 403
    token = _csrf_token(client, reverse("portal:login"))
    response = client.post(reverse("portal:login"), {**credentials, "csrfmiddlewaretoken": token})
    assert response.status_code == 302


def test_no_referrer_posts_work_but_another_origin_is_refused(patron_card):
    client = Client(enforce_csrf_checks=True)
    token = _csrf_token(client, reverse("portal:login"))
    data = {"card_number": patron_card.number, "pin": DEFAULT_PIN, "csrfmiddlewaretoken": token}
    refused = client.post(reverse("portal:login"), data, HTTP_ORIGIN="https://evil.example")
    assert refused.status_code == 403
    accepted = client.post(reverse("portal:login"), data, HTTP_ORIGIN="null")
    assert accepted.status_code == 302
    # Origin null without the token is still refused: the token is the protection.
    fresh = Client(enforce_csrf_checks=True)
    fresh.get(reverse("portal:login"))
    no_token = fresh.post(
        reverse("portal:login"), {"card_number": "1", "pin": "1"}, HTTP_ORIGIN="null"
    )
    assert no_token.status_code == 403


# -- hostile input ------------------------------------------------------------------------------


def _snapshot():
    return (
        Loan.objects.count(),
        Loan.objects.filter(returned_at__isnull=True).count(),
        Fine.objects.filter(settled_at__isnull=True).count(),
        Hold.objects.count(),
        Card.objects.filter(status=Card.Status.ACTIVE).count(),
        tuple(Patron.objects.values_list("pin_hash", flat=True).order_by("pk")),
    )


@pytest.mark.parametrize("value", HOSTILE, ids=range(len(HOSTILE)))
def test_hostile_values_in_patron_forms_get_a_message_never_a_500(value, patron_card):
    before = _snapshot()
    anonymous = Client()
    for data in (
        {"card_number": value, "pin": value},
        {"card_number": patron_card.number, "pin": value},
    ):
        assert anonymous.post(reverse("portal:login"), data).status_code in (200, 400, 429)
    search = anonymous.get(reverse("portal:catalog"), {"q": value, "field": value})
    assert search.status_code in (200, 400)
    reset()
    client = _portal_client(patron_card)
    forms = [
        (reverse("portal:pin"), {"current_pin": value, "new_pin": value, "new_pin2": value}),
        (reverse("portal:pin"), {"current_pin": DEFAULT_PIN, "new_pin": value, "new_pin2": value}),
        (reverse("portal:privacy"), {"keep": value, "confirm": value}),
        (reverse("portal:lost_card"), {"confirm": ""}),
        (reverse("portal:renew"), {"loan": value}),
        (reverse("portal:hold_cancel"), {"hold": value}),
        (reverse("portal:program_signup"), {"program": value}),
        (reverse("portal:history_delete"), {"loan": value}),
    ]
    for url, data in forms:
        status = client.post(url, data).status_code
        assert status in (200, 302, 400, 404), (url, status)
    assert _snapshot() == before


@pytest.mark.parametrize("value", HOSTILE, ids=range(len(HOSTILE)))
def test_hostile_values_at_the_desk_get_a_message_never_a_500(value, client, clerk, patron_card):
    BranchFactory()
    client.force_login(clerk)
    before = _snapshot()
    for url, data in [
        ("/admin/circulation/checkout/", {"action": "card", "card_number": value}),
        ("/admin/circulation/checkout/", {"action": value}),
        ("/admin/circulation/checkin/", {"action": "item", "barcode": value}),
        ("/admin/circulation/renew/", {"action": "item", "barcode": value}),
        ("/admin/circulation/payment/", {"action": "card", "card_number": value}),
        ("/admin/circulation/payment/", {"action": "pay", "fine": value, "amount": value}),
        ("/admin/circulation/checkout/", {"action": "branch", "branch": value}),
    ]:
        response = client.post(url, data)
        assert response.status_code in (200, 302, 400), (url, response.status_code)
    client.post(
        "/admin/circulation/checkout/", {"action": "card", "card_number": patron_card.number}
    )
    response = client.post("/admin/circulation/checkout/", {"action": "item", "barcode": value})
    assert response.status_code == (400 if "\x00" in value else 302)
    assert _snapshot() == before


@pytest.mark.parametrize("value", HOSTILE, ids=range(len(HOSTILE)))
def test_hostile_values_in_the_disclosure_form_change_nothing(value, client, clerk):
    client.force_login(clerk)
    data = {
        "agency": value,
        "requester_name": value,
        "legal_basis": value,
        "non_disclosure_order": value,
        "card_numbers": value,
        "kinds": [value],
        "period_start": value,
        "issued_on": value,
        "case_number": value,
    }
    response = client.post("/admin/disclosures/disclosurerequest/add/", data)
    assert response.status_code == (400 if "\x00" in value else 200)
    assert DisclosureRequest.objects.count() == 0


@hyp_settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(card=st.text(max_size=60), pin=st.text(max_size=60), query=st.text(max_size=120))
def test_sign_in_and_search_never_fail_on_any_text(card, pin, query):
    reset()
    client = Client()
    response = client.post(reverse("portal:login"), {"card_number": card, "pin": pin})
    has_nul = "\x00" in card + pin
    assert response.status_code == (400 if has_nul else 200) or response.status_code == 429
    if response.status_code == 200:
        assert b"Card number or PIN not accepted" in response.content
    search = client.get(reverse("portal:catalog"), {"q": query})
    assert search.status_code == (400 if "\x00" in query else 200)


# -- the expunge lock ----------------------------------------------------------------------------


@pytest.mark.postgres("the expunge lock is a PostgreSQL advisory lock (SQLite has one writer)")
@pytest.mark.django_db(transaction=True)
def test_two_workers_never_run_the_expunge_at_once():
    settings_dict = connection.settings_dict
    other = psycopg.connect(
        host=settings_dict["HOST"] or "127.0.0.1",
        port=settings_dict["PORT"] or 5432,
        user=settings_dict["USER"],
        dbname=settings_dict["NAME"],
        autocommit=True,
    )
    try:
        other.execute("SELECT pg_advisory_lock(%s)", [retention.LOCK_KEY])
        with pytest.raises(retention.ExpungeBusy):
            retention.expunge()
        with pytest.raises(CommandError, match="Another expunge is running"):
            call_command("expunge")

        assert nightly_expunge() == 0
        other.execute("SELECT pg_advisory_unlock(%s)", [retention.LOCK_KEY])
        assert retention.expunge().run.pk  # free again
    finally:
        other.close()


@pytest.mark.postgres("the expunge lock is a PostgreSQL advisory lock")
@pytest.mark.django_db(transaction=True)
def test_concurrent_runs_in_threads_take_turns():
    outcomes = []
    barrier = threading.Barrier(2)

    def run():
        try:
            barrier.wait()
            retention.expunge()
            outcomes.append("ran")
        except retention.ExpungeBusy:
            outcomes.append("busy")
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert "ran" in outcomes
    assert len(outcomes) == 2


POST_URLS = [
    "/portal/login/",
    "/portal/logout/",
    "/portal/renew/",
    "/portal/renew-all/",
    "/portal/holds/cancel/",
    "/portal/programs/sign-up/",
    "/portal/programs/cancel/",
    "/portal/history/delete/",
    "/portal/privacy/",
    "/portal/pin/",
    "/portal/lost-card/",
    "/admin/circulation/checkout/",
    "/admin/circulation/checkin/",
    "/admin/circulation/renew/",
    "/admin/circulation/hold-shelf/",
    "/admin/circulation/payment/",
    "/admin/circulation/serve-patron/",
    "/admin/disclosures/disclosurerequest/add/",
    "/admin/2fa/",
    "/admin/auditlog/patron-access/",
]


def test_every_post_without_a_csrf_token_is_refused(patron_card):
    BranchFactory()
    patron_client = _portal_client(patron_card)
    staff_client = Client(enforce_csrf_checks=True)
    staff_client.force_login(SuperuserFactory())
    # A patron session with CSRF enforcement, using the cookie of the signed-in client.
    portal = Client(enforce_csrf_checks=True)
    portal.cookies = patron_client.cookies
    for url in POST_URLS:
        client = portal if url.startswith("/portal/") else staff_client
        response = client.post(url, {"anything": "1"})
        assert response.status_code == 403, url
        assert b"The form expired" in response.content, url
    assert Card.objects.get(pk=patron_card.pk).status == Card.Status.ACTIVE
