"""System checks of the SIP2 settings: a wrong value is an error before the server starts."""

from django.conf import settings
from django.core.checks import Error, register

NAME_CHOICES = ("full", "initial", "none")


@register()
def sip2_settings(app_configs=None, **kwargs):
    errors = []
    if settings.CALUMET_SIP2_PATRON_NAME not in NAME_CHOICES:
        errors.append(
            Error(
                "CALUMET_SIP2_PATRON_NAME must be full, initial or none.",
                id="sip2.E001",
            )
        )
    if bool(settings.CALUMET_SIP2_CERT) != bool(settings.CALUMET_SIP2_KEY):
        errors.append(
            Error(
                "Set both CALUMET_SIP2_CERT and CALUMET_SIP2_KEY, or neither.",
                id="sip2.E002",
            )
        )
    if settings.CALUMET_SIP2_OFFLINE_MAX_HOURS < 0:
        errors.append(Error("CALUMET_SIP2_OFFLINE_MAX_HOURS must be 0 or more.", id="sip2.E003"))
    return errors
