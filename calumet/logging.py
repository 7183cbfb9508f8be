"""Log filters: what a URL can say (a search, a title, a card) stays out of logs."""

import contextlib
import logging
import re

from django.conf import settings
from django.urls import Resolver404, resolve


class StripQueryString(logging.Filter):
    """django.server request lines ("GET /portal/catalog/812/?q=... HTTP/1.1") lose their
    query string, and their path becomes the route it matched (`route_of`, below)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.args and isinstance(record.args, tuple):
            first = record.args[0]
            if isinstance(first, str):
                parts = first.split(" ")
                if len(parts) == 3:  # METHOD TARGET PROTOCOL
                    method, target, protocol = parts
                    first = f"{method} {route_of(target)} {protocol}"
                else:
                    first = first.partition("?")[0]
                record.args = (first, *record.args[1:])
        return True


# -- What a web log may say about a request -------------------------------------------------
#
# A URL can carry a reading interest: a title's id (/portal/catalog/812/), a search
# (?q=...), a card number or a barcode typed into a staff page, a PIN-reset token. A log
# line with the client's address and the moment is joined to the audit log's sign-in in a
# second, and nothing expunges a log file. So every log line about a request names the
# route the path matched ('/portal/catalog/<title_id>/'), never the path itself, and never
# its query string.

UNMATCHED = "<no route>"
_CONVERTER = re.compile(r"<(?:\w+:)?(\w+)>")
_REGEX_GROUP = re.compile(r"\(\?P<(\w+)>(?:[^()]|\([^()]*\))*\)")


def route_of(path: str) -> str:
    """The URL pattern `path` matched, with its parameters as names: '/portal/catalog/
    <title_id>/'. Static files read '<STATIC_URL><file>'; a path that matches no route
    reads '<no route>' (it may be anything someone typed). Never raises."""
    try:
        path = (path or "/").split("?", 1)[0]
        static = settings.STATIC_URL or "/static/"
        static = static if static.startswith("/") else f"/{static}"
        if path.startswith(static):
            return f"{static}<file>"
        try:
            match = resolve(path)
        except Resolver404:
            return UNMATCHED
        route = _REGEX_GROUP.sub(r"<\1>", match.route or "")
        route = _CONVERTER.sub(r"<\1>", route).replace("^", "").replace("$", "")
        return "/" + route.lstrip("/")
    except Exception:  # a log line must never fail a request
        return UNMATCHED


class RedactRequestPaths(logging.Filter):
    """Django's own lines about a request ("Internal Server Error: /portal/...", "Forbidden
    (CSRF token missing.): /portal/...") name its route instead of its path."""

    def filter(self, record: logging.LogRecord) -> bool:
        request = getattr(record, "request", None)
        if request is None or not isinstance(record.args, tuple):
            return True
        paths = {getattr(request, "path", None), getattr(request, "path_info", None)}
        with contextlib.suppress(Exception):  # not a Django request: nothing to add
            paths.add(request.get_full_path())
        paths.discard(None)
        record.args = tuple(
            route_of(arg) if isinstance(arg, str) and arg in paths else arg for arg in record.args
        )
        return True
