"""The web server's logs carry no reading interest.

An outside attacker read the access log: the hold was placed at a URL that carried the
title's id, and the patron's sign-in, from the same address, was a second earlier in the
audit log. Here real gunicorn, with the shipped `deploy/gunicorn.conf.py`, serves a
patron who signs in, searches the catalog, opens a title, places a hold, renews a loan,
trips over a missing page and a forged form, and signs out; then its access log and its
error log (stdout and stderr, what journald keeps) are read for the card number, the PIN,
the title (id and words), the search, the copy's barcode and the loan's id.

The documented nginx configuration (`deploy/nginx.conf`) is read too: its access log
format, and what its `map` makes of every path the patron visited.
"""

import http.cookiejar
import os
import re
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
GUNICORN = Path(sys.executable).with_name("gunicorn")

# Ids and words that appear nowhere else, so that finding one in a log is never chance.
CARD, PIN = "21234987650013", "739251"
TITLE_ID, LOAN_ID, BRANCH_ID = 7340021, 5190377, 8812
BARCODE = "31234000098765"
WORD, SEARCH = "Quixotically", "quixotically bewildered"

SEED = f"""
import datetime, django
django.setup()
from django.utils import timezone
from core.hashers import hash_pin
from tests.factories import BranchFactory, CardFactory, ItemFactory, LoanFactory
from tests.factories import PatronFactory, TitleFactory
branch = BranchFactory(pk={BRANCH_ID}, code="main", name="Central Library")
title = TitleFactory(pk={TITLE_ID}, title="{WORD} Bewildered Lighthouses", author="Keeper, Ada")
ItemFactory(title=title, branch=branch, barcode="{BARCODE}")
patron = PatronFactory(pin_hash=hash_pin("{PIN}"), home_branch=branch)
CardFactory(patron=patron, number="{CARD}")
LoanFactory(pk={LOAN_ID}, patron=patron, item=ItemFactory(branch=branch))
"""


def _run(args, env):
    done = subprocess.run(
        args, cwd=ROOT, env=env, capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode == 0, done.stdout + done.stderr


def _listening(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.5)
        return sock.connect_ex(("127.0.0.1", port)) == 0


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


class Browser:
    """Cookies and CSRF tokens like a browser; redirects are not followed."""

    def __init__(self, base: str):
        self.base = base
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()), _NoRedirect()
        )
        self.token = ""

    def open(self, path: str, data: dict | None = None) -> tuple[int, str]:
        body = None
        if data is not None:
            body = urllib.parse.urlencode({"csrfmiddlewaretoken": self.token, **data}).encode()
        request = urllib.request.Request(self.base + path, data=body)  # noqa: S310
        try:
            with self.opener.open(request, timeout=30) as response:
                status, page = response.status, response.read().decode()
        except urllib.error.HTTPError as error:
            status, page = error.code, error.read().decode()
        found = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
        if found:
            self.token = found.group(1)
        return status, page


@pytest.fixture
def site(tmp_path):
    """A migrated SQLite database with one patron, one title and one loan, served by
    gunicorn with the shipped configuration; yields the base URL, the access log, the
    error log and a function that stops gunicorn."""
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "calumet.settings",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'site.sqlite3'}",
        "DJANGO_DEBUG": "false",
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1",
        "DJANGO_SECURE_SSL_REDIRECT": "false",  # no TLS proxy in front here
        "DJANGO_SECURE_COOKIES": "false",
        "DJANGO_STATIC_ROOT": str(tmp_path / "static"),
        "CALUMET_PRIVATE_MEDIA_ROOT": str(tmp_path / "private"),
        "CALUMET_REDIS_URL": "",
        "CALUMET_WEB_WORKERS": "1",
        "CALUMET_WEB_THREADS": "2",
        "PYTHONPATH": str(ROOT),
    }
    env.pop("CALUMET_LOG_LEVEL", None)  # the production default
    _run([sys.executable, "manage.py", "migrate", "--no-input", "-v0"], env)
    _run([sys.executable, "manage.py", "collectstatic", "--no-input", "-v0"], env)
    _run([sys.executable, "-c", SEED], env)

    port = _free_port()
    env["CALUMET_BIND"] = f"127.0.0.1:{port}"
    access, errors = tmp_path / "access.log", tmp_path / "error.log"
    with access.open("wb") as out, errors.open("wb") as err:
        server = subprocess.Popen(
            [str(GUNICORN), "-c", "deploy/gunicorn.conf.py", "calumet.wsgi:application"],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=err,
            start_new_session=True,
        )

    def stop():
        if server.poll() is None:
            server.send_signal(signal.SIGTERM)
            try:
                server.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(server.pid, signal.SIGKILL)
                server.wait()

    try:
        deadline = time.monotonic() + 60
        while not _listening(port):
            assert server.poll() is None, errors.read_text()
            assert time.monotonic() < deadline, "gunicorn is not listening"
            time.sleep(0.1)
        yield f"http://127.0.0.1:{port}", access, errors, stop
    finally:
        stop()


