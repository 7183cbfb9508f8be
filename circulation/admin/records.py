"""The records of circulation in the staff admin: loans, holds, fines, programs and their
sign-ups, visits, computer sessions and notices. They change only through the desk pages
and the admin actions here, which call `circulation.services`; their raw change forms are
read-only for everyone but superusers."""

from django import forms
from django.contrib import admin
from django.template.response import TemplateResponse
from django.utils import timezone
from django.utils.formats import date_format

from circulation import services
from circulation.models import (
    ComputerSession,
    Fine,
    FinePayment,
    Hold,
    Loan,
    NoticePreference,
    NoticeSent,
    Program,
    ProgramRegistration,
    Visit,
)
from circulation.selectors import suspended_today
from core.admin_site import ReadOnlyAdmin
from core.paginator import EstimatedCountPaginator
from core.refusals import Refused, attempt_each
from privacy.access import AccessAuditedAdmin
from privacy.admin_patrons import PatronShownByCard


class OverdueFilter(admin.SimpleListFilter):
    title = "overdue"
    parameter_name = "overdue"

    def lookups(self, request, model_admin):
        return (("yes", "Overdue"),)

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.filter(returned_at__isnull=True, due_at__lt=timezone.now())
        return queryset


class ServiceOnlyAdmin(PatronShownByCard, AccessAuditedAdmin, admin.ModelAdmin):
    """Records that change only through services: read-only forms but for superusers,
    and lists that stay fast on large tables."""

    show_full_result_count = False
    list_per_page = 50
    paginator = EstimatedCountPaginator

    def has_add_permission(self, request):
        return request.user.is_superuser

    def has_change_permission(self, request, obj=None):
        if obj is not None:
            return request.user.is_superuser
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return request.user.is_superuser

    # A record's patron is shown by the card in use, masked ("card …0001"), linking to
    # the patron's page, as on the desk (not "Patron #12"): PatronShownByCard.


@admin.register(Loan)
class LoanAdmin(ServiceOnlyAdmin):
    list_display = (
        "__str__",
        "item",
        "patron",
        "branch",
        "checked_out_at",
        "due_at",
        "returned_at",
    )
    # A date filter, not a date hierarchy: the hierarchy's list of years reads every row.
    list_filter = (
        ("returned_at", admin.EmptyFieldListFilter),
        OverdueFilter,
        ("checked_out_at", admin.DateFieldListFilter),
        "branch",
    )
    search_fields = ("=item__barcode", "=patron__cards__number", "item__title__title")
    search_help_text = "Scan an item barcode or a card number, or search by title."
    autocomplete_fields = ("item", "patron")
    list_select_related = ("item", "patron", "branch")
    readonly_fields = (
        "checked_out_by",
        "overdue_notices_sent",
        "last_overdue_notice_at",
    )
    actions = ("renew_selected", "check_in_selected")

    @admin.action(description="Renew selected loans", permissions=["change"])
    def renew_selected(self, request, queryset):
        attempt_each(
            self,
            request,
            queryset.select_related("item", "patron"),
            lambda loan: services.loan_renew(loan=loan, actor=request.user),
            "loans renewed",
        )

    @admin.action(description="Check in selected loans", permissions=["change"])
    def check_in_selected(self, request, queryset):
        attempt_each(
            self,
            request,
            queryset.select_related("item"),
            lambda loan: _check_in_loan(loan, request.user),
            "items checked in",
        )


