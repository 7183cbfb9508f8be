"""`{% staff_nav_sidebar %}`: the admin's navigation sidebar, rendered once per set of
entries, marked page and language, and then reused (it was a tenth of a desk page's time).

What the sidebar shows depends on the staff member's permissions and roles (the key of
`CalumetAdminSite.get_app_list`, kept on the request) and on which of its links the
current path starts with (the marked app and page); never on the person or the record
shown, so the key holds neither.
"""

from __future__ import annotations

from urllib.parse import quote

from django import template
from django.template.loader import render_to_string
from django.utils import translation

register = template.Library()

_RENDERED: dict = {}


@register.simple_tag(takes_context=True)
def staff_nav_sidebar(context) -> str:
    request = context["request"]
    apps = context.get("available_apps") or []
    nav_key = getattr(request, "_calumet_nav_key", None)
    path = quote(request.path)
    marked = tuple(
        url
        for app in apps
        for url in (app.get("app_url"), *(m.get("admin_url") for m in app.get("models", ())))
        if url and url in path
    )
    key = (nav_key, marked, translation.get_language()) if nav_key is not None else None
    html = _RENDERED.get(key) if key is not None else None
    if html is None:
        html = render_to_string("admin/nav_sidebar.html", context.flatten(), request=request)
        if key is not None:
            if len(_RENDERED) > 1000:
                _RENDERED.clear()
            _RENDERED[key] = html
    return html
