"""The disclosure register in the admin. Requests change only through the services: the
change page is read-only for everyone, with the decision, withdrawal, fulfilment and the
package download as separate, permission-checked and audited actions."""

import datetime
import json

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html

from core.admin_site import ReadOnlyAdmin
from core.refusals import Refused, attempt
from disclosures import selectors, services
from disclosures.forms import CompleteRequestForm, DecisionForm, RecordRequestForm
from disclosures.models import DisclosureRequest, DisclosureScope
from privacy.access import AccessAuditedAdmin, log_access
from privacy.admin_patrons import PatronShownByCard
from privacy.registry import registry


def kind_label(name: str) -> str:
    """What staff call a record kind ("Loans"), never its code name."""
    return registry.get(name).label if name in registry else name.replace("_", " ")


def _date(text: str | None) -> datetime.date | None:
    return datetime.date.fromisoformat(text) if text else None


class ScopeInline(PatronShownByCard, admin.TabularInline):
    model = DisclosureScope
    extra = 0
    max_num = 0  # read-only: no "Add another" link
    can_delete = False
    fields = ("patron", "legal_hold")
    readonly_fields = fields
    verbose_name_plural = "patrons named"

    @admin.display(description="Patron")
    def patron_card(self, obj):
        """The administrator deciding the request reads who is named: the patron's name and
        masked card, linking to their page (this inline is theirs only)."""
        patron = obj.patron
        if patron is None:
            return "—"
        url = reverse("admin:patrons_patron_change", args=[patron.pk])
        return format_html('<a href="{}">{}, {}</a>', url, patron.full_name, patron.card_label)

    def has_view_permission(self, request, obj=None):
        """Library administrators only; the page tells everyone else why (the template)."""
        return request.user.has_perm(services.DECIDE)

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(DisclosureRequest)
class DisclosureRequestAdmin(AccessAuditedAdmin, admin.ModelAdmin):
    list_display = (
        "__str__",
        "status",
        "legal_basis",
        "agency",
        "received_at",
        "received_by",
        "decided_by",
        "decided_at",
    )
    list_filter = ("status", "legal_basis")
    search_fields = ("agency", "case_number", "requester_name")
    date_hierarchy = "received_at"
    inlines = (ScopeInline,)
    change_form_template = "admin/disclosures/disclosurerequest/change_form.html"
    fieldsets = (
        ("Received", {"fields": ("received_at", "received_by", "status")}),
        (
            "Who asked",
            {"fields": ("agency", "requester_name", "requester_id_number", "requester_contact")},
        ),
        (
            "Legal basis",
            {
                "fields": (
                    "legal_basis",
                    "non_disclosure_order",
                    "issuing_authority",
                    "case_number",
                    "issued_on",
                    "has_document",
                    "emergency_statement",
                    "person_sought",
                )
            },
        ),
        ("Scope", {"fields": ("records_asked_for", "period_start", "period_end")}),
        (
            "Decision",
            {
                "fields": (
                    "decided_by",
                    "decided_at",
                    "decision_reason",
                    "patron_told",
                    "patrons_notified_at",
                    "package_fingerprint",
                    "package_created_at",
                    "fulfilled_at",
                    "package_deleted_at",
                    "closed_at",
                )
            },
        ),
    )

    @admin.display(description="document on file")
    def has_document(self, obj):
        return "Yes" if obj.document else "No: not yet added"

    @admin.display(description="package fingerprint (SHA-256)")
    def package_fingerprint(self, obj):
        return obj.package_sha256 or "-"

    @admin.display(description="records asked for")
    def records_asked_for(self, obj):
        return ", ".join(kind_label(name) for name in obj.kind_list)

    @admin.display(description="patron may be told")
    def patron_told(self, obj):
        if obj.patron_may_be_told is None:
            return "Not decided yet"
        if obj.patron_may_be_told:
            return "Yes: no non-disclosure order"
        return "No: a non-disclosure order forbids it, or the administrator chose not to"

    def get_readonly_fields(self, request, obj=None):
        return [f for fieldset in self.fieldsets for f in fieldset[1]["fields"]]

    def get_queryset(self, request):
        qs = super().get_queryset(request).select_related("received_by", "decided_by")
        if request.user.has_perm(services.DECIDE):
            return qs
        return qs.filter(received_by=request.user)  # staff see what they recorded

    def has_change_permission(self, request, obj=None):
        return False  # only through the services below

    def has_delete_permission(self, request, obj=None):
        return False  # the register is expunged by its retention policy, not by hand

    # -- recording ---------------------------------------------------------------------

    def add_view(self, request, form_url="", extra_context=None):
        if not self.has_add_permission(request):
            raise PermissionDenied
        form = RecordRequestForm(request.POST or None, request.FILES or None)
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            details = services.RequestDetails(
                agency=data["agency"],
                requester_name=data["requester_name"],
                requester_id_number=data["requester_id_number"],
                requester_contact=data["requester_contact"],
                legal_basis=data["legal_basis"],
                non_disclosure_order=data["non_disclosure_order"],
                issuing_authority=data["issuing_authority"],
                case_number=data["case_number"],
                issued_on=data["issued_on"],
                emergency_statement=data["emergency_statement"],
                person_sought=data["person_sought"],
                card_numbers=data["card_numbers"].splitlines(),
                kinds=data["kinds"],
                period_start=data["period_start"],
                period_end=data["period_end"],
                document=data["document"],
            )
            try:
                disclosure = services.disclosure_record(details=details, actor=request.user)
            except Refused as refusal:
                form.add_error(None, refusal.message)
            else:
                if disclosure.status == DisclosureRequest.Status.REFUSED_AT_DESK:
                    self.message_user(
                        request,
                        "Recorded as refused at the desk: nothing may be released without a "
                        "court order, a subpoena, or an emergency. Refer the requester to the "
                        "library administrator.",
                        messages.WARNING,
                    )
                else:
                    self.message_user(
                        request,
                        "Recorded. The records named are now on legal hold. Release nothing: "
                        "the library administrator decides.",
                        messages.SUCCESS,
                    )
                return redirect(
                    reverse("admin:disclosures_disclosurerequest_change", args=[disclosure.pk])
                )
        context = {
            **self.admin_site.each_context(request),
            "title": "Record a request for patron records",
            "form": form,
            "opts": self.model._meta,
        }
        return TemplateResponse(request, "admin/disclosures/disclosurerequest/record.html", context)

    # -- deciding and handing over -------------------------------------------------------

    def get_urls(self):
        wrap = self.admin_site.admin_view
        return [
            path("<int:pk>/decide/", wrap(self.decide_view), name="disclosures_decide"),
            path("<int:pk>/withdraw/", wrap(self.withdraw_view), name="disclosures_withdraw"),
            path("<int:pk>/complete/", wrap(self.complete_view), name="disclosures_complete"),
            path("<int:pk>/fulfil/", wrap(self.fulfil_view), name="disclosures_fulfil"),
            path("<int:pk>/package/", wrap(self.package_view), name="disclosures_package"),
            path("<int:pk>/summary/", wrap(self.summary_view), name="disclosures_summary"),
            path("<int:pk>/document/", wrap(self.document_view), name="disclosures_document"),
            *super().get_urls(),
        ]

    def _get(self, request, pk) -> DisclosureRequest:
        return get_object_or_404(self.get_queryset(request), pk=pk)

    def _back(self, pk):
        return redirect(reverse("admin:disclosures_disclosurerequest_change", args=[pk]))

    def change_view(self, request, object_id, form_url="", extra_context=None):
        obj = self.get_object(request, object_id)
        missing = selectors.missing_details(obj) if obj else []
        extra = {
            "decision_form": DecisionForm(),
            "can_decide": obj is not None
            and request.user.has_perm(services.DECIDE)
            and obj.received_by_id != request.user.pk
            and obj.status == DisclosureRequest.Status.PENDING,
            "is_recorder": obj is not None and obj.received_by_id == request.user.pk,
            "can_download": obj is not None and request.user.has_perm(services.DECIDE),
            # The administrator deciding reads who is named, by name and masked card, where
            # the decision is taken (the inline below lists them too).
            "patrons_named": [
                {
                    "name": scope.patron.full_name,
                    "card": scope.patron.card_label,
                    "url": reverse("admin:patrons_patron_change", args=[scope.patron_id]),
                }
                for scope in obj.scopes.select_related("patron").order_by("pk")
                if scope.patron_id
            ]
            if obj is not None and request.user.has_perm(services.DECIDE)
            else [],
            "basis_problem": selectors.basis_problem(obj) if obj else None,
            "missing": [selectors.DETAIL_LABELS[name] for name in missing],
            "can_complete": obj is not None
            and bool(missing)
            and selectors.may_complete(obj, request.user),
            **(extra_context or {}),
        }
        return super().change_view(request, object_id, form_url, extra)

    def complete_view(self, request, pk):
        """Add the document, court, case number (or an emergency's statement) that were
        missing when the request was recorded."""
        disclosure = self._get(request, pk)
        if not selectors.may_complete(disclosure, request.user):
            raise PermissionDenied
        missing = selectors.missing_details(disclosure)
        if not missing:
            messages.info(request, "Nothing is missing from this request.")
            return self._back(pk)
        form = CompleteRequestForm(request.POST or None, request.FILES or None, missing=missing)
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            done = attempt(
                request,
                lambda: services.disclosure_complete(
                    request=disclosure, actor=request.user, **{k: data[k] for k in form.fields}
                ),
                success="Added to the request.",
            )
            if done:
                return self._back(pk)
        context = {
            **self.admin_site.each_context(request),
            "title": f"Complete {disclosure}",
            "form": form,
            "original": disclosure,
            "opts": self.model._meta,
        }
        return TemplateResponse(
            request, "admin/disclosures/disclosurerequest/complete.html", context
        )

    @staticmethod
    def _run(request, call, success):
        attempt(request, call, success=success)

    def decide_view(self, request, pk):
        if request.method != "POST":
            return self._back(pk)
        disclosure = self._get(request, pk)
        if (
            not request.user.has_perm(services.DECIDE)
            or disclosure.received_by_id == request.user.pk
        ):
            raise PermissionDenied
        form = DecisionForm(request.POST)
        if not form.is_valid():
            messages.error(request, "Choose approve or deny and write the reason.")
            return self._back(pk)
        data = form.cleaned_data
        if data["decision"] == "approve" and selectors.basis_problem(disclosure):
            return self._back(pk)  # the page says what is missing, once
        if data["decision"] == "approve":
            self._run(
                request,
                lambda: services.disclosure_approve(
                    request=disclosure,
                    actor=request.user,
                    reason=data["reason"],
                    patron_may_be_told=data["patron_may_be_told"],
                ),
                "Approved. The release package is ready to download.",
            )
        else:
            self._run(
                request,
                lambda: services.disclosure_deny(
                    request=disclosure, actor=request.user, reason=data["reason"]
                ),
                "Denied. The legal hold is released.",
            )
        return self._back(pk)

    def withdraw_view(self, request, pk):
        if request.method != "POST":
            return self._back(pk)
        disclosure = self._get(request, pk)
        self._run(
            request,
            lambda: services.disclosure_withdraw(
                request=disclosure, actor=request.user, reason=request.POST.get("reason", "")
            ),
            "Withdrawn. The legal hold is released.",
        )
        return self._back(pk)

    def fulfil_view(self, request, pk):
        if request.method != "POST":
            return self._back(pk)
        disclosure = self._get(request, pk)
        self._run(
            request,
            lambda: services.disclosure_mark_fulfilled(request=disclosure, actor=request.user),
            "Marked as fulfilled. The legal hold is released; the package file will be deleted.",
        )
        return self._back(pk)

    def _log_package(self, request, disclosure, page):
        records = [disclosure, *disclosure.scopes.select_related("patron")]
        log_access(records, request=request, page=page, confidential=True)

    def package_view(self, request, pk):
        if not request.user.has_perm(services.DECIDE):
            raise PermissionDenied
        disclosure = self._get(request, pk)
        if not disclosure.package:
            raise Http404("No package (not approved, or already deleted).")
        self._log_package(request, disclosure, "admin:disclosures:package")
        response = FileResponse(
            disclosure.package.open("rb"),
            as_attachment=True,
            filename=f"disclosure-{disclosure.pk}.json",
            content_type="application/json",
        )
        response["Cache-Control"] = "no-store"
        return response

    def summary_view(self, request, pk):
        if not request.user.has_perm(services.DECIDE):
            raise PermissionDenied
        disclosure = self._get(request, pk)
        if not disclosure.package:
            raise Http404("No package (not approved, or already deleted).")
        with disclosure.package.open("rb") as handle:
            contents = json.load(handle)
        self._log_package(request, disclosure, "admin:disclosures:summary")
        counts = {
            card: {kind_label(kind): len(rows) for kind, rows in sections.items()}
            for card, sections in contents["patrons"].items()
        }
        released_at = datetime.datetime.fromisoformat(contents["released_at"])
        response = TemplateResponse(
            request,
            "admin/disclosures/disclosurerequest/summary.html",
            {
                "disclosure": disclosure,
                "contents": contents,
                "counts": counts,
                "released_at": released_at,
                "issued_on": _date(contents["request"]["issued_on"]),
                "period": [_date(day) for day in contents["request"]["period"]],
            },
        )
        response["Cache-Control"] = "no-store"
        return response

    def document_view(self, request, pk):
        if not request.user.has_perm(services.DECIDE):
            raise PermissionDenied
        disclosure = self._get(request, pk)
        if not disclosure.document:
            raise Http404("No document on file.")
        log_access(
            [disclosure], request=request, page="admin:disclosures:document", confidential=True
        )
        name = disclosure.document.name.rsplit("/", 1)[-1]
        response = FileResponse(disclosure.document.open("rb"), as_attachment=True, filename=name)
        response["Cache-Control"] = "no-store"
        return response


@admin.register(DisclosureScope)
class DisclosureScopeAdmin(PatronShownByCard, ReadOnlyAdmin, AccessAuditedAdmin, admin.ModelAdmin):
    """Patrons named in requests (read-only; administrators only)."""

    list_display = ("__str__", "request", "patron", "legal_hold")
    list_select_related = ("request", "patron", "legal_hold")
    search_fields = ("=patron__cards__number",)

    def has_module_permission(self, request):
        return request.user.has_perm(services.DECIDE)

    def has_view_permission(self, request, obj=None):
        return request.user.has_perm(services.DECIDE)
