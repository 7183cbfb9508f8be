"""The SIP2 server: asyncio for the connections, a thread pool for the database.

Each connection reads CR-terminated messages (an LF is accepted too), one at a time;
each message is parsed, checked (checksum, sequence, size) and answered in a worker
thread with Django's connection handling around it (`close_old_connections()` before
and after, as for a web request). One worker thread per process by default
(`CALUMET_SIP2_THREADS`): Python runs one thread at a time, and with several, each
message waited for the others at every database round trip. Sign-ins and first PIN
checks, whose Argon2 hash lets Python run meanwhile, have a thread of their own, so
that the other terminals' messages do not wait behind a hash. A bad message gets a
resend request (96) or a refusal; after `MAX_ERRORS` bad messages in a row, or
`CALUMET_SIP2_IDLE_SECONDS` without a whole message (bytes trickled in one at a time do
not count), the connection is closed. With TLS, the handshake is done here too, so that
one that fails is recorded as an event with the terminal's address. Nothing here logs a
message's content: only its two-digit command, the terminal's name, and the kind of
problem.
"""

from __future__ import annotations

import asyncio
import ipaddress
import logging
import socket
import ssl
import threading
from concurrent import futures
from concurrent.futures import ThreadPoolExecutor
from contextlib import suppress

from django.conf import settings
from django.db import close_old_connections, connections

from sip2.account import card_number
from sip2.codec import (
    REQUESTS,
    UNSUPPORTED,
    ChecksumError,
    Message,
    SIP2Error,
    build,
    checksum,
    parse,
)
from sip2.dispatch import handle
from sip2.handlers import Session
from sip2.models import TerminalEvent
from sip2.refusals import refusal

log = logging.getLogger("calumet.sip2")

MAX_ERRORS = 5
SHUTDOWN_GRACE = 30  # seconds to let answers in progress reach their terminals
TLS_HANDSHAKE_SECONDS = 15
#: A request to send the last message again, with a checksum as in the protocol's example
#: ("96AZFEF6"): the terminal may not have sent a sequence number we could read.
RESEND = b"96AZ" + checksum(b"96AZ").encode() + b"\r"


def tls_context(cert: str, key: str) -> ssl.SSLContext:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    context.load_cert_chain(cert, key)
    return context


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class Conversation:
    """One connection's protocol state: sequence numbers, last answer, error count."""

    def __init__(self, address: str | None, max_message: int) -> None:
        self.session = Session(address=address)
        self.max_message = max_message
        self.last_sequence: int | None = None
        self.last_request: bytes | None = None
        self.last_answer: bytes | None = None
        self.errors = 0

    @property
    def finished(self) -> bool:
        return self.session.close or self.errors >= MAX_ERRORS

    def _bad(self, kind: str, code: str = "") -> bytes:
        self.errors += 1
        self.session.event(kind, code)
        return RESEND

    def oversized(self) -> bytes:
        return self._bad(TerminalEvent.Kind.OVERSIZED)

    def hashes(self, raw: bytes) -> bool:
        """Whether answering `raw` checks a secret against its hash (a sign-in, or a PIN
        this connection has not accepted yet): some 30 ms that the server does beside
        the other terminals' messages instead of before them."""
        if raw[:2] == b"93":
            return True
        if b"AD" not in raw:
            return False
        try:
            request = parse(raw)
        except SIP2Error:
            return False
        if not request.has("AD"):
            return False
        return not self.session.same_pin(card_number(request.get("AA")), request.get("AD"))

    def process(self, raw: bytes) -> bytes:
        """The answer to one message, as bytes. Never raises."""
        if len(raw) > self.max_message:
            return self.oversized()
        try:
            request = parse(raw)
        except ChecksumError:
            return self._bad(TerminalEvent.Kind.CHECKSUM)
        except SIP2Error:
            return self._bad(TerminalEvent.Kind.BAD_MESSAGE)
        if request.command == "97":
            return self.last_answer or RESEND
        if request.command not in REQUESTS and request.command not in UNSUPPORTED:
            return self._bad(TerminalEvent.Kind.BAD_MESSAGE, request.command)
        detect = request.sequence is not None or request.checksummed
        if request.sequence is not None and self.last_sequence is not None:
            if request.sequence == self.last_sequence and raw == self.last_request:
                # The terminal did not get our answer and sent the same message again:
                # answer again, without doing it twice.
                return self.last_answer or RESEND
            expected = {self.last_sequence, (self.last_sequence + 1) % 10}
            # (The same number again with another message: a terminal that does not count.)
            if request.sequence not in expected:
                self.last_sequence = request.sequence
                self.errors += 1
                self.session.event(TerminalEvent.Kind.SEQUENCE, request.command)
                answer = refusal(request, "Out of sequence: please try again.")
                return self._encode(answer, request, detect, raw)
        try:
            answer = handle(self.session, request)
        except Exception as error:  # a bug or a database failure: refuse, stay up
            log.error(
                "sip2: error answering a %s message (%s)", request.command, type(error).__name__
            )
            with suppress(Exception):
                self.session.event(TerminalEvent.Kind.ERROR, request.command)
            answer = refusal(request, "The library system could not do that. Please try again.")
        self.errors = 0
        if request.sequence is not None:
            self.last_sequence = request.sequence
        return self._encode(answer, request, detect, raw)

    def _encode(self, answer: Message, request: Message, detect: bool, raw: bytes) -> bytes:
        answer.sequence = request.sequence
        data = build(answer, error_detection=detect)
        self.last_request = raw
        self.last_answer = data
        return data


