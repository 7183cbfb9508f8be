from django.contrib import admin

from .models import (
    Branch,
    ComputerSession,
    Fine,
    Hold,
    Item,
    Loan,
    Program,
    ProgramRegistration,
    Title,
    Visit,
    VisitCount,
)


@admin.register(Branch)
class BranchAdmin(admin.ModelAdmin):
    list_display = ("name", "code", "phone")
    search_fields = ("name", "code")


class ItemInline(admin.TabularInline):
    model = Item
    extra = 0
    fields = ("barcode", "branch", "item_type", "call_number", "status")


@admin.register(Title)
class TitleAdmin(admin.ModelAdmin):
    list_display = ("title", "author", "publication_year", "isbn", "call_number")
    search_fields = ("title", "author", "=isbn", "=items__barcode")
    search_help_text = "Search by title or author, or scan an ISBN or item barcode."
    list_filter = ("items__branch",)
    show_full_result_count = False
    inlines = (ItemInline,)


@admin.register(Item)
class ItemAdmin(admin.ModelAdmin):
    list_display = ("barcode", "title", "branch", "item_type", "status")
    list_filter = ("status", "branch", "item_type")
    search_fields = ("=barcode", "title__title", "title__author")
    search_help_text = "Scan a barcode, or search by title or author."
    autocomplete_fields = ("title",)
    list_select_related = ("title", "branch")
    show_full_result_count = False


class OverdueFilter(admin.SimpleListFilter):
    title = "overdue"
    parameter_name = "overdue"

    def lookups(self, request, model_admin):
        return (("yes", "Overdue"),)

    def queryset(self, request, queryset):
        from django.utils import timezone

        if self.value() == "yes":
            return queryset.filter(returned_at__isnull=True, due_at__lt=timezone.now())
        return queryset


class PatronRecordAdmin(admin.ModelAdmin):
    """Shared defaults for lists of patron-linked records, which can be long."""

    show_full_result_count = False
    list_per_page = 50


@admin.register(Loan)
class LoanAdmin(PatronRecordAdmin):
    list_display = (
        "__str__",
        "item",
        "patron",
        "branch",
        "checked_out_at",
        "due_at",
        "returned_at",
    )
    list_filter = (("returned_at", admin.EmptyFieldListFilter), OverdueFilter, "branch")
    search_fields = ("=item__barcode", "=patron__cards__number", "item__title__title")
    search_help_text = "Scan an item barcode or a card number, or search by title."
    autocomplete_fields = ("item", "patron")
    list_select_related = ("item", "patron", "branch")
    date_hierarchy = "checked_out_at"
    readonly_fields = ("anonymised_at", "checked_out_by")


@admin.register(Hold)
class HoldAdmin(PatronRecordAdmin):
    list_display = (
        "__str__",
        "title",
        "patron",
        "pickup_branch",
        "status",
        "placed_at",
        "pickup_by",
    )
    list_filter = ("status", "pickup_branch")
    search_fields = ("=patron__cards__number", "title__title", "=item__barcode")
    search_help_text = "Scan a card number or item barcode, or search by title."
    autocomplete_fields = ("title", "patron", "item")
    list_select_related = ("title", "patron", "pickup_branch")


@admin.register(Fine)
class FineAdmin(PatronRecordAdmin):
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
    readonly_fields = ("anonymised_at", "waived_by")


class ProgramRegistrationInline(admin.TabularInline):
    model = ProgramRegistration
    extra = 0
    fields = ("patron", "status", "attended", "registered_at")
    autocomplete_fields = ("patron",)


@admin.register(Program)
class ProgramAdmin(admin.ModelAdmin):
    list_display = (
        "name",
        "branch",
        "starts_at",
        "capacity",
        "registration_count",
        "attendance_count",
    )
    list_filter = ("branch",)
    search_fields = ("name",)
    date_hierarchy = "starts_at"
    inlines = (ProgramRegistrationInline,)


@admin.register(ProgramRegistration)
class ProgramRegistrationAdmin(PatronRecordAdmin):
    list_display = ("__str__", "program", "patron", "status", "attended", "registered_at")
    list_filter = ("status", "attended", "program__branch")
    search_fields = ("=patron__cards__number", "program__name")
    search_help_text = "Scan a card number, or search by program name."
    autocomplete_fields = ("program", "patron")
    list_select_related = ("program", "patron")


@admin.register(Visit)
class VisitAdmin(PatronRecordAdmin):
    list_display = ("__str__", "patron", "branch", "visited_at")
    list_filter = ("branch",)
    search_fields = ("=patron__cards__number",)
    search_help_text = "Scan a card number."
    autocomplete_fields = ("patron",)
    list_select_related = ("patron", "branch")


@admin.register(VisitCount)
class VisitCountAdmin(admin.ModelAdmin):
    list_display = ("day", "branch", "count")
    list_filter = ("branch",)
    date_hierarchy = "day"


@admin.register(ComputerSession)
class ComputerSessionAdmin(PatronRecordAdmin):
    list_display = ("__str__", "patron", "branch", "workstation", "started_at", "ended_at")
    list_filter = ("branch", ("ended_at", admin.EmptyFieldListFilter))
    search_fields = ("=patron__cards__number", "workstation")
    search_help_text = "Scan a card number, or search by computer label."
    autocomplete_fields = ("patron",)
    list_select_related = ("patron", "branch")
