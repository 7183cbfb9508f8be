"""The SIP2 server for self-check kiosks, sorters and PC-reservation systems."""

from django.apps import AppConfig
from django.utils.translation import gettext_noop

from core.admin_site import Nav


class Sip2Config(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "sip2"
    verbose_name = "Self-check (SIP2)"
    #: Where its models are in the staff navigation.
    navigation = (
        Nav("Settings", "Terminal", 70),
        Nav("Settings", "TerminalEvent", 80),
        Nav("Settings", "SortBin", 85),
    )

    def ready(self) -> None:
        # These use models, which exist only once the apps are loaded.
        from privacy.access import register_purpose  # noqa: PLC0415
        from sip2 import checks  # noqa: F401, PLC0415  (registers the settings check)
        from staff.roles import LIBRARY_ADMINISTRATOR, grant, perms  # noqa: PLC0415

        # Library administrators manage the terminal accounts and read their events.
        grant(
            LIBRARY_ADMINISTRATOR,
            [
                *perms("sip2", "terminal", "view", "add", "change", "delete"),
                *perms("sip2", "terminalevent", "view"),
                *perms("sip2", "sortbin", "view", "add", "change", "delete"),
            ],
        )
        # What a terminal was doing, in the patron's words on "who has looked".
        register_purpose("sip2:patron", gettext_noop("to check your account"))
        register_purpose("sip2:checkout", gettext_noop("to check out an item"))
        register_purpose("sip2:checkin", gettext_noop("to return an item"))
        register_purpose("sip2:renew", gettext_noop("to renew loans"))
        register_purpose("sip2:fee", gettext_noop("to take a payment"))
        register_purpose("sip2:block_patron", gettext_noop("to block your card"))
        register_purpose("sip2:patron_enable", gettext_noop("to unblock your card"))
        register_purpose("sip2:hold", gettext_noop("to place or cancel a hold"))
