"""gunicorn settings for Calumet (used by `make serve` and the systemd unit).

The access log leaves out query strings: a catalog search or a title in a URL is nobody's
business, and the log is a copy outside the database that the expunge cannot reach."""

import multiprocessing
import os

bind = os.environ.get("CALUMET_BIND", "127.0.0.1:8000")
workers = int(os.environ.get("CALUMET_WEB_WORKERS", max(2, multiprocessing.cpu_count())))
threads = int(os.environ.get("CALUMET_WEB_THREADS", 2))
timeout = 60
graceful_timeout = 30
accesslog = "-"
errorlog = "-"
# %(U)s is the path without its query string; no referer, no user agent.
access_log_format = '%(h)s %(t)s "%(m)s %(U)s" %(s)s %(b)s %(L)ss'
forwarded_allow_ips = os.environ.get("CALUMET_TRUSTED_PROXIES", "127.0.0.1")


def post_worker_init(worker):
    """Once the application is loaded, move its objects (modules, settings, URL patterns,
    templates) out of the garbage collector's sight: collections then scan only what a
    request allocates, which takes the long pauses out of the slowest pages."""
    import gc

    gc.freeze()