@admin.register(Hold)
class HoldAdmin(ServiceOnlyAdmin):
    list_display = (
        "__str__",
        "title",
        "patron",
        "pickup_branch",
        "state",
        "placed_at",
        "pickup_by",
    )
    list_filter = ("status", "pickup_branch")
    search_fields = ("=patron__cards__number", "title__title", "=item__barcode")
    search_help_text = "Scan a card number or item barcode, or search by title."
    autocomplete_fields = ("title", "patron", "item")
    list_select_related = ("title", "patron", "pickup_branch")
    actions = ("cancel_selected",)

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(suspended=suspended_today())

    @admin.display(description="Status", ordering="status")
    def state(self, hold):
        """The status, and for a hold passed over in the queue, until when."""
        if getattr(hold, "suspended", False):
            return f"Suspended until {date_format(hold.suspended_until, 'DATE_FORMAT')}"
        return hold.get_status_display()

    @admin.action(description="Cancel selected holds", permissions=["change"])
    def cancel_selected(self, request, queryset):
        attempt_each(
            self,
            request,
            queryset,
            lambda hold: services.hold_cancel(hold=hold, actor=request.user),
            "holds cancelled",
        )


def _check_in_loan(loan: Loan, actor):
    """Check in this loan's item, but only while this loan is the open one (an old,
    returned loan must not close another patron's current loan of the same copy)."""
    if loan.returned_at is not None:
        raise Refused("This item is not checked out.")
    return services.loan_return(barcode=loan.item.barcode, actor=actor)


class WaiveReasonForm(forms.Form):
    reason = forms.ChoiceField(label="Reason for waiving", choices=Fine.WaiveReason.choices)
    note = forms.CharField(label="Note (required for “Other”)", max_length=100, required=False)


@admin.register(Fine)
class FineAdmin(ServiceOnlyAdmin):
    list_display = (
        "__str__",
        "patron",
        "reason",
        "amount",
        "amount_paid",
        "assessed_at",
        "settled_at",
    )
    list_filter = ("reason", ("settled_at", admin.EmptyFieldListFilter))
    search_fields = ("=patron__cards__number", "=loan__item__barcode")
    search_help_text = "Scan a card number or the item's barcode."
    autocomplete_fields = ("patron", "loan")
    list_select_related = ("patron",)
    readonly_fields = ("waived_by",)
    actions = ("waive_selected",)

    def has_waive_permission(self, request):
        return request.user.has_perm("circulation.waive_fine")

    @admin.action(description="Waive selected fines…", permissions=["waive"])
    def waive_selected(self, request, queryset):
        """Asks for the reason on an intermediate page, then waives each fine."""
        if "apply" in request.POST:
            form = WaiveReasonForm(request.POST)
            if form.is_valid():
                reason, note = form.cleaned_data["reason"], form.cleaned_data["note"]
                attempt_each(
                    self,
                    request,
                    queryset,
                    lambda fine: services.fine_waive(
                        fine=fine, reason=reason, note=note, actor=request.user
                    ),
                    "fines waived",
                )
                return None
        else:
            form = WaiveReasonForm()
        context = {
            **self.admin_site.each_context(request),
            "title": "Waive fines",
            "opts": self.model._meta,
            "form": form,
            "fines": queryset,
            "action": "waive_selected",
            "selected": request.POST.getlist(admin.helpers.ACTION_CHECKBOX_NAME),
        }
        return TemplateResponse(request, "admin/circulation/fine/waive.html", context)


class ProgramRegistrationInline(PatronShownByCard, admin.TabularInline):
    model = ProgramRegistration
    extra = 0
    fields = ("patron", "status", "attended", "registered_at")
    readonly_fields = ("patron", "status", "attended", "registered_at")
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Program)
class ProgramAdmin(AccessAuditedAdmin, admin.ModelAdmin):
    list_display = (
        "name",
        "branch",
        "starts_at",
        "capacity",
        "registration_count",
        "attendance_count",
    )
    list_filter = ("branch", "audience")
    search_fields = ("name",)
    date_hierarchy = "starts_at"
    readonly_fields = ("registration_count", "attendance_count")
    inlines = (ProgramRegistrationInline,)


