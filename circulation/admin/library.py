"""Circulation in the staff admin: branches, their calendar and rules, the catalog, daily
counts, and the desk pages. The records of circulation are in `records.py`, the
patron page's part in `patron.py`."""

from django import forms
from django.contrib import admin, messages
from django.db import models
from django.db.models import Q
from django.forms.models import BaseInlineFormSet
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.text import capfirst

from circulation import services
from circulation.admin import (  # noqa: F401  (they register admins and pages)
    patron,
    records,
    rules_matrix,
)
from circulation.desk import (  # noqa: F401  (they register the desk's pages)
    lost_damaged,
    pull,
    reading_history,
    returns,
    scanning,
    slips,
    transit,
    visits,
)
from circulation.models import (
    Branch,
    BranchClosure,
    CirculationRule,
    Item,
    LibraryPolicy,
    OpeningHours,
    Title,
    VisitCount,
)
from core.admin_site import AdminPage
from core.refusals import Refused, attempt_each

#: How a closed day with no branch reads to staff: every branch is closed that day.
ALL_BRANCHES = "All branches"


def weekdays_entered(branch: Branch | None) -> set[int]:
    """The weekdays a branch has opening hours for (none for a branch being added)."""
    if branch is None or branch.pk is None:
        return set()
    return set(branch.hours.values_list("weekday", flat=True))


class LabelledRows(BaseInlineFormSet):
    """Rows of a tabular inline, whose fields have no label of their own (the column heads
    name them): each field is named to assistive technology by its column (WCAG 1.3.1)."""

    def add_fields(self, form, index):
        super().add_fields(form, index)
        for name, field in form.fields.items():
            if not field.widget.is_hidden:
                field.widget.attrs.setdefault("aria-label", capfirst(field.label or name))


class OpeningHoursInline(admin.TabularInline):
    """A row per weekday the branch is open; a weekday with no row is closed (a branch
    with no rows at all counts as open every day). Blank rows for the weekdays not yet
    entered, so that a whole week can be entered without JavaScript. Times in the
    browser's own time field, as hours and minutes."""

    model = OpeningHours
    formset = LabelledRows
    max_num = 7
    formfield_overrides = {
        models.TimeField: {"widget": forms.TimeInput(attrs={"type": "time"}, format="%H:%M")}
    }

    def get_extra(self, request, obj=None, **kwargs):
        return 7 - len(weekdays_entered(obj))


class BranchClosureInline(admin.TabularInline):
    """The closed days of this branch only (those of every branch: Closed days)."""

    model = BranchClosure
    formset = LabelledRows
    extra = 1


@admin.register(BranchClosure)
class BranchClosureAdmin(admin.ModelAdmin):
    """Closed days: one-off dates, or yearly holidays; no branch = all branches."""

    list_display = ("when", "reason", "branch")
    list_filter = ("yearly", "branch")
    list_select_related = ("branch",)
    empty_value_display = ALL_BRANCHES  # the list's Branch column and its filter
    # A link to the month calendar of closed days (`circulation/admin/closed_days.py`).
    change_list_template = "admin/circulation/branchclosure/change_list.html"

    @admin.display(description="Date", ordering="date")
    def when(self, closure):
        return f"Every {closure.date:%B} {closure.date.day}" if closure.yearly else closure.date

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "branch":
            kwargs["empty_label"] = ALL_BRANCHES
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


@admin.register(Branch)
class BranchAdmin(admin.ModelAdmin):
    inlines = (OpeningHoursInline, BranchClosureInline)
    list_display = ("name", "code", "phone")
    search_fields = ("name", "code")
    readonly_fields = ("closed_days_of_all_branches",)

    def get_formset_kwargs(self, request, obj, inline, prefix):
        """The blank opening-hours rows are already set to the weekdays not entered."""
        kwargs = super().get_formset_kwargs(request, obj, inline, prefix)
        if isinstance(inline, OpeningHoursInline):
            entered = weekdays_entered(obj)
            kwargs["initial"] = [{"weekday": day} for day in range(7) if day not in entered]
        return kwargs

    @admin.display(description="Closed days of all branches")
    def closed_days_of_all_branches(self, branch):
        """The coming and yearly ones, with where to edit them (a link of its own: the
        admin's links are not underlined, so not inside a sentence)."""
        today = timezone.localdate()
        days = list(
            BranchClosure.objects.filter(branch__isnull=True).filter(
                Q(yearly=True) | Q(date__gte=today)
            )
        )
        listed = format_html_join("", "<li>{}</li>", ((day,) for day in days))
        url = reverse("admin:circulation_branchclosure_changelist") + "?branch__isnull=True"
        return format_html(
            '{}<p><a href="{}">Edit the closed days of all branches</a></p>',
            format_html("<ul>{}</ul>", listed) if days else "None.",
            url,
        )


