"""Template context shared by every page (the library's name)."""

from django.conf import settings


def library(request):
    return {
        "library_name": settings.CALUMET_LIBRARY_NAME,
        "transparency_page": settings.CALUMET_TRANSPARENCY_PAGE,
    }
