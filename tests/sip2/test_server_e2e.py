"""The real SIP2 server on a random port, driven by an independent SIP2 client library
from PyPI (`sip2`, module `Sip2`), over TLS with a certificate made for the test:
as a self-check kiosk, and as a PC-reservation system validating a patron."""

from __future__ import annotations

import asyncio
import datetime
import socket
import ssl
import subprocess
import threading
import time

import pytest
from django.db import connection
from django.utils import timezone
from Sip2.sip2 import Sip2

from circulation.models import Fine, Hold, Item, Loan
from patrons.models import PatronBlock
from sip2.models import SortBin, TerminalEvent
from sip2.server import SIP2Server, tls_context
from tests.factories import BranchFactory, ItemFactory, LoanFactory
from tests.sip2.conftest import CARD, INSTITUTION, PIN, make_terminal

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(scope="module")
def certificate(tmp_path_factory):
    folder = tmp_path_factory.mktemp("tls")
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        [
            "openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
            "-nodes", "-keyout", str(key), "-out", str(cert), "-days", "1",
            "-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1",
        ],
        check=True,
        capture_output=True,
    )  # fmt: skip
    return str(cert), str(key)


class Running:
    def __init__(self, server: SIP2Server) -> None:
        self.server = server
        self.loop = asyncio.new_event_loop()
        started = threading.Event()

        def run():
            asyncio.set_event_loop(self.loop)
            self.loop.run_until_complete(server.start())
            started.set()
            self.loop.run_forever()

        self.thread = threading.Thread(target=run, daemon=True)
        self.thread.start()
        assert started.wait(10)

    def stop(self) -> None:
        asyncio.run_coroutine_threadsafe(self.server.stop(), self.loop).result(40)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)


@pytest.fixture
def tls_server(certificate):
    running = Running(
        SIP2Server(host="127.0.0.1", port=0, ssl_context=tls_context(*certificate), idle_seconds=5)
    )
    yield running.server
    running.stop()


@pytest.fixture
def plain_server():
    # SQLite's shared in-memory test database locks tables instead of waiting: one thread.
    threads = 1 if connection.vendor == "sqlite" else 4
    running = Running(
        SIP2Server(host="127.0.0.1", port=0, idle_seconds=1, max_message=512, threads=threads)
    )
    yield running.server
    running.stop()


def client(server, tmp_path, *, tls=True) -> Sip2:
    sip = Sip2()
    sip.hostName = "localhost"
    sip.hostPort = server.port
    sip.tlsEnable = tls
    sip.tlsAcceptSelfsigned = True
    sip.socketTimeout = 10
    sip.institutionId = INSTITUTION
    sip.scLocation = "main"
    sip.logfile_path = str(tmp_path)  # the library logs raw traffic; keep it in the test folder
    sip.loglevel = "ERROR"
    sip.connect()
    return sip


def ask(sip: Sip2, request: str, parse):
    return parse(sip.get_response(request))


def test_kiosk_session_over_tls(tls_server, tmp_path, kiosk, patron, item):
    terminal, secret = kiosk
    sip = client(tls_server, tmp_path)
    assert isinstance(sip._socket, ssl.SSLSocket)

    assert (
        ask(sip, sip.sip_login_request("kiosk2", secret), sip.sip_login_response)["fixed"]["Ok"]
        == "1"
    )
    status = ask(sip, sip.sip_sc_status_request(), sip.sip_sc_status_response)
    assert status["fixed"]["OnlineStatus"] == "Y"
    assert status["variable"]["BX"][0][1] == "Y"  # checkout supported

    sip.patron, sip.patronpwd = CARD, PIN
    info = ask(
        sip, sip.sip_patron_information_request("charged"), sip.sip_patron_information_response
    )
    assert info["variable"]["BL"] == ["Y"]
    assert info["variable"]["CQ"] == ["Y"]
    assert info["variable"]["AE"] == ["Ada L."]

    out = ask(sip, sip.sip_checkout_request(item.barcode), sip.sip_checkout_response)
    assert out["fixed"]["Ok"] == "1"
    assert Loan.objects.get(returned_at__isnull=True).patron == patron
    # (renewed as if days later: a renewal that would not move the due date is refused)
    Loan.objects.update(
        checked_out_at=timezone.now() - datetime.timedelta(days=10),
        due_at=timezone.now() + datetime.timedelta(days=2),
    )
    renewed = ask(sip, sip.sip_renew_request(item.barcode), sip.sip_renew_response)
    assert renewed["fixed"]["Ok"] == "1"
    assert Loan.objects.get().renewals == 1

    back = ask(sip, sip.sip_checkin_request(item.barcode), sip.sip_checkin_response)
    assert back["fixed"]["Ok"] == "1"
    assert "AA" not in back["variable"]
    assert Loan.objects.get().returned_at is not None

    end = ask(sip, sip.sip_end_patron_session_request(), sip.sip_end_patron_session_response)
    assert end["fixed"]["EndSession"] == "Y"
    sip.disconnect()
    assert TerminalEvent.objects.filter(terminal=terminal, kind="login").exists()