@admin.register(CirculationRule)
class CirculationRuleAdmin(admin.ModelAdmin):
    """The rules as rows to edit; the matrix page shows which applies to each cell."""

    list_display = (
        "__str__",
        "patron_category",
        "item_type",
        "branch",
        "loan_days",
        "max_renewals",
        "daily_fine",
        "grace_days",
        "max_fine",
        "max_loans",
        "max_holds",
        "holdable",
    )
    list_filter = ("branch", "patron_category", "item_type")
    list_select_related = ("branch", "patron_category")


@admin.register(LibraryPolicy)
class LibraryPolicyAdmin(admin.ModelAdmin):
    """The library's policy: one row, changed through `library_policy_update`."""

    list_display = ("__str__", "max_balance", "hold_pickup_days", "lost_after_days", "updated_at")

    fieldsets = (
        ("Check-out and holds", {"fields": ("max_balance", "hold_pickup_days")}),
        ("Renewals", {"fields": ("renew_overdue_limit_days", "renew_overdue_charge")}),
        (
            "Fines and lost items",
            {
                "fields": (
                    "fines_skip_closed_days",
                    "lost_after_days",
                    "default_replacement_cost",
                    "lost_processing_fee",
                    "lost_found_refund",
                )
            },
        ),
        ("Transit", {"fields": ("transit_overdue_days",)}),
        ("Notices", {"fields": ("courtesy_notice_days", "card_expiry_notice_days")}),
        ("History", {"fields": ("updated_at",)}),
    )
    readonly_fields = ("updated_at",)

    def has_add_permission(self, request):
        return False  # one row, created by migration (or by the first change)

    def has_delete_permission(self, request, obj=None):
        return False

    def get_object(self, request, object_id, from_field=None):
        # The row's defaults when a database has none yet; the service creates it.
        return super().get_object(request, object_id, from_field) or (
            LibraryPolicy() if str(object_id) == "1" else None
        )

    def save_model(self, request, obj, form, change):
        changes = {name: form.cleaned_data[name] for name in form.changed_data}
        try:
            services.library_policy_update(actor=request.user, changes=changes)
        except Refused as refusal:  # only if the row changed under the form: nothing saved
            messages.error(request, refusal.message)


class ItemInline(admin.TabularInline):
    model = Item
    extra = 0
    fields = ("barcode", "branch", "item_type", "call_number", "status")
    readonly_fields = ("status",)  # changed by the desk's services only


@admin.register(Title)
class TitleAdmin(admin.ModelAdmin):
    list_display = ("title", "author", "publication_year", "isbn", "call_number")
    search_fields = ("title", "author", "=isbn", "=items__barcode")
    search_help_text = "Search by title or author, or scan an ISBN or item barcode."
    list_filter = ("audience", "items__branch")
    show_full_result_count = False
    inlines = (ItemInline,)


@admin.register(Item)
class ItemAdmin(admin.ModelAdmin):
    list_display = ("barcode", "title", "branch", "item_type", "status")
    #: A copy's status changes only through the desk's services (check-in, transit, lost
    #: and damaged): set by hand, a copy on loan could read "available".
    readonly_fields = ("status",)
    list_filter = ("status", "branch", "item_type")
    search_fields = ("=barcode", "title__title", "title__author")
    search_help_text = "Scan a barcode, or search by title or author."
    autocomplete_fields = ("title",)
    list_select_related = ("title", "branch")
    show_full_result_count = False
    actions = ("declare_lost", "declare_damaged")

    def has_declare_lost_permission(self, request):
        return request.user.has_perm("circulation.declare_item_lost")

    @admin.action(
        description="Declare lost (charges the borrower of a copy on loan)",
        permissions=["declare_lost"],
    )
    def declare_lost(self, request, queryset):
        attempt_each(
            self,
            request,
            queryset,
            lambda item: services.item_declare_lost(barcode=item.barcode, actor=request.user),
            "items declared lost",
        )

    @admin.action(
        description="Declare damaged (out of circulation, no charge)", permissions=["change"]
    )
    def declare_damaged(self, request, queryset):
        attempt_each(
            self,
            request,
            queryset,
            lambda item: services.item_declare_damaged(barcode=item.barcode, actor=request.user),
            "items declared damaged",
        )


@admin.register(VisitCount)
class VisitCountAdmin(admin.ModelAdmin):
    list_display = ("day", "branch", "count")
    list_filter = ("branch",)
    date_hierarchy = "day"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


_DESK_PAGES = (
    ("checkout", "Check out", scanning.checkout_view, "circulation.add_loan"),
    ("checkin", "Check in", returns.checkin_view, "circulation.change_loan"),
    ("renew", "Renew", returns.renew_view, "circulation.change_loan"),
    ("hold-shelf", "Hold shelf", returns.hold_shelf_view, "circulation.change_hold"),
    ("payment", "Take payment", scanning.payment_view, "circulation.change_fine"),
)
for position, (slug, label, view, permission) in enumerate(_DESK_PAGES):
    admin.site.register_page(
        AdminPage("circulation", slug, label, view, permission, order=-position)
    )
admin.site.register_page(
    AdminPage(
        "circulation",
        "serve-patron",
        "Serve patron",
        scanning.serve_patron_view,
        "circulation.view_loan",
        listed=False,
    )
)
