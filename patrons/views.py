"""Portal pages of the patrons app: sign-in and out, privacy choices, PIN, lost card,
the patron's own data. Every page is for the signed-in patron only and shows only them."""

from axes.handlers.proxy import AxesProxyHandler
from django.conf import settings
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.dateformat import format as date_format
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from core.client import lockout_address
from core.refusals import Refused
from patrons import services
from patrons.exceptions import PatronRefusal
from patrons.export import patron_export_csv, patron_export_json, patron_sections
from patrons.forms import (
    ConfirmForm,
    PinChangeForm,
    PinResetForm,
    PinResetRequestForm,
    PortalLoginForm,
    ReadingHistoryForm,
    SignUpForm,
)
from patrons.pins import pin_reset_confirm, pin_reset_request
from patrons.portal import (
    NOT_ACCEPTED,
    authenticate_card,
    lockout_response,
    patron_required,
    sign_in,
    sign_out,
)
from patrons.selectors import blocks_in_force, describe_block
from patrons.services import patron_language_set
from patrons.signup import signup_apply, signup_confirm
from privacy.access import log_access
from privacy.access_summary import access_days
from privacy.models import RetentionPolicy
from privacy.retention import retention_days
from privacy.selectors import retention_schedule


def _safe_next(request, fallback: str) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target.startswith("/portal/") and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return fallback


def _portal_language(request) -> str:
    known = [code for code, _name in settings.LANGUAGES]
    language = getattr(request, "LANGUAGE_CODE", "") or ""
    return language if language in known else ""


@require_http_methods(["GET", "POST"])
def login_view(request):
    if request.user.is_authenticated:
        return redirect(reverse("portal:staff_refused"))
    error = None
    if request.method == "POST":
        form = PortalLoginForm(request.POST)
        if form.is_valid():
            credentials = {"card_number": "".join(form.cleaned_data["card_number"].split())}
            if not AxesProxyHandler.is_allowed(request, credentials):
                return lockout_response(request, None, credentials)
            patron = authenticate_card(
                request, card_number=credentials["card_number"], pin=form.cleaned_data["pin"]
            )
            if getattr(request, "axes_locked_out", False):
                return lockout_response(request, None, credentials)
            if patron is not None:
                sign_in(request, patron)
                if not patron.language:
                    # Not chosen yet: the language of the first portal sign-in, which the
                    # patron's notices and slips then use (they change it under Settings).
                    patron = patron_language_set(
                        patron=patron, language=_portal_language(request), actor=patron
                    )
                log_access(
                    [patron], request=request, patron=patron, page="portal:login", event="sign-in"
                )
                if patron.pin_must_change:
                    return redirect(reverse("portal:pin"))
                return redirect(_safe_next(request, reverse("portal:account")))
        # One message for every failure, and the card number is never echoed back.
        error = NOT_ACCEPTED
    return render(
        request,
        "portal/login.html",
        {
            "form": PortalLoginForm(),
            "error": error,
            "next": _safe_next(request, ""),
            "signup": settings.CALUMET_SIGNUP_ENABLED,
        },
    )


@require_POST
def logout_view(request):
    sign_out(request)
    messages.success(request, _("You are signed out. You can leave this computer."))
    return redirect(reverse("portal:login"))


@require_safe
def staff_refused_view(request):
    return render(request, "portal/staff_refused.html", status=403)


def reading_history_story(patron) -> str:
    """Who turned the patron's reading history on or off, and how, in their words."""
    via = patron.reading_history_via
    day = patron.reading_history_changed_on
    when = _(" on %(date)s") % {"date": date_format(day, _("j F Y"))} if day else ""
    branch = patron.reading_history_branch.name if patron.reading_history_branch else ""
    if via == "unrecorded":
        return _(
            "Reading history was turned on before the library recorded who turned it on. "
            "If you did not ask for it, turn it off below."
        )
    if via == "portal":
        if patron.keep_reading_history:
            return _("You turned on reading history%(when)s in the portal.") % {"when": when}
        return _("You turned off reading history%(when)s in the portal.") % {"when": when}
    if via == "desk_pin":
        place = (
            _("at the %(branch)s desk") % {"branch": branch} if branch else _("at a library desk")
        )
        return _("You turned on reading history%(when)s %(place)s, confirmed with your PIN.") % {
            "when": when,
            "place": place,
        }
    if via == "staff_request":
        staff = patron.get_reading_history_staff_role_display() or _("Library staff")
        if branch:
            staff = _("%(staff)s at %(branch)s") % {"staff": staff, "branch": branch}
        return _("%(staff)s turned off your reading history%(when)s, at your request.") % {
            "staff": staff,
            "when": when,
        }
    return _("Reading history has never been turned on.") if not patron.keep_reading_history else ""