def test_a_signed_in_portal_session_leaves_no_reading_interest_in_gunicorns_logs(site):
    base, access, errors, stop = site
    patron = Browser(base)
    assert patron.open("/portal/login/")[0] == 200
    assert patron.open("/portal/login/", {"card_number": CARD, "pin": "000000"})[0] == 200
    assert patron.open("/portal/login/", {"card_number": CARD, "pin": PIN})[0] == 302

    status, page = patron.open("/portal/catalog/?" + urllib.parse.urlencode({"q": SEARCH}))
    assert status == 200 and f"/portal/catalog/{TITLE_ID}/" in page
    status, page = patron.open(f"/portal/catalog/{TITLE_ID}/")
    assert status == 200 and BARCODE not in page
    # The hold form posts the title in its body, to a URL without it.
    forms = re.findall(r'<form method="post" action="([^"]+)"[^>]*>(.*?)</form>', page, re.S)
    form = next(f for f in forms if 'name="pickup_branch"' in f[1])
    assert str(TITLE_ID) not in form[0]
    assert f'name="title" value="{TITLE_ID}"' in form[1]
    placed = patron.open(form[0], {"title": TITLE_ID, "pickup_branch": BRANCH_ID})
    assert placed[0] == 302
    status, page = patron.open("/portal/")
    assert status == 200 and "Quixotically" in page  # the hold is on the account
    assert patron.open("/portal/renew/", {"loan": LOAN_ID})[0] == 302
    # What a log line may quote: a page that is not there, and a forged form (CSRF).
    assert patron.open(f"/portal/catalog/{TITLE_ID}999/")[0] == 404
    assert patron.open(f"/portal/{CARD}/{BARCODE}/?q={WORD}")[0] == 404
    forged = Browser(base)
    forged.open("/portal/login/")
    forged.token = "forged"
    assert forged.open("/portal/holds/place/", {"title": TITLE_ID})[0] == 403
    assert patron.open("/portal/logout/", {})[0] == 302

    stop()  # gunicorn writes an access line once the answer is sent: all of them, now
    logs = {"access log": access.read_text(), "error log": errors.read_text()}
    # The log is there, and says what a log is for: method, route, status.
    assert '"GET /portal/catalog/<title_id>/" 200' in logs["access log"]
    assert '"POST /portal/holds/place/" 302' in logs["access log"]
    assert '"GET /portal/catalog/" 200' in logs["access log"]
    assert "Forbidden (CSRF" in logs["error log"]  # Django's line, with the route only
    secrets_ = {
        "card number": CARD,
        "PIN": PIN,
        "title id": str(TITLE_ID),
        "title's words": WORD.lower(),
        "search": "bewildered",
        "barcode": BARCODE,
        "loan id": str(LOAN_ID),
        "client address": "127.0.0.1 ",
    }
    for log, text in logs.items():
        for what, secret in secrets_.items():
            assert secret not in text.lower(), f"the {log} holds the {what}:\n{text}"


def _nginx_map(text: str) -> tuple[list[tuple[str, str]], str]:
    block = re.search(r"map \$uri \$calumet_route \{(.*?)\n\}", text, re.S).group(1)
    rules, default = [], None
    for line in block.splitlines():
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        key, value = re.match(r'("[^"]*"|\S+)\s+("[^"]*"|\S+);$', line).groups()
        key, value = key.strip('"'), value.strip('"')
        if key == "default":
            default = value
        else:
            rules.append((key.removeprefix("~"), value))
    return rules, default


def _through_map(rules, default, uri: str) -> str:
    """What nginx logs for `uri`: the first regular expression that matches (in order,
    as nginx tries them), its value with $uri and named captures filled in."""
    for pattern, value in rules:
        found = re.search(pattern.replace("(?<", "(?P<"), uri)
        if found:
            names = {"uri": uri, **{k: v or "" for k, v in found.groupdict().items()}}
            return re.sub(r"\$\{?(\w+)\}?", lambda m, names=names: names[m.group(1)], value)
    return default


def test_the_documented_proxy_logs_routes_only():
    text = (ROOT / "deploy" / "nginx.conf").read_text()
    formats = re.findall(r"log_format\s+\w+\s+([^;]+);", text)
    assert formats, "the proxy's access log has a format of its own"
    harmless = {"time_iso8601", "time_local", "msec", "request_method", "calumet_route"}
    harmless |= {"status", "body_bytes_sent", "bytes_sent", "request_time"}
    for fmt in formats:
        # Not $request, $request_uri, $uri, $args, $arg_q, a header, an address…
        assert set(re.findall(r"\$\{?(\w+)", fmt)) <= harmless, fmt
        assert "$calumet_route" in fmt
    for line in re.findall(r"^\s*access_log\s+([^;]+);", text, re.M):
        assert line.strip() == "off" or line.split()[-1] in re.findall(
            r"log_format\s+(\w+)", text
        ), line
    rules, default = _nginx_map(text)
    visited = {
        f"/portal/catalog/{TITLE_ID}/": "/portal/catalog/<title_id>/",
        "/portal/catalog/": "/portal/catalog/",
        "/portal/holds/place/": "/portal/holds/place/",
        "/portal/": "/portal/",
        "/portal/login/": "/portal/login/",
        f"/portal/pin/reset/3-{PIN}ab/": "/portal/pin/reset/<token>/",
        "/admin/circulation/checkout/": "/admin/circulation/checkout/...",
        f"/portal/{CARD}/{BARCODE}/": None,
        f"/admin/patrons/patron/{LOAN_ID}/change/": None,
        f"/admin/circulation/{BARCODE}/": None,
        f"/portal/{WORD}/": None,
        "/static/css/site.css": "/static/<file>",
    }
    for uri, expected in visited.items():
        logged = _through_map(rules, default, uri)
        for secret in (str(TITLE_ID), PIN, CARD, BARCODE, str(LOAN_ID), WORD):
            assert secret not in logged, (uri, logged)
        if expected:
            assert logged == expected, (uri, logged)
    assert "$" not in default  # a path the map does not know is never quoted
