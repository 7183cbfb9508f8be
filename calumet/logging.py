"""Log filters: what a URL's query string can say (a search, a title) stays out of logs."""

import logging


class StripQueryString(logging.Filter):
    """django.server request lines ("GET /portal/catalog/?q=... HTTP/1.1") lose their
    query string."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.args and isinstance(record.args, tuple):
            first = record.args[0]
            if isinstance(first, str) and "?" in first:
                method_path, _, rest = first.partition("?")
                protocol = rest.rsplit(" ", 1)[-1] if " " in rest else ""
                record.args = (f"{method_path} {protocol}".rstrip(), *record.args[1:])
        return True
