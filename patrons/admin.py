from django.contrib import admin, messages

from patrons.access import AccessAuditedAdmin

from . import (
    audit_reports,  # noqa: F401  (the audit log's admin and the audit reports)
    services,
)
from .exceptions import Refused
from .models import Card, ExpungeRun, LegalHold, Patron, PatronBlock, RetentionPolicy
from .policy import RULES_BY_KIND


class CardInline(admin.TabularInline):
    model = Card
    extra = 0
    fields = ("number", "status", "issued_at", "status_changed_at")
    readonly_fields = ("status_changed_at",)


class PatronBlockInline(admin.TabularInline):
    model = PatronBlock
    extra = 0
    fields = ("reason", "note", "starts_at", "ends_at", "lifted_at")


@admin.register(Patron)
class PatronAdmin(AccessAuditedAdmin, admin.ModelAdmin):
    list_display = (
        "__str__",
        "last_name",
        "first_name",
        "category",
        "home_branch",
        "card_expires_on",
        "status",
    )
    list_display_links = ("__str__", "last_name")
    list_filter = ("status", "category", "home_branch", "keep_reading_history")
    # "=cards__number": a scanned card matches exactly, not as a substring.
    search_fields = ("=cards__number", "last_name", "first_name", "=email", "=phone")
    search_help_text = "Scan or type a full card number, or search by name, email or phone."
    list_select_related = ("home_branch",)
    show_full_result_count = False
    inlines = (CardInline, PatronBlockInline)
    readonly_fields = ("registered_at", "last_activity_at", "pin_changed_at")
    fieldsets = (
        ("Name", {"fields": (("first_name", "last_name"), "birth_date")}),
        (
            "Contact",
            {
                "fields": (
                    "email",
                    "phone",
                    "address_line1",
                    "address_line2",
                    ("city", "postal_code"),
                )
            },
        ),
        (
            "Membership",
            {
                "fields": (
                    ("category", "home_branch"),
                    ("card_expires_on", "status"),
                    "keep_reading_history",
                    ("registered_at", "last_activity_at", "pin_changed_at"),
                )
            },
        ),
    )


@admin.register(Card)
class CardAdmin(AccessAuditedAdmin, admin.ModelAdmin):
    list_display = ("__str__", "number", "patron", "status", "issued_at")
    list_filter = ("status",)
    search_fields = ("=number",)
    search_help_text = "Scan or type the full card number."
    autocomplete_fields = ("patron",)
    list_select_related = ("patron",)
    show_full_result_count = False


@admin.register(PatronBlock)
class PatronBlockAdmin(AccessAuditedAdmin, admin.ModelAdmin):
    list_display = ("__str__", "patron", "reason", "starts_at", "ends_at", "lifted_at")
    list_filter = ("reason", ("lifted_at", admin.EmptyFieldListFilter))
    search_fields = ("=patron__cards__number",)
    search_help_text = "Scan or type the patron's full card number."
    autocomplete_fields = ("patron",)
    list_select_related = ("patron",)
    readonly_fields = ("created_by", "lifted_by")


@admin.register(RetentionPolicy)
class RetentionPolicyAdmin(admin.ModelAdmin):
    list_display = ("record_kind", "days", "default_days", "updated_at")
    list_editable = ()
    fields = ("record_kind", "days", "default_days", "updated_at")
    readonly_fields = ("record_kind", "default_days", "updated_at")

    @admin.display(description="Record kind")
    def record_kind(self, obj):
        return str(obj)

    @admin.display(description="Default days")
    def default_days(self, obj):
        rule = RULES_BY_KIND.get(obj.kind)
        return rule.default_days if rule else "—"

    def has_add_permission(self, request):
        return False  # one row per record kind, created by migration

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(ExpungeRun)
class ExpungeRunAdmin(admin.ModelAdmin):
    list_display = ("__str__", "started_at", "finished_at", "dry_run", "trigger")
    list_filter = ("dry_run", "trigger")
    readonly_fields = ("started_at", "finished_at", "dry_run", "trigger", "counts")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(LegalHold)
class LegalHoldAdmin(AccessAuditedAdmin, admin.ModelAdmin):
    """Holds are set by disclosure requests (or by hand, for litigation) and released
    through the service; while unreleased, the expunge skips the records they cover."""

    list_display = (
        "__str__",
        "patron",
        "kinds",
        "covers_from",
        "reference",
        "set_at",
        "released_at",
    )
    list_filter = (("released_at", admin.EmptyFieldListFilter),)
    search_fields = ("=patron__cards__number", "reference")
    search_help_text = "Scan the patron's card number, or search by reference."
    autocomplete_fields = ("patron",)
    readonly_fields = ("set_at", "set_by", "released_at", "released_by")
    list_select_related = ("patron",)
    actions = ("release_selected",)

    def get_readonly_fields(self, request, obj=None):
        if obj is not None:  # a hold is never edited, only released
            return [field.name for field in self.model._meta.fields]
        return self.readonly_fields

    def save_model(self, request, obj, form, change):
        if not change:
            obj.set_by = request.user
        super().save_model(request, obj, form, change)

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.action(description="Release selected legal holds", permissions=["change"])
    def release_selected(self, request, queryset):
        released = 0
        for hold in queryset:
            try:
                services.legal_hold_release(hold=hold, actor=request.user)
            except Refused as refusal:
                self.message_user(request, f"{hold}: {refusal.message}", messages.WARNING)
            else:
                released += 1
        if released:
            self.message_user(request, f"{released} legal holds released.", messages.SUCCESS)
