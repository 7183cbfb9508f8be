"""Small security middleware of our own (no well-kept library covers these two)."""

from django.core.exceptions import BadRequest
from django.middleware.csrf import CsrfViewMiddleware
from django.utils import translation

PERMISSIONS_POLICY = (
    "camera=(), microphone=(), geolocation=(), payment=(), usb=(), "
    "interest-cohort=(), browsing-topics=()"
)


class PermissionsPolicyMiddleware:
    """Deny powerful browser features on every page: the site never needs them."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        response.setdefault("Permissions-Policy", PERMISSIONS_POLICY)
        return response


class NoReferrerCsrfMiddleware(CsrfViewMiddleware):
    """Django's CSRF protection, working with `Referrer-Policy: no-referrer`.

    Under that policy browsers send `Origin: null` and no `Referer` on the site's own form
    posts, so Django's origin and referer checks would refuse every sign-in. For a request
    that carries `Origin: null`, those two checks are skipped; the CSRF token check, which
    is the protection itself, still runs on every unsafe request, and the session and CSRF
    cookies are SameSite=Lax, so a cross-site post does not carry them.
    """

    def process_view(self, request, callback, callback_args, callback_kwargs):
        if request.META.get("HTTP_ORIGIN") == "null":
            del request.META["HTTP_ORIGIN"]
            request._calumet_null_origin = True
        return super().process_view(request, callback, callback_args, callback_kwargs)

    def _check_referer(self, request):
        if getattr(request, "_calumet_null_origin", False) and not request.META.get("HTTP_REFERER"):
            return
        super()._check_referer(request)


class RejectNulBytesMiddleware:
    """No form or URL of ours accepts a NUL character (PostgreSQL cannot store one, and no
    person types one): such a request gets the 400 page before any view runs."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if self._has_nul(request):
            raise BadRequest("NUL character in the request")
        return self.get_response(request)

    @staticmethod
    def _has_nul(request) -> bool:
        if "\x00" in request.path:
            return True
        sources = [request.GET]
        if request.method == "POST" and request.content_type in (
            "application/x-www-form-urlencoded",
            "multipart/form-data",
        ):
            sources.append(request.POST)
        for source in sources:
            for key, values in source.lists():
                if "\x00" in key or any("\x00" in value for value in values):
                    return True
        return False


class SiteLanguageMiddleware:
    """The language of a page, after Django's LocaleMiddleware has read the switcher's
    cookie or the browser's Accept-Language: a signed-in patron's own choice wins (it is
    also the language of their notices), and the staff side is always in English."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        language = None
        if request.path.startswith("/admin/"):
            language = "en"
        else:
            patron = getattr(request, "patron", None)
            language = getattr(patron, "language", "") or None
        if language and language != translation.get_language():
            translation.activate(language)
            request.LANGUAGE_CODE = language
        return self.get_response(request)
