"""Self-check kiosks: concurrent SIP2 sessions against the real `manage.py sip2server`
(a subprocess with the bench's production settings, plain TCP on a free loopback port).

Each session is one kiosk: it signs in (93) with a terminal account made through
`sip2.services.terminal_save`; once all have, the measured time begins, and each serves
patrons one after another until it is up, the first patron of each kiosk coming at a
different moment within the time of one visit. A patron's visit: patron information
with the card and PIN (63 with AD: the PIN is checked, an Argon2 hash as at a portal
sign-in), then `ROUNDS` times the kiosk's screen refreshed (63, sending the PIN it holds
again, as kiosks do), an item checked out (11, with the PIN) and checked in (09), then
end session (35). Between two messages the kiosk waits `pause` seconds (the patron
placing the next book). Every answer must be the positive one (PIN accepted, checked
out, checked in): anything else is an error.

The client speaks SIP2 with Calumet's own codec (`sip2.codec`) over plain sockets, one
thread per kiosk; the PyPI client the tests use writes every message, PINs included, to
a log file in its working directory, and drives one connection at a time.
"""

from __future__ import annotations

import os
import socket
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

from django.conf import settings
from django.db import connection

from bench.web import free_port
from circulation.models import Branch
from core.hashers import hash_pin
from patrons.models import Patron
from sip2 import services
from sip2.codec import Message, build, parse
from sip2.models import Terminal

ROOT = Path(__file__).resolve().parent.parent
PIN = "1357"
ROUNDS = 5
LOGIN = "bench-kiosk"
#: Message kinds reported, in this order. "63 PIN check" is the visit's first 63, whose
#: PIN is checked against its hash; "63" the refreshes after it.
KINDS = ("93", "63 PIN check", "63", "11", "09", "35")


def prepare(cards: list[str], branch: int) -> str:
    """A kiosk terminal account (its secret returned) and a known PIN for the patrons of
    `cards` (one hash for all: it is the check, not the hashing, that the kiosk costs)."""
    terminal = Terminal.objects.filter(login=LOGIN).first() or Terminal(
        name="Self-check kiosk (benchmark)", login=LOGIN, may_patron=True, may_circulate=True
    )
    terminal.branch = Branch.objects.get(pk=branch)  # the copies' own: none goes in transit
    secret = services.terminal_save(terminal=terminal, actor=None, new_secret_wanted=True)
    Patron.objects.filter(cards__number__in=cards).update(pin_hash=hash_pin(PIN))
    return secret


class _Kiosk:
    """One kiosk's connection: numbered, checksummed messages and their answers."""

    def __init__(self, port: int) -> None:
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=30)
        self.buffer = b""
        self.sequence = 0

    def close(self) -> None:
        self.sock.close()

    def ask(self, message):
        message.sequence = self.sequence
        self.sequence = (self.sequence + 1) % 10
        start = time.perf_counter()
        self.sock.sendall(build(message))
        while b"\r" not in self.buffer:
            chunk = self.sock.recv(4096)
            if not chunk:
                raise ConnectionError("the server closed the connection")
            self.buffer += chunk
        line, _, self.buffer = self.buffer.partition(b"\r")
        took = (time.perf_counter() - start) * 1000
        return parse(line), took


class _Tally:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.times: dict[str, list[float]] = {kind: [] for kind in KINDS}
        self.errors: dict[str, int] = {}

    def add(self, kind: str, took: float) -> None:
        with self.lock:
            self.times[kind].append(took)

    def error(self, what: str) -> None:
        with self.lock:
            self.errors[what] = self.errors.get(what, 0) + 1


class _Window:
    """The measured time, the same for every kiosk: it begins once every kiosk has
    signed in (kiosks stay connected all day; their sign-ins, a hash each, are timed but
    not part of the window)."""

    def __init__(self, sessions: int, seconds: float) -> None:
        self.barrier = threading.Barrier(sessions + 1, timeout=600)
        self.seconds = seconds
        self.until = 0.0

    def open(self) -> None:
        self.barrier.wait()  # every kiosk signed in (or failed to)
        self.until = time.monotonic() + self.seconds
        self.barrier.wait()  # and they go


