"""`manage.py sip2server`: serve SIP2 to the library's kiosks, sorters and PC reservation.

TLS with CALUMET_SIP2_CERT and CALUMET_SIP2_KEY. Without them, plain TCP is served on
the loopback address only (for a local test or a TLS tunnel such as stunnel), unless
CALUMET_SIP2_ALLOW_PLAIN=true, which is warned about at start-up. SIGTERM or Ctrl-C
stops it after the answers in progress are sent.
"""

import asyncio
import logging
import signal

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from sip2.server import SIP2Server, is_loopback, tls_context

log = logging.getLogger("calumet.sip2")


class Command(BaseCommand):
    help = "Serve SIP2 (self-check kiosks, sorters, PC reservation) until stopped."

    def add_arguments(self, parser):
        parser.add_argument("--host", default=settings.CALUMET_SIP2_HOST)
        parser.add_argument("--port", type=int, default=settings.CALUMET_SIP2_PORT)

    def handle(self, *args, host, port, **options):
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
        asyncio.run(self._run(host, port, context))

    async def _run(self, host, port, context):
        server = SIP2Server(host=host, port=port, ssl_context=context)
        try:
            await server.start()
        except OSError as error:
            raise CommandError(f"Cannot listen on {host}:{port} ({error.strerror}).") from None
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        self.stdout.write(
            f"SIP2 server on {host}:{server.port} ({'TLS' if context else 'plain TCP'}); "
            "Ctrl-C stops it."
        )
        await stop.wait()
        await server.stop()
        self.stdout.write("SIP2 server stopped.")