def test_pc_reservation_validates_a_patron(tls_server, tmp_path, pc_reservation, patron):
    _, secret = pc_reservation
    sip = client(tls_server, tmp_path)
    ask(sip, sip.sip_login_request("pcres", secret), sip.sip_login_response)
    sip.patron, sip.patronpwd = CARD, PIN
    status = ask(sip, sip.sip_patron_status_request(), sip.sip_patron_status_response)
    assert status["variable"]["BL"] == ["Y"]
    assert status["variable"]["CQ"] == ["Y"]
    assert status["fixed"]["PatronStatus"][0] == " "  # may use the computers
    sip.patronpwd = "0000"
    status = ask(sip, sip.sip_patron_status_request(), sip.sip_patron_status_response)
    assert status["variable"]["CQ"] == ["N"]
    assert status["variable"]["AE"] == [""]
    sip.disconnect()


def test_plain_tcp_session_and_a_hostile_line(plain_server, tmp_path, branch, patron):
    _, secret = make_terminal(branch, "Kiosk 9", "kiosk9", may_patron=True)
    sip = client(plain_server, tmp_path, tls=False)
    ask(sip, sip.sip_login_request("kiosk9", secret), sip.sip_login_response)
    # Garbage and an oversized line get a resend request; the connection stays usable.
    assert sip.get_response("hello\r").startswith("96")
    assert sip.get_response("23" + "x" * 2000 + "\r").startswith("96")
    sip.patron, sip.patronpwd = CARD, PIN
    info = ask(sip, sip.sip_patron_information_request("none"), sip.sip_patron_information_response)
    assert info["variable"]["CQ"] == ["Y"]
    sip.disconnect()
    assert TerminalEvent.objects.filter(kind="oversized").exists()


def test_idle_connection_is_closed(plain_server, db):
    with socket.create_connection(("127.0.0.1", plain_server.port), timeout=5) as sock:
        assert sock.recv(100) == b""  # closed by the server after 1 idle second
    assert TerminalEvent.objects.filter(kind="timeout").exists()


def test_many_terminals_at_once(plain_server, branch, patron):
    _, secret = make_terminal(branch, "Kiosk 7", "kiosk7", may_patron=True)
    login = f"9300CNkiosk7|CO{secret}|\r".encode()
    # (Each login checks a hashed secret, about half a second of CPU on a busy machine:
    # the timeout is generous, the test is about being served at once, not about speed.)
    socks = [
        socket.create_connection(("127.0.0.1", plain_server.port), timeout=30) for _ in range(8)
    ]
    try:
        for sock in socks:
            sock.sendall(login)
        for sock in socks:
            assert sock.recv(100).startswith(b"941")
    finally:
        for sock in socks:
            sock.close()


def _event(kind: str) -> TerminalEvent | None:
    """The event the server records after the connection ends (it may take a moment)."""
    for _ in range(50):
        if event := TerminalEvent.objects.filter(kind=kind).first():
            return event
        time.sleep(0.1)
    return None


def test_tls_server_refuses_plain_text_and_records_it(tls_server, tmp_path, db, kiosk):
    with socket.create_connection(("127.0.0.1", tls_server.port), timeout=5) as sock:
        sock.sendall(b"9300CNkiosk2|COx|\r")
        try:
            data = sock.recv(100)
        except ConnectionResetError:
            data = b""
        assert not data.startswith(b"94")
    # IT sees the kiosk left on plain TCP, and where it is; nothing it sent is kept.
    event = _event("tls_failed")
    assert event is not None
    assert (event.address, event.terminal_id, event.message_code) == ("127.0.0.1", None, "")
    assert not TerminalEvent.objects.filter(kind__in=["connected", "login_refused"]).exists()
    # The server goes on serving TLS terminals.
    sip = client(tls_server, tmp_path)
    login = ask(sip, sip.sip_login_request("kiosk2", kiosk[1]), sip.sip_login_response)
    assert login["fixed"]["Ok"] == "1"
    sip.disconnect()


def test_bytes_trickled_in_do_not_keep_a_connection_open(plain_server, db):
    start = time.monotonic()
    with socket.create_connection(("127.0.0.1", plain_server.port), timeout=5) as sock:
        try:
            for byte in b"9300CNkiosk2|COxxxxxxxxxxxxxxx|":
                sock.sendall(bytes([byte]))  # never a whole message
                time.sleep(0.2)
        except (BrokenPipeError, ConnectionResetError):
            pass
        assert sock.recv(100) == b""
    assert time.monotonic() - start < 4  # 1 idle second, not one per byte (6 s to send)
    assert _event("timeout") is not None


