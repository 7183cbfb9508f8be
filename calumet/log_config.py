"""The site's logging: to the console, warnings and up for Django's request log, so that
URLs of failed requests are not written at every 404. No request bodies are ever logged;
the filters (calumet/logging.py) keep paths and query strings out."""


def logging_config(*, level: str, debug: bool) -> dict:
    """The LOGGING setting, at `level` for the root logger."""
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
        "filters": {
            "no_query_string": {"()": "calumet.logging.StripQueryString"},
            "no_request_paths": {"()": "calumet.logging.RedactRequestPaths"},
        },
        "handlers": {
            # Django's lines about a request name its route, never its path (docs/privacy.md,
            # "Logs").
            "console": {
                "class": "logging.StreamHandler",
                "formatter": "plain",
                "filters": ["no_request_paths"],
            },
            "server": {
                "class": "logging.StreamHandler",
                "formatter": "plain",
                "filters": ["no_query_string"],
            },
        },
        "root": {"handlers": ["console"], "level": level},
        "loggers": {
            "django.request": {"level": "ERROR"},
            "django.server": {
                "level": "WARNING" if not debug else "INFO",
                "handlers": ["server"],
                "propagate": False,
            },
            # django-axes logs the user name of every attempt; for patrons that is a card
            # number, which must not reach a log. Lockouts are visible in the admin instead.
            "axes": {"level": "ERROR"},
        },
    }
