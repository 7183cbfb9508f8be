"""The WSGI application with access logging switched off, for the benchmark's audit
overhead measure only (never deploy this): every module that imported `log_access` gets a
function that writes nothing."""

import importlib
import sys

from django.urls import get_resolver

from calumet.wsgi import application  # sets Django up first

audit = importlib.import_module("privacy.access")
get_resolver().url_patterns  # noqa: B018  (imports every view module now, not at first request)
_original = audit.log_access


def _no_access_log(records, **kwargs) -> int:
    return 0


for module in list(sys.modules.values()):
    if getattr(module, "log_access", None) is _original:
        module.log_access = _no_access_log

__all__ = ["application"]
