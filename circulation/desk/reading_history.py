"""The desk page where a patron turns their reading history on, confirming with their PIN.

Staff can never turn a patron's reading history on by themselves: here the clerk scans
the patron's card and the patron types their own PIN (and the clerk ticks that the patron
asked). A wrong PIN changes nothing and counts towards the card's lockout, shared with
the portal's sign-in. The page keeps nothing in the session: no card, no PIN.
"""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from circulation.desk.forms import DeskBranchForm, ScanField
from circulation.desk.scanning import Desk
from core.admin_site import AdminPage
from core.refusals import Refused
from patrons.services import reading_history_on_at_desk
from privacy.access import log_access

PERMISSION = "circulation.add_loan"  # staff who work the desk


class ReadingHistoryConsentForm(forms.Form):
    card_number = ScanField(label="Patron's card", max_length=14)
    pin = forms.CharField(
        label="Patron's PIN (the patron types it)",
        max_length=12,
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "off", "inputmode": "numeric"}),
    )
    asked = forms.BooleanField(
        label="The patron asked to keep their reading history",
        help_text="Their returned loans will be kept for them until they turn it off.",
    )


def _form_problem(form: ReadingHistoryConsentForm) -> str:
    if "asked" in form.errors:
        return "Tick that the patron asked for it: only the patron turns reading history on."
    if "card_number" in form.errors:
        return "Scan or type the patron's 14-digit card number."
    return "The patron types their PIN (4 to 12 digits)."


@require_http_methods(["GET", "POST"])
def reading_history_view(request):
    if not request.user.has_perm(PERMISSION):
        raise PermissionDenied
    desk = Desk(request)
    here = reverse("admin:circulation_reading_history")
    if request.method == "POST":
        if request.POST.get("action") == "branch":
            branch_form = DeskBranchForm(request.POST)
            if branch_form.is_valid():
                desk.set_branch(branch_form.cleaned_data["branch"])
            return redirect(here)
        form = ReadingHistoryConsentForm(request.POST)
        if not form.is_valid():
            messages.error(request, _form_problem(form) + " Nothing was changed.")
            return redirect(here)
        try:
            patron = reading_history_on_at_desk(
                card_number=form.cleaned_data["card_number"],
                pin=form.cleaned_data["pin"],
                actor=request.user,
                branch=desk.branch,
            )
        except Refused as refusal:
            messages.error(request, refusal.message)
        else:
            log_access([patron], request=request, page="desk:reading_history")
            messages.success(
                request,
                "Reading history is on, confirmed with the patron's PIN. The patron can "
                "see this in the portal and turn it off there at any time.",
            )
        return redirect(here)
    context = {
        **admin.site.each_context(request),
        "title": "Reading history",
        "desk_branch": desk.branch,
        "branch_form": DeskBranchForm(initial={"branch": desk.branch}),
        "opts": None,
        "form": ReadingHistoryConsentForm(),
    }
    return TemplateResponse(request, "admin/circulation/desk/reading_history.html", context)


admin.site.register_page(
    AdminPage(
        "circulation",
        "reading-history",
        "Reading history",
        reading_history_view,
        PERMISSION,
        order=-10,  # after the five desk pages
    )
)