@patron_required
@require_http_methods(["GET", "POST"])
def privacy_view(request):
    patron = request.patron
    if request.method == "POST":
        form = ReadingHistoryForm(request.POST)
        if form.is_valid():
            keep = form.cleaned_data["keep"]
            if not keep and patron.keep_reading_history and not form.cleaned_data["confirm"]:
                form.add_error(
                    "confirm",
                    _("Tick the box to confirm: turning it off erases your reading history now."),
                )
            else:
                erased = services.reading_history_set(patron=patron, keep=keep, actor=patron)
                if keep:
                    messages.success(
                        request,
                        _(
                            "Reading history is on: items you return from now on stay in your "
                            "history."
                        ),
                    )
                else:
                    messages.success(
                        request,
                        ngettext(
                            "Reading history is off. %(count)d past loan erased from your record.",
                            "Reading history is off. %(count)d past loans erased from your record.",
                            erased,
                        )
                        % {"count": erased},
                    )
                return redirect(reverse("portal:privacy"))
    else:
        form = ReadingHistoryForm(initial={"keep": "on" if patron.keep_reading_history else "off"})
    log_access([patron], request=request, patron=patron, page="portal:privacy")
    return render(
        request,
        "portal/privacy.html",
        {
            "form": form,
            "patron": patron,
            "schedule": retention_schedule(),
            "history_story": reading_history_story(patron),
        },
    )


@patron_required
@require_http_methods(["GET", "POST"])
def pin_change_view(request):
    patron = request.patron
    form = PinChangeForm(request.POST or None, patron=patron)
    if request.method == "POST" and form.is_valid():
        try:
            services.pin_change(patron=patron, new_pin=form.cleaned_data["new_pin"], actor=patron)
        except Refused as refusal:
            form.add_error("new_pin", refusal.message)
        else:
            messages.success(request, _("Your PIN has been changed."))
            return redirect(reverse("portal:account"))
    return render(request, "portal/pin.html", {"form": form, "must_change": patron.pin_must_change})


RESET_SESSION = "calumet_pin_reset_token"
RESET_SENT = gettext_lazy(
    "If that card number and email address belong to an account, we have sent a link to "
    "choose a new PIN. It works once, within %(minutes)s minutes. No email? Ask at any "
    "branch desk with a photo ID."
)


@require_http_methods(["GET", "POST"])
def pin_reset_request_view(request):
    """Forgot my PIN: card number AND email address; one answer whatever they match."""
    if request.user.is_authenticated:
        return redirect(reverse("portal:staff_refused"))
    form = PinResetRequestForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            pin_reset_request(
                card_number=form.cleaned_data["card_number"],
                email=form.cleaned_data["email"],
                address=lockout_address(request),
                origin=request.build_absolute_uri("/"),
            )
        except Refused as refusal:
            # A fresh form: the card number typed is not echoed back.
            context = {"form": PinResetRequestForm(), "error": refusal.message}
            return render(request, "portal/pin_reset_request.html", context, status=429)
        messages.info(request, RESET_SENT % {"minutes": settings.CALUMET_PIN_RESET_MINUTES})
        return redirect(reverse("portal:login"))
    return render(request, "portal/pin_reset_request.html", {"form": form})


@require_safe
def pin_reset_link_view(request, token: str):
    """The emailed link: keep the token in the session and drop it from the address bar
    (it would otherwise stay in the history of a shared computer)."""
    request.session[RESET_SESSION] = token[:100]
    return redirect(reverse("portal:pin_reset_new"))


@require_http_methods(["GET", "POST"])
def pin_reset_new_view(request):
    token = request.session.get(RESET_SESSION)
    if not token:
        messages.error(request, _("Open the link from the email again, or ask for a new one."))
        return redirect(reverse("portal:pin_reset"))
    form = PinResetForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            pin_reset_confirm(
                card_number=form.cleaned_data["card_number"],
                token=token,
                new_pin=form.cleaned_data["new_pin"],
            )
        except Refused as refusal:
            form.add_error(
                None if refusal.code == PatronRefusal.TOKEN else "new_pin", refusal.message
            )
        else:
            sign_out(request)
            messages.success(request, _("Your new PIN is set. Sign in with it."))
            return redirect(reverse("portal:login"))
    return render(request, "portal/pin_reset_new.html", {"form": form})


