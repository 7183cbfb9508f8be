"""The shelf check's pages on the staff site (views in `inventory/views.py`)."""

from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html

from core.admin_site import AdminPage, ReadOnlyAdmin
from inventory import views
from inventory.models import InventorySession

admin.site.register_page(
    AdminPage("inventory", "inventory", "Inventory", views.inventory_view, views.PERMISSION)
)
for slug, label, view in (
    ("inventory-session", "Inventory session", views.session_view),
    ("inventory-report", "Inventory report", views.report_view),
    ("inventory-csv", "Inventory CSV", views.csv_view),
):
    admin.site.register_page(
        AdminPage("inventory", slug, label, view, views.PERMISSION, listed=False)
    )


@admin.register(InventorySession)
class InventorySessionAdmin(ReadOnlyAdmin, admin.ModelAdmin):
    """The sessions as a list; each opens its page (scans are made there, not here)."""

    list_display = (
        "__str__",
        "branch",
        "range_label",
        "started_on",
        "status",
        "closed_on",
        "open_link",
    )
    list_filter = ("status", "branch")
    list_select_related = ("branch",)

    @admin.display(description="Range")
    def range_label(self, obj):
        return obj.range_label

    @admin.display(description="Page")
    def open_link(self, obj):
        url = f"{reverse('admin:inventory_inventory_session')}?session={obj.pk}"
        return format_html('<a href="{}">Open</a>', url)