@pytest.mark.postgres("cuts PostgreSQL connections under the server")
def test_database_connections_cut_under_the_server_are_reopened(
    plain_server, tmp_path, branch, patron
):
    _, secret = make_terminal(branch, "Kiosk 5", "kiosk5", may_patron=True)
    sip = client(plain_server, tmp_path, tls=False)
    ask(sip, sip.sip_login_request("kiosk5", secret), sip.sip_login_response)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
    sip.patron, sip.patronpwd = CARD, PIN
    info = ask(sip, sip.sip_patron_information_request("none"), sip.sip_patron_information_response)
    assert info["variable"]["CQ"] == ["Y"]
    sip.disconnect()


def test_kiosk_and_sorter_as_they_expect_over_tls(tls_server, tmp_path, branch, patron, item):
    """Kiosks and sorters, with the independent client: a second scan unlocks the copy, a
    copy from another branch returned before its due date is sent home unfined with an
    alert, the destination and the sorter's bin, and a kiosk allowed them blocks a card,
    unblocks it with the PIN, places a hold and sends an item status update."""
    east = BranchFactory(code="east", name="East Side")
    SortBin.objects.create(branch=branch, route="transit", destination=east, bin="9")
    _, secret = make_terminal(
        branch, "Kiosk 8", "kiosk8", may_patron=True, may_circulate=True, may_block=True,
        may_hold=True, may_update_items=True,
    )  # fmt: skip
    visitor = ItemFactory(branch=east, barcode="31234000000099", call_number="FIC WOO")
    due = timezone.now() - datetime.timedelta(days=1)
    Item.objects.filter(pk=visitor.pk).update(status=Item.Status.ON_LOAN)
    LoanFactory(
        patron=patron, item=visitor, checked_out_at=due - datetime.timedelta(days=21), due_at=due
    )

    sip = client(tls_server, tmp_path)
    assert (
        ask(sip, sip.sip_login_request("kiosk8", secret), sip.sip_login_response)["fixed"]["Ok"]
        == "1"
    )
    status = ask(sip, sip.sip_sc_status_request(), sip.sip_sc_status_response)
    assert status["variable"]["BX"][0] == "YYYYYYYYYNYYYYYY"
    sip.patron, sip.patronpwd = CARD, PIN
    ask(sip, sip.sip_patron_information_request("none"), sip.sip_patron_information_response)

    first = ask(sip, sip.sip_checkout_request(item.barcode), sip.sip_checkout_response)
    again = ask(sip, sip.sip_checkout_request(item.barcode), sip.sip_checkout_response)
    assert (again["fixed"]["Ok"], again["fixed"]["Desensitize"]) == ("1", "Y")
    assert again["variable"]["AH"] == first["variable"]["AH"]

    dropped = (due - datetime.timedelta(hours=5)).timestamp()  # in the drop before due
    back = ask(
        sip, sip.sip_checkin_request(visitor.barcode, returnDate=dropped), sip.sip_checkin_response
    )
    assert (back["fixed"]["Ok"], back["fixed"]["Alert"]) == ("1", "Y")
    assert (back["variable"]["CV"], back["variable"]["CT"]) == (["04"], ["east"])
    assert back["variable"]["CL"] == ["9"] and back["variable"]["CS"] == ["FIC WOO"]
    assert back["variable"]["CK"] == ["001"]
    assert "AA" not in back["variable"]
    assert not Fine.objects.exists()

    blocked = ask(
        sip, sip.sip_block_patron_request("Card left in the kiosk", "Y"),
        sip.sip_patron_status_response,
    )  # fmt: skip
    assert blocked["fixed"]["PatronStatus"][0] == "Y"
    assert PatronBlock.objects.get().in_force()
    enabled = ask(sip, sip.sip_patron_enable_request(), sip.sip_patron_enable_response)
    assert enabled["fixed"]["PatronStatus"][0] == " "
    assert enabled["variable"]["AF"] == ["Your card is unblocked."]

    held = ask(
        sip, sip.sip_hold_request("+", itemIdentifier=visitor.barcode, pickupLocation="east"),
        sip.sip_hold_response,
    )  # fmt: skip
    assert held["fixed"]["Ok"] == "1"
    assert Hold.objects.get(patron=patron).pickup_branch == east

    update = ask(
        sip, sip.sip_item_status_update_request(item.barcode, "tag=1"),
        sip.sip_item_status_update_response,
    )  # fmt: skip
    assert update["fixed"]["ItemPropertiesOk"] == "1"
    sip.disconnect()
