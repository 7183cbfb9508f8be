"""The shelf check: sessions of scanning a branch's shelves and their report."""

from django.apps import AppConfig

from core.admin_site import Nav


class InventoryConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "inventory"
    verbose_name = "Inventory"
    #: The shelf check is catalog work.
    navigation = (Nav("Catalog", "inventory", 50), Nav("Catalog", "InventorySession", 51))