def _session(port, secret, institution, card, barcode, window, delay, pause, tally) -> None:
    stamp = time.strftime("%Y%m%d    %H%M%S")
    kiosk = None
    try:
        kiosk = _Kiosk(port)
        answer, took = kiosk.ask(Message("93", {}, [("CN", LOGIN), ("CO", secret)]))
        tally.add("93", took)
        if answer.fixed.get("ok") != "1":
            tally.error("93 login refused")
            kiosk.close()
            kiosk = None
    except OSError as error:
        tally.error(f"connection: {type(error).__name__}")
        kiosk = None
    window.barrier.wait()
    window.barrier.wait()
    if kiosk is None:
        return
    # The first patron comes after a while: the kiosks' visits (and their PIN checks) are
    # spread over the time of one visit, as they would be in a library.
    time.sleep(delay)
    until = window.until
    try:
        patron = [("AO", institution), ("AA", card), ("AD", PIN)]
        info = {"language": "001", "transaction_date": stamp, "summary": " Y" + " " * 8}
        while time.monotonic() < until:
            answer, took = kiosk.ask(Message("63", dict(info), list(patron)))
            tally.add("63 PIN check", took)
            if answer.get("CQ") != "Y" or answer.get("BL") != "Y":
                tally.error("63 PIN not accepted")
            for _ in range(ROUNDS):
                if time.monotonic() >= until:
                    break
                time.sleep(pause)
                answer, took = kiosk.ask(Message("63", dict(info), list(patron)))
                tally.add("63", took)
                if answer.get("CQ") != "Y":
                    tally.error("63 PIN not accepted")
                time.sleep(pause)
                out = [*patron, ("AB", barcode)]
                answer, took = kiosk.ask(Message("11", {"transaction_date": stamp}, out))
                tally.add("11", took)
                if answer.fixed.get("ok") != "1":
                    tally.error("11 check-out refused")
                time.sleep(pause)
                back = [("AO", institution), ("AB", barcode)]
                answer, took = kiosk.ask(Message("09", {"transaction_date": stamp}, back))
                tally.add("09", took)
                if answer.fixed.get("ok") != "1":
                    tally.error("09 check-in refused")
            time.sleep(pause)
            end = [("AO", institution), ("AA", card)]
            answer, took = kiosk.ask(Message("35", {"transaction_date": stamp}, end))
            tally.add("35", took)
            if answer.fixed.get("end_session") != "Y":
                tally.error("35 end session refused")
            time.sleep(pause)
    except (OSError, ConnectionError, ValueError) as error:
        tally.error(f"connection: {type(error).__name__}")
    finally:
        kiosk.close()


def _server(env: dict[str, str], port: int, log: Path) -> subprocess.Popen:
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("ab") as out:
        proc = subprocess.Popen(  # noqa: S603
            [sys.executable, "manage.py", "sip2server", "--host", "127.0.0.1", "--port", str(port)],
            cwd=ROOT,
            env={**os.environ, **env},
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    deadline = time.monotonic() + 60
    while True:
        if proc.poll() is not None:
            raise RuntimeError(f"sip2server exited with {proc.returncode}; see {log}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return proc
        except OSError:
            if time.monotonic() > deadline:
                proc.kill()
                raise RuntimeError(f"sip2server did not answer; see {log}") from None
            time.sleep(0.2)


def _summary(times: list[float]) -> dict | None:
    if len(times) < 2:
        return None
    ordered = sorted(times)
    cuts = statistics.quantiles(ordered, n=100, method="inclusive")
    return {
        "messages": len(ordered),
        "p50_ms": round(statistics.median(ordered), 1),
        "p95_ms": round(cuts[94], 1),
        "max_ms": round(ordered[-1], 1),
    }


def measure(
    env: dict[str, str],
    log: Path,
    cards: list[str],
    barcodes: list[str],
    *,
    branch: int,
    sessions: int,
    seconds: float,
    pause: float,
    ready: threading.Event | None = None,
) -> dict:
    """`sessions` kiosks signed in, then serving patrons at once for `seconds`; `ready`
    is set when they begin (the load test starts its patrons then)."""
    if len(cards) < sessions or len(barcodes) < sessions:
        raise RuntimeError("not enough patrons or copies for the kiosks")
    secret = prepare(cards[:sessions], branch)
    connection.close()
    port = free_port()
    server = _server(env, port, log)
    tally = _Tally()
    window = _Window(sessions, seconds)
    visit = (2 + 3 * ROUNDS) * pause
    spread = min(visit, seconds / 2)
    try:
        threads = [
            threading.Thread(
                target=_session,
                args=(
                    port,
                    secret,
                    settings.CALUMET_SIP2_INSTITUTION,
                    cards[n],
                    barcodes[n],
                    window,
                    spread * n / sessions,
                    pause,
                    tally,
                ),
            )
            for n in range(sessions)
        ]
        for thread in threads:
            thread.start()
        window.open()
        if ready is not None:
            ready.set()
        start = time.perf_counter()
        for thread in threads:
            thread.join()
        elapsed = time.perf_counter() - start
    finally:
        server.terminate()
        try:
            server.wait(timeout=60)
        except subprocess.TimeoutExpired:
            server.kill()
    total = sum(len(times) for kind, times in tally.times.items() if kind != "93")
    every = [took for kind, times in tally.times.items() if kind != "93" for took in times]
    return {
        "sessions": sessions,
        "seconds": round(elapsed, 1),
        "pause_s": pause,
        "rounds_per_visit": ROUNDS,
        "messages": total,
        "first_visits_spread_s": round(spread, 1),
        "messages_per_s": round(total / elapsed, 1),
        "errors": sum(tally.errors.values()),
        "error_kinds": tally.errors,
        "all_messages": _summary(every),
        "by_message": {kind: _summary(times) for kind, times in tally.times.items()},
        "server_exit_code": server.returncode,
    }
