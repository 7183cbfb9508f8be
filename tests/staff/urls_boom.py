"""The site's URLs plus a staff page and a public page that fail (for the 500 pages)."""

from django.urls import path

from calumet.urls import handler403, handler404, handler500  # noqa: F401
from calumet.urls import urlpatterns as site_urls


def boom(request):
    raise RuntimeError("a staff page that fails")


urlpatterns = [path("admin/boom/", boom), path("boom/", boom), *site_urls]
