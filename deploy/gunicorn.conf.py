"""gunicorn settings for Calumet (used by `make serve` and the systemd unit).

The logs carry no reading interest. A URL can hold a title's id, a search, a card number,
a barcode or a PIN-reset token, and a log line with an address and a second is joined to
the audit log's sign-in; nothing expunges a log file. So each access log line is the time,
the method, the *route* the path matched ('/portal/catalog/<title_id>/', never
'/portal/catalog/812/'), the status, the bytes sent and the duration: no query string, no
client address, no referer, no user agent, no header. The error log's lines about a
request name its route too (`RouteLogger`), and Django's own lines do the same
(`calumet.logging`). docs/privacy.md ("Logs") says what each log holds."""

import gc
import multiprocessing
import os
from urllib.parse import urlsplit

from gunicorn.glogging import Logger

bind = os.environ.get("CALUMET_BIND", "127.0.0.1:8000")
workers = int(os.environ.get("CALUMET_WEB_WORKERS", max(2, multiprocessing.cpu_count())))
threads = int(os.environ.get("CALUMET_WEB_THREADS", 2))
timeout = 60
graceful_timeout = 30
accesslog = "-"
errorlog = "-"
# %(U)s is the route the path matched (RouteLogger), without the query string.
access_log_format = '%(t)s "%(m)s %(U)s" %(s)s %(b)s %(L)ss'
forwarded_allow_ips = os.environ.get("CALUMET_TRUSTED_PROXIES", "127.0.0.1")


def post_worker_init(worker):
    """Once the application is loaded, move its objects (modules, settings, URL patterns,
    templates) out of the garbage collector's sight: collections then scan only what a
    request allocates, which takes the long pauses out of the slowest pages."""
    gc.freeze()


def _route(target) -> str:
    from calumet.logging import route_of  # noqa: PLC0415 (in the worker, where Django is set up)

    return route_of(urlsplit(target).path if isinstance(target, str) else "")


class RouteLogger(Logger):
    """gunicorn's logger, told what not to write: an access line's only request atoms are
    the method and the route (whatever `access_log_format` asks for, every other atom
    reads '-': the raw request line, the query string, the address, the referer, the
    headers and the environment), and its error lines name the route, never the URI."""

    KEPT = ("m", "s", "b", "B", "T", "D", "M", "L", "p", "t", "H")

    def atoms(self, resp, req, environ, request_time):
        every = super().atoms(resp, req, environ, request_time)
        atoms = {name: every.get(name) for name in self.KEPT}
        route = _route(environ.get("PATH_INFO", ""))
        atoms.update(U=route, r=f"{atoms['m']} {route} {atoms['H']}", q="")
        return atoms

    def exception(self, msg, *args, **kwargs):
        if isinstance(msg, str) and msg.startswith("Error handling request") and args:
            args = tuple(_route(arg) if "/" in str(arg) else arg for arg in args)
        super().exception(msg, *args, **kwargs)

    def warning(self, msg, *args, **kwargs):
        # "Invalid request from ip=...: Invalid Request Line 'GET /portal/...?q=...'"
        if isinstance(msg, str) and msg.startswith("Invalid request from"):
            msg, args = msg.split(": ", 1)[0] + ": not valid HTTP (the request is not logged)", ()
        super().warning(msg, *args, **kwargs)


logger_class = RouteLogger
