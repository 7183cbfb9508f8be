"""Render a printable slip (templates/slips/base.html) in the language of the patron it is
handed to: the page is rendered at once under `translation.override`, since a lazy
TemplateResponse would render after the override ended, in the clerk's language. Slips
are never cached: some carry a PIN shown once, all carry patron records."""

from __future__ import annotations

from django.conf import settings
from django.template.response import TemplateResponse
from django.utils import translation
from django.utils.cache import add_never_cache_headers


def render_slip(request, template: str, context: dict, *, language: str = "") -> TemplateResponse:
    with translation.override(language or settings.LANGUAGE_CODE):
        response = TemplateResponse(request, template, context)
        response.render()
    add_never_cache_headers(response)
    return response
