"""The admin of what hangs off a patron's registration: cards (issued and replaced from
the patron's page, so read-only here), blocks (placed and lifted through the services)
and the patron categories the library administrator names."""

from django.contrib import admin

from core.admin_site import ServiceAdmin
from patrons.accounts import block_lift, block_place
from patrons.models import Card, PatronBlock, PatronCategory
from patrons.services import patron_category_save
from privacy.access import AccessAuditedAdmin
from privacy.admin_patrons import PatronShownByCard, shown_by_card


@admin.register(Card)
class CardAdmin(PatronShownByCard, AccessAuditedAdmin, admin.ModelAdmin):
    list_display = ("__str__", "number", "patron", "status", "issued_at")
    list_filter = ("status",)
    search_fields = ("=number",)
    search_help_text = "Scan or type the full card number."
    autocomplete_fields = ("patron",)
    list_select_related = ("patron",)
    show_full_result_count = False

    # Cards are issued at registration and replaced from the patron's page.
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(PatronBlock)
class PatronBlockAdmin(PatronShownByCard, AccessAuditedAdmin, admin.ModelAdmin):
    list_display = ("__str__", "patron", "reason", "starts_at", "ends_at", "lifted_at")
    list_filter = ("reason", ("lifted_at", admin.EmptyFieldListFilter))
    search_fields = ("=patron__cards__number",)
    search_help_text = "Scan or type the patron's full card number."
    autocomplete_fields = ("patron",)
    list_select_related = ("patron",)
    readonly_fields = ("created_by", "lifted_by", "lifted_at", "starts_at")
    fields = (
        "patron",
        "reason",
        "note",
        "starts_at",
        "ends_at",
        "lifted_at",
        "created_by",
        "lifted_by",
    )
    actions = ("lift_blocks",)

    def get_readonly_fields(self, request, obj=None):
        if obj is not None:  # a block is lifted, never edited
            return shown_by_card(self.fields)
        return self.readonly_fields

    def save_model(self, request, obj, form, change):
        if change:
            return
        placed = block_place(
            patron=obj.patron,
            reason=obj.reason,
            note=obj.note,
            ends_at=obj.ends_at,
            actor=request.user,
        )
        obj.pk = placed.pk

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.action(description="Lift the selected blocks", permissions=["change"])
    def lift_blocks(self, request, queryset):
        lifted = 0
        for block in queryset.filter(lifted_at__isnull=True):
            block_lift(block=block, actor=request.user)
            lifted += 1
        self.message_user(request, f"{lifted} block{'s' if lifted != 1 else ''} lifted.")


@admin.register(PatronCategory)
class PatronCategoryAdmin(ServiceAdmin, admin.ModelAdmin):
    """Categories are the library administrator's to name; a code in use stays (the
    statistics count under it), so it cannot be changed or a used category deleted."""

    list_display = ("name", "code")
    search_fields = ("name", "code")
    services = {PatronCategory: (patron_category_save, None)}  # never deleted

    def get_readonly_fields(self, request, obj=None):
        return ("code",) if obj is not None else ()

    def has_delete_permission(self, request, obj=None):
        return False
