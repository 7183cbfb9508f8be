"""`manage.py sip2server`: serve SIP2 to the library's kiosks, sorters and PC reservation.

TLS with CALUMET_SIP2_CERT and CALUMET_SIP2_KEY. Without them, plain TCP is served on
the loopback address only (for a local test or a TLS tunnel such as stunnel), unless
CALUMET_SIP2_ALLOW_PLAIN=true, which is warned about at start-up. SIGTERM or Ctrl-C
stops it after the answers in progress are sent.

With `CALUMET_SIP2_PROCESSES` above 1 (or `--processes`), this process holds the port
and forks that many server processes, each listening on it with its own socket
(SO_REUSEPORT), its threads and database connections. The kernel spreads new connections
evenly over the processes' sockets; with one socket shared by all, whichever process
was awake took most of the kiosks (their connections last all day) and its one core ran
them all while the others idled. One process's Python runs on one core at a time, so on
a machine of several cores one process per core answers kiosks as fast as the cores
allow. A server process that dies is started again (connections it had not yet accepted
are dropped, and the kiosks connect again); SIGTERM reaches them all and each lets its
answers in progress reach their terminals.
"""

import asyncio
import logging
import os
import signal
import socket
import time
from contextlib import suppress

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import connections

from sip2.server import SIP2Server, is_loopback, tls_context

log = logging.getLogger("calumet.sip2")


class Command(BaseCommand):
    help = "Serve SIP2 (self-check kiosks, sorters, PC reservation) until stopped."

    def add_arguments(self, parser):
        parser.add_argument("--host", default=settings.CALUMET_SIP2_HOST)
        parser.add_argument("--port", type=int, default=settings.CALUMET_SIP2_PORT)
        parser.add_argument(
            "--processes",
            type=int,
            default=settings.CALUMET_SIP2_PROCESSES,
            help="server processes sharing the port (CALUMET_SIP2_PROCESSES)",
        )

    def handle(self, *args, host, port, processes=1, **options):
        cert, key = settings.CALUMET_SIP2_CERT, settings.CALUMET_SIP2_KEY
        context = None
        if cert or key:
            if not (cert and key):
                raise CommandError("Set both CALUMET_SIP2_CERT and CALUMET_SIP2_KEY.")
            try:
                context = tls_context(cert, key)
            except (OSError, ValueError) as error:
                raise CommandError(
                    f"Cannot load the TLS certificate or key ({type(error).__name__})."
                ) from None
        elif not is_loopback(host):
            if not settings.CALUMET_SIP2_ALLOW_PLAIN:
                raise CommandError(
                    "No TLS certificate: SIP2 carries card numbers and PINs, so plain TCP is "
                    "served on the loopback address only. Set CALUMET_SIP2_CERT and "
                    "CALUMET_SIP2_KEY, or CALUMET_SIP2_ALLOW_PLAIN=true to accept the risk."
                )
            log.warning(
                "SIP2 WITHOUT ENCRYPTION on %s: card numbers and PINs cross the network in "
                "clear text (CALUMET_SIP2_ALLOW_PLAIN=true).",
                host,
            )
            self.stderr.write(
                self.style.WARNING(
                    "Warning: SIP2 is served WITHOUT TLS on a network address; card numbers "
                    "and PINs cross the network in clear text."
                )
            )
        if processes <= 1:
            asyncio.run(self._run(host, port, context))
            return
        try:
            sock = reserve(host, port)
        except OSError as error:
            raise CommandError(f"Cannot listen on {host}:{port} ({error.strerror}).") from None
        self._supervise(sock, context, processes)

    async def _run(self, host, port, context, sock=None, quiet=False):
        server = SIP2Server(host=host, port=port, ssl_context=context, sock=sock)
        try:
            await server.start()
        except OSError as error:
            raise CommandError(f"Cannot listen on {host}:{port} ({error.strerror}).") from None
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        if not quiet:
            self.stdout.write(
                f"SIP2 server on {host}:{server.port} ({'TLS' if context else 'plain TCP'}); "
                "Ctrl-C stops it."
            )
        await stop.wait()
        await server.stop()
        if not quiet:
            self.stdout.write("SIP2 server stopped.")

    def _supervise(self, sock: socket.socket, context, processes: int) -> None:
        """Fork `processes` servers listening on the reserved port; start again any that
        dies (not sooner than a second after it started) until SIGTERM or SIGINT, which
        is passed on to each; wait for them all."""
        connections.close_all()  # no connection crosses a fork
        host, port = sock.getsockname()[:2]
        children: dict[int, float] = {}
        stopping = False

        def stop(signum, frame):
            nonlocal stopping
            stopping = True
            for pid in children:
                with suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGTERM)

        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
        for _ in range(processes):
            children[self._fork(host, port, context)] = time.monotonic()
        self.stdout.write(
            f"SIP2 server on {host}:{port} ({'TLS' if context else 'plain TCP'}, "
            f"{processes} processes); Ctrl-C stops it."
        )
        self.stdout.flush()
        while children:
            try:
                pid, status = os.wait()
            except ChildProcessError:
                break
            started = children.pop(pid, time.monotonic())
            if not stopping:
                log.error("sip2: a server process ended (status %s); starting another", status)
                time.sleep(max(0.0, started + 1 - time.monotonic()))
                children[self._fork(host, port, context)] = time.monotonic()
        sock.close()
        self.stdout.write("SIP2 server stopped.")

    def _fork(self, host: str, port: int, context) -> int:
        pid = os.fork()
        if pid:
            return pid
        code = 1
        try:
            signal.signal(signal.SIGTERM, signal.SIG_DFL)
            signal.signal(signal.SIGINT, signal.SIG_DFL)
            sock = socket.create_server((host, port), backlog=128, reuse_port=True)
            asyncio.run(self._run(None, None, context, sock=sock, quiet=True))
            code = 0
        except BaseException as error:  # the parent starts another
            log.error("sip2: a server process failed (%s)", type(error).__name__)
        finally:
            os._exit(code)


def reserve(host: str, port: int) -> socket.socket:
    """The port, held by a socket that is bound but never listens (so the kernel gives
    it no connection), with SO_REUSEPORT so that the server processes can listen on it
    too. With port 0, the port the system chose."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        sock.bind((host, port))
    except OSError:
        sock.close()
        raise
    return sock
