"""The site's WSGI application plus one trivial page, `/bench-floor/`, for the benchmark's
floor (never deploy this): the same gunicorn, the same middleware, one PostgreSQL round
trip (`SELECT 1`), a few bytes of answer. Every latency of a run is also reported as a
multiple of this page's, measured in the same run, so that a figure travels between
machines of different speed."""

from django.db import connection
from django.http import HttpResponse
from django.urls import get_resolver, path

from calumet.wsgi import application  # sets Django up first


def floor_view(request):
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()
    return HttpResponse(b"ok", content_type="text/plain")


get_resolver().url_patterns.insert(0, path("bench-floor/", floor_view))

__all__ = ["application"]
