"""The disclosure register: demands for patron records and the administrator's decision."""

from django.apps import AppConfig

from core.admin_site import Nav


class DisclosuresConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "disclosures"
    verbose_name = "Disclosures"
    #: Where its models are in the staff navigation.
    navigation = (
        Nav("Privacy and audit", "DisclosureRequest", 0),
        Nav("Privacy and audit", "DisclosureScope", 10),
    )

    def ready(self) -> None:
        from disclosures import services  # noqa: PLC0415 (uses models)
        from privacy.retention import register_cleanup  # noqa: PLC0415 (uses models)

        register_cleanup("disclosure_package", services.packages_delete_expired)
        register_cleanup("disclosure_request", services.requests_delete_expired)
