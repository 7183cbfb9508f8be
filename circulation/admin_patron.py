"""The patron's admin page as circulation extends it: the current loans, active holds and
unpaid fines at a glance, read-only (they change at the desk)."""

from django.contrib import admin

from patrons.admin import PatronAdmin as BasePatronAdmin
from patrons.models import Patron

from .models import (
    Fine,
    Hold,
    Loan,
)


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class CurrentLoanInline(ReadOnlyInline):
    model = Loan
    verbose_name_plural = "current loans"
    fields = ("item", "item_title", "checked_out_at", "due_at", "overdue", "renewals", "rule_used")
    readonly_fields = fields

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .filter(returned_at__isnull=True)
            .select_related("item__title", "rule__branch")
        )

    @admin.display(description="circulation rule")
    def rule_used(self, loan):
        """Which rule applied at check-out (the loan period, renewals and fines it set)."""
        if loan.rule is None:
            return "built-in defaults"
        return f"{loan.rule}: {loan.rule.scope} ({loan.rule.summary})"

    @admin.display(description="title")
    def item_title(self, loan):
        return loan.item.title.title

    @admin.display(description="overdue", boolean=True)
    def overdue(self, loan):
        return loan.is_overdue()


class ActiveHoldInline(ReadOnlyInline):
    model = Hold
    verbose_name_plural = "active holds"
    fk_name = "patron"
    fields = ("title", "status", "pickup_branch", "placed_at", "pickup_by")
    readonly_fields = fields

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .filter(status__in=Hold.ACTIVE_STATUSES)
            .select_related("title", "pickup_branch")
        )


class UnpaidFineInline(ReadOnlyInline):
    model = Fine
    verbose_name_plural = "unpaid fines"
    fields = ("reason", "amount", "amount_paid", "assessed_at")
    readonly_fields = fields

    def get_queryset(self, request):
        return super().get_queryset(request).filter(settled_at__isnull=True)


admin.site.unregister(Patron)


@admin.register(Patron)
class PatronAdmin(BasePatronAdmin):
    inlines = (*BasePatronAdmin.inlines, CurrentLoanInline, ActiveHoldInline, UnpaidFineInline)
    change_form_template = "admin/patrons/patron/change_form_with_desk.html"


# -- the desk pages, listed at the top of the Circulation section ---------------------------
