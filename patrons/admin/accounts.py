"""Staff pages for patron accounts beside the patron's admin page: register a patron at
the desk (with the duplicate warning), issue a temporary PIN (shown once, on a printable
slip), replace a lost, stolen or damaged card. Each page writes through `patrons.pins` /
`patrons.services` with the staff member as the actor, and logs the access."""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.translation import get_language_from_request, gettext_lazy

from core.refusals import Refused
from core.requests import posted_id
from core.slips import render_slip
from patrons import accounts
from patrons.exceptions import PatronRefusal
from patrons.models import Patron, PatronCategory, SignUp
from patrons.pins import pin_issue_temporary
from patrons.signup import signup_collect
from privacy.access import log_access


def account_urls(model_admin) -> list:
    wrap = model_admin.admin_site.admin_view
    return [
        path(
            "register/",
            wrap(lambda request: register_view(model_admin, request)),
            name="patrons_patron_register",
        ),
        path(
            "<int:patron_id>/replace-card/",
            wrap(lambda request, patron_id: replace_card_view(model_admin, request, patron_id)),
            name="patrons_patron_replace_card",
        ),
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
    return _slip(model_admin, request, patron, pin, kind="pin")


# -- registration at the desk -------------------------------------------------------------


def _branch_model():
    return Patron._meta.get_field("home_branch").related_model


class RegistrationForm(forms.Form):
    first_name = forms.CharField(max_length=100)
    last_name = forms.CharField(max_length=100)
    birth_date = forms.DateField(
        required=False, widget=forms.DateInput(attrs={"type": "date"}), help_text="From the ID."
    )
    address_line1 = forms.CharField(label="Address", max_length=200, required=False)
    address_line2 = forms.CharField(label="Address (line 2)", max_length=200, required=False)
    city = forms.CharField(max_length=100, required=False)
    postal_code = forms.CharField(max_length=20, required=False)
    email = forms.EmailField(
        required=False, help_text="Needed for the patron to reset a forgotten PIN."
    )
    phone = forms.CharField(max_length=30, required=False)
    language = forms.ChoiceField(
        required=False,
        choices=[
            ("", "Not chosen (this browser's language)"),
            *settings.LANGUAGES,
        ],
        help_text="The language of the patron's slips, notices and portal.",
    )
    category = forms.ModelChoiceField(queryset=None, initial="adult", empty_label=None)
    home_branch = forms.ModelChoiceField(queryset=None, required=False)
    card_number = forms.CharField(
        max_length=40,
        required=False,
        help_text="Scan a new card, or leave empty to have a number generated.",
    )
    issue_pin = forms.BooleanField(
        required=False, initial=True, label="Issue a temporary PIN and print the slip"
    )
    confirm_duplicate = forms.BooleanField(
        required=False, label="I checked: this is a different person"
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["home_branch"].queryset = _branch_model().objects.order_by("name")
        self.fields["category"].queryset = PatronCategory.objects.all()


def _namesake(patron: Patron) -> dict:
    """Enough to tell two namesakes apart, and no more."""
    return {
        "name": patron.full_name,
        "born": patron.birth_date.year if patron.birth_date else "—",
        "address": (patron.address_line1[:6] + "…") if patron.address_line1 else "—",
        "url": reverse("admin:patrons_patron_change", args=[patron.pk]),
    }


def _request_language(request) -> str:
    language = get_language_from_request(request) or ""
    known = [code for code, _name in settings.LANGUAGES]
    for candidate in (language, language.split("-")[0]):
        if candidate in known:
            return candidate
    return ""


#: What an online application fills in on the registration form: all of it but the
#: category, which staff choose at the desk.
SIGNUP_INITIAL = tuple(name for name in accounts.REGISTRATION_FIELDS if name != "category")


def _signup_of(request):
    """The online application being collected (`?signup=<id>`, or the form's field)."""
    raw = request.POST.get("signup") or request.GET.get("signup")
    pk = posted_id(raw) if raw else None
    if raw and pk is None:
        return None, True
    return (SignUp.objects.filter(pk=pk).first() if pk else None), bool(raw)


def register_view(model_admin, request):
    if not model_admin.has_add_permission(request):
        raise PermissionDenied
    signup, asked = _signup_of(request)
    if asked and signup is None:
        messages.error(request, "That online application was already collected or erased.")
        return redirect(reverse("admin:patrons_signup_changelist"))
    initial = (
        {name: getattr(signup, name) for name in SIGNUP_INITIAL if getattr(signup, name)}
        if signup
        else None
    )
    form = RegistrationForm(request.POST or None, initial=initial)
    duplicates = []
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        issue_pin = data.pop("issue_pin")
        confirm = data.pop("confirm_duplicate")
        card_number = data.pop("card_number").strip() or None
        # Not chosen: the language of the request (the patron's slips and notices follow).
        data["language"] = data["language"] or _request_language(request)
        try:
            if signup is not None:
                patron, card = signup_collect(
                    signup=signup,
                    actor=request.user,
                    card_number=card_number,
                    confirm_duplicate=confirm,
                    **data,
                )
            else:
                patron, card = accounts.patron_register(
                    actor=request.user, card_number=card_number, confirm_duplicate=confirm, **data
                )
        except Refused as refusal:
            field = {
                PatronRefusal.CARD_NUMBER: "card_number",
                PatronRefusal.CARD_TAKEN: "card_number",
            }.get(refusal.code)
            form.add_error(field, refusal.message)
            if refusal.code == PatronRefusal.DUPLICATE:
                found = list(
                    accounts.possible_duplicates(
                        first_name=data["first_name"],
                        last_name=data["last_name"],
                        birth_date=data["birth_date"],
                        address_line1=data["address_line1"],
                    )[:10]
                )
                log_access(
                    found, request=request, page="admin:patrons.patron:register", access="listed"
                )
                duplicates = [_namesake(p) for p in found]
        except ValidationError as error:
            for field, errors in error.message_dict.items():
                form.add_error(field if field in form.fields else None, errors)
        else:
            messages.success(request, f"Registered, card {card.masked_number}.")
            if issue_pin:
                return _slip(
                    model_admin,
                    request,
                    patron,
                    pin_issue_temporary(patron=patron, actor=request.user),
                )
            return redirect(reverse("admin:patrons_patron_change", args=[patron.pk]))
    context = {
        **model_admin.admin_site.each_context(request),
        "title": "Issue the card of an online application" if signup else "Register a patron",
        "signup": signup,
        "opts": Patron._meta,
        "form": form,
        "duplicates": duplicates,
        "years": settings.CALUMET_CARD_YEARS,
        "expires": accounts.card_expiry(),
    }
    return TemplateResponse(request, "admin/patrons/patron/register.html", context)


#: The slips handed to the patron, by the page that prints them: (title, heading).
SLIP_HEADINGS = {
    "registration": ("Registration slip", gettext_lazy("Welcome to the library")),
    "pin": ("Temporary PIN slip", gettext_lazy("Your temporary PIN")),
    "card": ("New card slip", gettext_lazy("Your new library card")),
}


def _slip(model_admin, request, patron: Patron, pin: str | None, kind: str = "registration"):
    """The slip handed to the patron: a print page in the patron's language, no staff
    chrome (`core.slips.render_slip`); the PIN is on it once and the page is not cached."""
    log_access([patron], request=request, page="admin:patrons.patron:slip")
    title, heading = SLIP_HEADINGS[kind]
    return render_slip(
        request,
        "admin/patrons/patron/slip.html",
        _context(
            model_admin,
            request,
            title,
            patron,
            slip_heading=heading,
            slip_title=heading,
            pin=pin,
            card=patron.active_card,
            portal_url=request.build_absolute_uri(reverse("portal:login")),
            library_name=settings.CALUMET_LIBRARY_NAME,
        ),
        language=patron.notice_language,
    )


class ReplaceCardForm(forms.Form):
    reason = forms.ChoiceField(
        choices=[("lost", "Lost"), ("stolen", "Stolen"), ("damaged", "Damaged")],
        widget=forms.RadioSelect,
    )
    card_number = forms.CharField(
        max_length=40,
        required=False,
        help_text="Scan the new card, or leave empty to have a number generated.",
    )


def replace_card_view(model_admin, request, patron_id: int):
    patron = get_object_or_404(Patron, pk=patron_id)
    if not model_admin.has_change_permission(request, patron):
        raise PermissionDenied
    form = ReplaceCardForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            card = accounts.card_replace(
                patron=patron,
                reason=form.cleaned_data["reason"],
                card_number=form.cleaned_data["card_number"].strip() or None,
                actor=request.user,
            )
        except Refused as refusal:
            card_codes = (PatronRefusal.CARD_NUMBER, PatronRefusal.CARD_TAKEN)
            form.add_error("card_number" if refusal.code in card_codes else None, refusal.message)
        else:
            messages.success(
                request, f"New card {card.masked_number} issued; the old card is refused."
            )
            return _slip(model_admin, request, patron, None, kind="card")
    log_access([patron], request=request, page="admin:patrons.patron:replace_card")
    context = _context(model_admin, request, "Replace the library card", patron, form=form)
    return TemplateResponse(request, "admin/patrons/patron/replace_card.html", context)