def _in_thread(function, *args):
    close_old_connections()
    try:
        return function(*args)
    finally:
        close_old_connections()


class SIP2Server:
    def __init__(
        self,
        *,
        host: str,
        port: int,
        ssl_context: ssl.SSLContext | None = None,
        idle_seconds: float | None = None,
        max_message: int | None = None,
        threads: int | None = None,
        sock: socket.socket | None = None,
    ) -> None:
        self.host = host
        self.port = port
        self.sock = sock  # this process's listening socket on a port shared with the others
        self.ssl_context = ssl_context
        self.idle_seconds = idle_seconds or settings.CALUMET_SIP2_IDLE_SECONDS
        self.max_message = max_message or settings.CALUMET_SIP2_MAX_MESSAGE
        self.executor = ThreadPoolExecutor(
            max_workers=threads or settings.CALUMET_SIP2_THREADS, thread_name_prefix="sip2"
        )
        # Sign-ins and first PIN checks: Argon2 lets other threads run while it hashes.
        self.hashing = ThreadPoolExecutor(max_workers=1, thread_name_prefix="sip2-hash")
        self.stopping = False
        self.server: asyncio.base_events.Server | None = None
        self.connections: dict[asyncio.Task, dict] = {}

    async def db(self, function, *args, executor=None):
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(executor or self.executor, _in_thread, function, *args)

    async def start(self) -> None:
        loop = asyncio.get_running_loop()
        loop.set_exception_handler(_quiet_exception_handler)
        where = {"sock": self.sock} if self.sock else {"host": self.host, "port": self.port}
        # TLS is started in `_serve`, not here, so that a handshake that fails (a kiosk
        # left on plain TCP, an old TLS version, no answer) is recorded with its address.
        tls = self.ssl_context is not None

        def protocol() -> asyncio.StreamReaderProtocol:
            reader = asyncio.StreamReader(loop=loop)
            return (_PausedUntilTLS if tls else asyncio.StreamReaderProtocol)(
                reader, self._serve, loop=loop
            )

        self.server = await loop.create_server(protocol, **where)
        self.port = self.server.sockets[0].getsockname()[1]

    async def stop(self) -> None:
        """Stop listening, let answers in progress finish, close every connection."""
        self.stopping = True
        if self.server is not None:
            self.server.close()
        for task, state in list(self.connections.items()):
            if not state["busy"]:
                task.cancel()
        if self.connections:
            await asyncio.wait(list(self.connections), timeout=SHUTDOWN_GRACE)
        if self.server is not None:
            with suppress(Exception):
                await asyncio.wait_for(self.server.wait_closed(), 5)
        for executor in (self.executor, self.hashing):
            await asyncio.get_running_loop().run_in_executor(None, _close_db_connections, executor)
            executor.shutdown(wait=True)

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        state = {"busy": False}
        self.connections[task] = state
        peer = writer.get_extra_info("peername")
        address = peer[0] if isinstance(peer, tuple) and peer else None
        conversation = Conversation(address, self.max_message)
        try:
            if self.ssl_context is not None and not await self._start_tls(writer, conversation):
                return
            await self.db(conversation.session.event, TerminalEvent.Kind.CONNECTED)
            await self._converse(conversation, reader, writer, state)
        except (asyncio.CancelledError, ConnectionError, ssl.SSLError, OSError):
            pass
        except Exception as error:  # never let one connection take the server down
            log.error("sip2: connection ended by %s", type(error).__name__)
        finally:
            self.connections.pop(task, None)
            writer.close()
            with suppress(Exception):
                await asyncio.wait_for(writer.wait_closed(), 5)
            name = conversation.session.terminal.name if conversation.session.terminal else "-"
            log.debug("sip2: connection of terminal %s closed", name)

    async def _start_tls(self, writer: asyncio.StreamWriter, conversation) -> bool:
        """The TLS handshake; a failure is recorded (with the address) and ends it."""
        try:
            await asyncio.wait_for(
                writer.start_tls(self.ssl_context), timeout=TLS_HANDSHAKE_SECONDS
            )
        except (TimeoutError, ssl.SSLError, ConnectionError, OSError) as error:
            log.info("sip2: TLS handshake failed (%s)", type(error).__name__)
            await self.db(conversation.session.event, TerminalEvent.Kind.TLS_FAILED)
            return False
        return True

    async def _converse(self, conversation, reader, writer, state) -> None:
        """Messages until the terminal leaves. It is idle when no whole message came for
        `idle_seconds`: a byte now and then does not keep a connection open."""
        loop = asyncio.get_running_loop()
        buffer = bytearray()
        discarding = False
        deadline = loop.time() + self.idle_seconds
        while not self.stopping:
            try:
                chunk = await asyncio.wait_for(
                    reader.read(4096), timeout=max(deadline - loop.time(), 0)
                )
            except TimeoutError:
                await self.db(conversation.session.event, TerminalEvent.Kind.TIMEOUT)
                return
            if not chunk:
                return
            buffer += chunk
            while not self.stopping:
                ends = [i for i in (buffer.find(b"\r"), buffer.find(b"\n")) if i >= 0]
                if not ends:
                    break
                end = min(ends)
                raw = bytes(buffer[:end])
                del buffer[: end + 1]
                if discarding:
                    discarding = False
                    work = (conversation.oversized,)
                elif not raw.strip():
                    continue
                else:
                    work = (conversation.process, raw)
                executor = self.hashing if conversation.hashes(raw) else self.executor
                state["busy"] = True
                try:
                    answer = await self.db(*work, executor=executor)
                    writer.write(answer)
                    await writer.drain()
                finally:
                    state["busy"] = False
                deadline = loop.time() + self.idle_seconds
                if conversation.finished:
                    return
            if len(buffer) > conversation.max_message:
                buffer.clear()
                discarding = True


class _PausedUntilTLS(asyncio.StreamReaderProtocol):
    """A connection that reads nothing until its TLS handshake starts: the terminal's
    first bytes (its TLS hello) stay in the socket for `start_tls`, instead of landing in
    the plain stream's buffer where the handshake would never see them."""

    def connection_made(self, transport) -> None:
        transport.pause_reading()
        super().connection_made(transport)


def _close_db_connections(executor: ThreadPoolExecutor) -> None:
    """Close the database connection each of the executor's threads holds: one job per
    thread, held at a barrier so that every thread takes one."""
    count = len(getattr(executor, "_threads", ()))
    if not count:
        return
    barrier = threading.Barrier(count)

    def close() -> None:
        with suppress(threading.BrokenBarrierError):
            barrier.wait(timeout=5)
        connections.close_all()

    futures.wait([executor.submit(close) for _ in range(count)], timeout=15)


def _quiet_exception_handler(loop, context) -> None:
    """asyncio reports failed TLS handshakes and dropped connections here: one line,
    without the data involved."""
    error = context.get("exception")
    log.warning("sip2: %s", type(error).__name__ if error else context.get("message", "error"))