@admin.register(ProgramRegistration)
class ProgramRegistrationAdmin(ServiceOnlyAdmin):
    list_display = ("__str__", "program", "patron", "status", "attended", "registered_at")
    list_filter = ("status", "attended", "program__branch")
    search_fields = ("=patron__cards__number", "program__name")
    search_help_text = "Scan a card number, or search by program name."
    autocomplete_fields = ("program", "patron")
    list_select_related = ("program", "patron")
    actions = ("mark_attended", "cancel_selected")

    @admin.action(description="Mark selected as attended", permissions=["change"])
    def mark_attended(self, request, queryset):
        attempt_each(
            self,
            request,
            queryset,
            lambda r: services.program_mark_attended(registration=r, actor=request.user),
            "marked attended",
        )

    @admin.action(description="Cancel selected sign-ups", permissions=["change"])
    def cancel_selected(self, request, queryset):
        attempt_each(
            self,
            request,
            queryset,
            lambda r: services.program_cancel_registration(registration=r, actor=request.user),
            "sign-ups cancelled",
        )


@admin.register(Visit)
class VisitAdmin(ServiceOnlyAdmin):
    list_display = ("__str__", "patron", "branch", "visited_at")
    list_filter = ("branch",)
    search_fields = ("=patron__cards__number",)
    search_help_text = "Scan a card number."
    autocomplete_fields = ("patron",)
    list_select_related = ("patron", "branch")


@admin.register(FinePayment)
class PaymentAdmin(ServiceOnlyAdmin):
    """Payments taken at the desk: receipt number, method, what was paid."""

    list_display = ("number", "patron", "kind", "amount", "method", "branch", "taken_at")
    list_filter = ("method", "branch", "kind")
    search_fields = ("=number", "=patron__cards__number")
    search_help_text = "Type a receipt number or scan a card number."
    list_select_related = ("patron", "branch")


class NoticeResultFilter(admin.SimpleListFilter):
    title = "result"
    parameter_name = "result"

    def lookups(self, request, model_admin):
        return (("sent", "Sent"), ("failed", "Failed"))

    def queryset(self, request, queryset):
        if self.value() in ("sent", "failed"):
            return queryset.filter(ok=self.value() == "sent")
        return queryset


@admin.register(NoticeSent)
class NoticeSentAdmin(ReadOnlyAdmin, ServiceOnlyAdmin):
    """Per patron and per day, whether a notice went out (never what it said). The worker
    writes the rows and the expunge deletes them; the patron is shown by card."""

    list_display = ("notice", "patron_card", "sent_on", "result")
    list_display_links = ("notice",)
    list_filter = ("kind", NoticeResultFilter, ("day", admin.DateFieldListFilter))
    search_fields = ("=patron__cards__number",)
    search_help_text = "Scan a card number."
    list_select_related = ("patron",)
    fields = ("notice", "patron_card", "sent_on", "result")
    readonly_fields = fields

    @admin.display(description="Notice", ordering="kind")
    def notice(self, obj):
        return obj.get_kind_display()

    @admin.display(description="Day", ordering="day")
    def sent_on(self, obj):
        return date_format(timezone.localdate(obj.day), "DATE_FORMAT")

    @admin.display(description="Result", ordering="ok")
    def result(self, obj):
        return "Sent" if obj.ok else "Failed"


@admin.register(NoticePreference)
class NoticePreferenceAdmin(ServiceOnlyAdmin):
    """The optional notices a patron turned off (changed by the patron in the portal)."""

    list_display = ("__str__", "patron", "courtesy", "card_expiry")
    list_select_related = ("patron",)


@admin.register(ComputerSession)
class ComputerSessionAdmin(ServiceOnlyAdmin):
    list_display = ("__str__", "patron", "branch", "workstation", "started_at", "ended_at")
    list_filter = ("branch", ("ended_at", admin.EmptyFieldListFilter))
    search_fields = ("=patron__cards__number", "workstation")
    search_help_text = "Scan a card number, or search by computer label."
    autocomplete_fields = ("patron",)
    list_select_related = ("patron", "branch")
    actions = ("end_selected",)

    @admin.action(description="End selected sessions", permissions=["change"])
    def end_selected(self, request, queryset):
        attempt_each(
            self,
            request,
            queryset,
            lambda s: services.computer_session_end(session=s, actor=request.user),
            "sessions ended",
        )


# -- the patron's page shows their current records -----------------------------------------