@patron_required
@require_http_methods(["GET", "POST"])
def lost_card_view(request):
    patron = request.patron
    form = ConfirmForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        services.card_report_lost(patron=patron, actor=patron)
        sign_out(request)
        return render(request, "portal/card_lost_done.html")
    card = patron.active_card
    return render(
        request,
        "portal/lost_card.html",
        {"form": form, "masked": card.masked_number if card else ""},
    )


@patron_required
@require_safe
def my_data_view(request):
    """My data: a summary, every kind with how long it is kept, and the downloads (a
    printable page, CSV and JSON) with the labels in the patron's language."""
    patron = request.patron
    download = request.GET.get("download", "")
    if download in ("1", "json", "csv"):
        page = "portal:my_data:download"
        log = lambda records: log_access(  # noqa: E731
            records, request=request, patron=patron, page=page
        )
        stamp = timezone.localdate().isoformat()
        if download == "csv":
            body = "\ufeff" + patron_export_csv(patron=patron, log=log)  # for spreadsheets
            response = HttpResponse(body, content_type="text/csv; charset=utf-8")
            extension = "csv"
        else:
            response = HttpResponse(
                patron_export_json(patron=patron, log=log),
                content_type="application/json; charset=utf-8",
            )
            extension = "json"
        name = f"my-library-data-{stamp}.{extension}"
        response["Content-Disposition"] = f'attachment; filename="{name}"'
        return response
    sections = patron_sections(
        patron=patron,
        log=lambda records: log_access(
            records, request=request, patron=patron, page="portal:my_data"
        ),
    )
    return render(
        request,
        "portal/my_data.html",
        {
            "sections": sections,
            "patron": patron,
            "history_story": reading_history_story(patron),
            "blocks": [describe_block(b) for b in blocks_in_force(patron=patron)],
        },
    )


@patron_required
@require_safe
def my_data_all_view(request):
    """Every record, readable and printable: the "download" a person can read."""
    patron = request.patron
    sections = patron_sections(
        patron=patron,
        log=lambda records: log_access(
            records, request=request, patron=patron, page="portal:my_data:all"
        ),
    )
    return render(
        request,
        "portal/my_data_all.html",
        {"sections": sections, "patron": patron, "now": timezone.now()},
    )


@patron_required
@require_safe
def access_view(request):
    """Who has looked at my record: per day, who (role and branch, never a name) and what
    they were doing, and the patron's own sign-ins, for as long as the audit log keeps
    them. Newest first, a page of days at a time."""
    days = RetentionPolicy.objects.filter(kind="audit_entry").values_list("days", flat=True).first()
    page = Paginator(access_days(request.patron, days), 14).get_page(request.GET.get("page"))
    return render(request, "portal/access.html", {"page": page, "days": days})


# -- online sign-up ------------------------------------------------------------------------


def _signup_enabled():
    if not settings.CALUMET_SIGNUP_ENABLED:
        raise Http404


def _signup_days() -> int:
    return retention_days("signup")


@require_http_methods(["GET", "POST"])
def signup_view(request):
    """Apply for a card from home: the fields the library asks for, a honeypot, a count
    per client address. Whatever happens to the email address (new, repeated), the same
    answer: check your email."""
    _signup_enabled()
    if request.user.is_authenticated:
        return redirect(reverse("portal:staff_refused"))
    form = SignUpForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            signup_apply(
                details=form.details(),
                actor=None,
                address=lockout_address(request),
                origin=request.build_absolute_uri("/"),
                honeypot=form.cleaned_data.get("website", ""),
            )
        except Refused as refusal:
            status = 429 if refusal.code == PatronRefusal.SIGNUP_TOO_MANY else 400
            context = {"form": form, "error": refusal.message, "days": _signup_days()}
            return render(request, "portal/signup.html", context, status=status)
        return redirect(reverse("portal:signup_sent"))
    status = 400 if request.method == "POST" else 200
    context = {"form": form, "days": _signup_days()}
    return render(request, "portal/signup.html", context, status=status)


@require_safe
def signup_sent_view(request):
    _signup_enabled()
    return render(request, "portal/signup_sent.html")


@require_http_methods(["GET", "POST"])
def signup_confirm_view(request, token: str):
    """The emailed link. GET shows a button (mail scanners open links); POST confirms."""
    _signup_enabled()
    if request.method == "POST":
        try:
            signup = signup_confirm(token=token, actor=None)
        except Refused as refusal:
            context = {"error": refusal.message}
            return render(request, "portal/signup_confirm.html", context, status=400)
        return render(
            request,
            "portal/signup_done.html",
            {"reference": signup.reference, "days": _signup_days()},
        )
    return render(request, "portal/signup_confirm.html", {"token": token})
