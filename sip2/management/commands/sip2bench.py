"""`manage.py sip2bench`: N concurrent kiosk sessions against a real `sip2server`.

Each session signs in and identifies its patron with the PIN (63 with AD: one Argon2
check, as a portal sign-in), then for each round asks for the patron's information (63),
checks an item out (11) and back in (09), as a kiosk refreshing its screen does.
Reports messages per second and the 95th-percentile latency of each message type, and
the errors. It creates its own
terminal, patrons (cards 29990000000001…, PIN 2468) and items in the configured
database, so it refuses to run with debug off: use a development or benchmark database.
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
from django.core.management.base import BaseCommand, CommandError

PIN = "2468"


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))] if values else 0


class Command(BaseCommand):
    help = "Benchmark the SIP2 server with concurrent kiosk sessions (debug databases only)."

    def add_arguments(self, parser):
        parser.add_argument("--sessions", type=int, default=50)
        parser.add_argument("--rounds", type=int, default=10)
        parser.add_argument("--port", type=int, default=0, help="0: a free port")

    def handle(self, *args, sessions, rounds, port, **options):
        if not settings.DEBUG:
            raise CommandError("sip2bench writes test data: run it with DJANGO_DEBUG=true.")
        secret, cards, barcodes = self._data(sessions)
        port = port or _free_port()
        server = subprocess.Popen(  # noqa: S603
            [sys.executable, "manage.py", "sip2server", "--host", "127.0.0.1", "--port", str(port)],
            cwd=Path(settings.BASE_DIR),
            env={**os.environ, "CALUMET_SIP2_THREADS": str(min(sessions, 16))},
            stdout=subprocess.DEVNULL,
        )
        try:
            _wait_for(port)
            latencies: dict[str, list[float]] = {"63+PIN": [], "63": [], "11": [], "09": []}
            errors: list[str] = []
            lock = threading.Lock()
            start = time.perf_counter()
            threads = [
                threading.Thread(
                    target=_session,
                    args=(port, secret, cards[i], barcodes[i], rounds, latencies, errors, lock),
                )
                for i in range(sessions)
            ]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
            elapsed = time.perf_counter() - start
        finally:
            server.terminate()
            server.wait(60)
        total = sum(len(v) for v in latencies.values())
        self.stdout.write(
            f"{sessions} sessions x {rounds} rounds: {total} messages in {elapsed:.1f} s, "
            f"{total / elapsed:.0f} messages/s, {len(errors)} errors"
        )
        for code, values in latencies.items():
            if values:
                self.stdout.write(
                    f"  {code}: p50 {statistics.median(values) * 1000:.0f} ms, "
                    f"p95 {_percentile(values, 0.95) * 1000:.0f} ms"
                )
        for error in errors[:5]:
            self.stdout.write(f"  error: {error}")

    def _data(self, sessions: int):
        from django.contrib.auth.hashers import make_password

        from circulation.models import Branch, Item, Title
        from patrons.models import Card, Patron
        from sip2 import services
        from sip2.models import Terminal

        branch = Branch.objects.order_by("pk").first() or Branch.objects.create(
            code="bench", name="Benchmark branch"
        )
        terminal = Terminal.objects.filter(login="sip2bench").first() or Terminal(
            name="Benchmark kiosk", login="sip2bench", branch=branch
        )
        terminal.may_patron = terminal.may_circulate = True
        secret = services.terminal_save(terminal=terminal, actor=None, new_secret_wanted=True)
        title = Title.objects.filter(title="SIP2 benchmark").first() or Title.objects.create(
            title="SIP2 benchmark"
        )
        pin_hash = make_password(PIN)
        cards, barcodes = [], []
        for n in range(1, sessions + 1):
            number = f"2999{n:010d}"
            card = Card.objects.filter(number=number).first()
            if card is None:
                patron = Patron.objects.create(
                    first_name="Bench",
                    last_name=f"Kiosk {n}",
                    card_expires_on="2099-12-31",
                    pin_hash=pin_hash,
                )
                Card.objects.create(patron=patron, number=number)
            barcode = f"SIP2BENCH{n:06d}"
            Item.objects.get_or_create(barcode=barcode, defaults={"title": title, "branch": branch})
            cards.append(number)
            barcodes.append(barcode)
        return secret, cards, barcodes


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_for(port: int) -> None:
    for _ in range(100):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.1)
    raise CommandError("The SIP2 server did not start.")


class _Lines:
    """CR-terminated answers from a socket."""

    def __init__(self, sock) -> None:
        self.sock = sock
        self.buffer = b""

    def readline(self) -> bytes:
        while b"\r" not in self.buffer:
            chunk = self.sock.recv(4096)
            if not chunk:
                raise ConnectionError("closed by the server")
            self.buffer += chunk
        line, _, self.buffer = self.buffer.partition(b"\r")
        return line


def _session(port, secret, card, barcode, rounds, latencies, errors, lock) -> None:
    from sip2.codec import Message, build, parse

    stamp = "20260101    120000"
    sequence = 0

    def ask(sock, reader, message: Message) -> Message:
        nonlocal sequence
        message.sequence = sequence
        sequence = (sequence + 1) % 10
        began = time.perf_counter()
        sock.sendall(build(message))
        answer = parse(reader.readline())
        took = time.perf_counter() - began
        key = message.command + ("+PIN" if message.has("AD") else "")
        if key in latencies:
            with lock:
                latencies[key].append(took)
        return answer

    try:
        with socket.create_connection(("127.0.0.1", port), timeout=30) as sock:
            reader = _Lines(sock)
            if (
                ask(sock, reader, Message("93", {}, [("CN", "sip2bench"), ("CO", secret)])).fixed[
                    "ok"
                ]
                != "1"
            ):
                raise RuntimeError("login refused")
            base = [("AO", settings.CALUMET_SIP2_INSTITUTION), ("AA", card)]
            fixed = {"language": "001", "transaction_date": stamp, "summary": " " * 10}
            if ask(sock, reader, Message("63", fixed, [*base, ("AD", PIN)])).get("CQ") != "Y":
                raise RuntimeError("PIN refused")
            for _ in range(rounds):
                info = ask(sock, reader, Message("63", dict(fixed), list(base)))
                if info.get("CQ") != "Y":
                    raise RuntimeError("PIN refused")
                out = ask(
                    sock,
                    reader,
                    Message("11", {"transaction_date": stamp}, [*base, ("AB", barcode)]),
                )
                back = ask(
                    sock,
                    reader,
                    Message(
                        "09", {"transaction_date": stamp}, [("AO", base[0][1]), ("AB", barcode)]
                    ),
                )
                if out.fixed["ok"] != "1" or back.fixed["ok"] != "1":
                    raise RuntimeError(f"circulation refused: {out.get('AF')} / {back.get('AF')}")
    except Exception as error:  # counted and reported, the other sessions go on
        with lock:
            errors.append(f"{type(error).__name__}: {error}")
