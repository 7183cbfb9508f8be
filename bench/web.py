"""Pages measured through the real stack: gunicorn (the production config in
`deploy/gunicorn.conf.py`) serving the WSGI application, and a plain HTTP client that
signs in like a browser (CSRF cookie and token, session cookie) and times each request."""

from __future__ import annotations

import contextlib
import http.cookiejar
import os
import re
import socket
import statistics
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextlib.contextmanager
def gunicorn(app: str, env: dict[str, str], log: Path) -> Iterator[str]:
    """Serve `app` with the production gunicorn config; yields the base URL."""
    port = free_port()
    binary = Path(sys.executable).with_name("gunicorn")
    environ = {**os.environ, **env, "CALUMET_BIND": f"127.0.0.1:{port}"}
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("ab") as out:
        proc = subprocess.Popen(  # noqa: S603
            [str(binary), "-c", str(ROOT / "deploy" / "gunicorn.conf.py"), app],
            cwd=ROOT,
            env=environ,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"gunicorn exited with {proc.returncode}; see {log}")
            try:
                urllib.request.urlopen(base + "/privacy/", timeout=5).read()  # noqa: S310
                break
            except OSError:  # refused, reset or timed out: not up yet
                if time.monotonic() > deadline:
                    raise RuntimeError(f"gunicorn did not answer; see {log}") from None
                time.sleep(0.2)
        yield base
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


class Browser:
    """Cookies and CSRF like a browser, without following redirects (a sign-in answers
    with 302, which is what we check)."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(self.jar), _NoRedirect()
        )

    def get(self, path: str) -> tuple[int, bytes]:
        try:
            with self.opener.open(self.base + path, timeout=60) as response:
                return response.status, response.read()
        except urllib.error.HTTPError as error:
            return error.code, error.read()

    def post(self, path: str, data: dict[str, str]) -> int:
        status, page = self.get(path)
        match = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', page)
        if status != 200 or not match:
            raise RuntimeError(f"no sign-in form at {path} (HTTP {status})")
        body = urllib.parse.urlencode(
            {**data, "csrfmiddlewaretoken": match.group(1).decode()}
        ).encode()
        request = urllib.request.Request(self.base + path, data=body, method="POST")  # noqa: S310
        try:
            with self.opener.open(request, timeout=60) as response:
                return response.status
        except urllib.error.HTTPError as error:
            return error.code

    def timed(self, path: str, count: int) -> list[float]:
        """Milliseconds per GET of `path`; every answer must be 200."""
        times = []
        for _ in range(count):
            start = time.perf_counter()
            status, _body = self.get(path)
            times.append((time.perf_counter() - start) * 1000)
            if status != 200:
                raise RuntimeError(f"GET {path} answered {status}")
        return times


def portal_browser(base: str, card: str, pin: str) -> Browser:
    browser = Browser(base)
    status = browser.post("/portal/login/", {"card_number": card, "pin": pin})
    if status != 302:
        raise RuntimeError(f"portal sign-in failed (HTTP {status})")
    return browser


def admin_browser(base: str, username: str, password: str) -> Browser:
    browser = Browser(base)
    status = browser.post(
        "/admin/login/?next=/admin/", {"username": username, "password": password}
    )
    if status != 302:
        raise RuntimeError(f"admin sign-in failed (HTTP {status})")
    return browser


def percentiles(times: list[float]) -> dict[str, float]:
    ordered = sorted(times)
    cuts = statistics.quantiles(ordered, n=100, method="inclusive")
    return {
        "requests": len(ordered),
        "p50_ms": round(statistics.median(ordered), 2),
        "p95_ms": round(cuts[94], 2),
        "max_ms": round(ordered[-1], 2),
    }
