"""`manage.py sip2server`: serve SIP2 to the library's kiosks, sorters and PC reservation.

TLS with CALUMET_SIP2_CERT and CALUMET_SIP2_KEY. Without them, plain TCP is served on
the loopback address only (for a local test or a TLS tunnel such as stunnel), unless
CALUMET_SIP2_ALLOW_PLAIN=true, which is warned about at start-up. SIGTERM or Ctrl-C
stops it after the answers in progress are sent.

With `CALUMET_SIP2_PROCESSES` above 1 (or `--processes`), this process opens the
listening socket and forks that many server processes that accept on it, each with its
threads and database connections: one process's Python runs on one core at a time, so
on a machine of several cores one process per core answers kiosks as fast as the cores
allow. A server process that dies is started again; SIGTERM reaches them all and each
lets its answers in progress reach their terminals.
"""

import asyncio
import logging
import os
import signal
import socket
from contextlib import suppress

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

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
            sock = socket.create_server((host, port), backlog=128)
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
        """Fork `processes` servers on the listening socket; start again any that dies
        until SIGTERM or SIGINT, which is passed on to each; wait for them all."""
        from django.db import connections

        connections.close_all()  # no connection crosses a fork
        host, port = sock.getsockname()[:2]
        children: set[int] = set()
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
            children.add(self._fork(sock, context))
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
            children.discard(pid)
            if not stopping:
                log.error("sip2: a server process ended (status %s); starting another", status)
                children.add(self._fork(sock, context))
        sock.close()
        self.stdout.write("SIP2 server stopped.")

    def _fork(self, sock: socket.socket, context) -> int:
        pid = os.fork()
        if pid:
            return pid
        code = 1
        try:
            signal.signal(signal.SIGTERM, signal.SIG_DFL)
            signal.signal(signal.SIGINT, signal.SIG_DFL)
            asyncio.run(self._run(None, None, context, sock=sock, quiet=True))
            code = 0
        except BaseException as error:  # the parent starts another
            log.error("sip2: a server process failed (%s)", type(error).__name__)
        finally:
            os._exit(code)
