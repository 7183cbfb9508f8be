"""Staff pages for patron accounts beside the patron's admin page: issue a temporary PIN
(shown once, on a printable slip). Each page writes through `patrons.pins` /
`patrons.services` with the staff member as the actor, and logs the access."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.cache import add_never_cache_headers

from patrons.access import log_access

from .exceptions import Refused
from .models import Patron
from .pins import pin_issue_temporary


def account_urls(model_admin) -> list:
    wrap = model_admin.admin_site.admin_view
    return [
        path(
            "<int:patron_id>/temporary-pin/",
            wrap(lambda request, patron_id: temporary_pin_view(model_admin, request, patron_id)),
            name="patrons_patron_temporary_pin",
        ),
    ]


def _context(model_admin, request, title: str, patron: Patron, **extra) -> dict:
    return {
        **model_admin.admin_site.each_context(request),
        "title": title,
        "opts": Patron._meta,
        "patron": patron,
        "original": patron,
        **extra,
    }


def temporary_pin_view(model_admin, request, patron_id: int):
    """GET: what issuing does. POST: issue and show the slip, once."""
    patron = get_object_or_404(Patron, pk=patron_id)
    if not model_admin.has_change_permission(request, patron):
        raise PermissionDenied
    page = "admin:patrons.patron:temporary_pin"
    if request.method != "POST":
        log_access([patron], request=request, page=page)
        return TemplateResponse(
            request,
            "admin/patrons/patron/temporary_pin_confirm.html",
            _context(model_admin, request, "Issue a temporary PIN", patron),
        )
    try:
        pin = pin_issue_temporary(patron=patron, actor=request.user)
    except Refused as refusal:
        messages.error(request, refusal.message)
        return redirect(reverse("admin:patrons_patron_change", args=[patron.pk]))
    log_access([patron], request=request, page=page)
    response = TemplateResponse(
        request,
        "admin/patrons/patron/slip.html",
        _context(
            model_admin,
            request,
            "Registration slip",
            patron,
            pin=pin,
            card=patron.active_card,
            portal_url=request.build_absolute_uri(reverse("portal:login")),
            library_name=settings.CALUMET_LIBRARY_NAME,
        ),
    )
    add_never_cache_headers(response)
    return response
