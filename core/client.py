"""The client's address, believed from X-Forwarded-For only behind a trusted proxy.

One function for every part of the site that needs the address: the audit log, the
sign-in lockout (django-axes) and the access entries.
"""

from __future__ import annotations

import ipaddress

from django.conf import settings


def _trusted(address: str) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    for entry in settings.CALUMET_TRUSTED_PROXIES:
        try:
            if ip in ipaddress.ip_network(entry, strict=False):
                return True
        except ValueError:
            continue
    return False


def client_ip(request) -> str | None:
    """The client's address. `X-Forwarded-For` is believed only when the request came
    from a proxy listed in CALUMET_TRUSTED_PROXIES, and then only up to the first hop
    that is not itself a trusted proxy."""
    remote = request.META.get("REMOTE_ADDR") or None
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    if not remote or not forwarded or not _trusted(remote):
        return remote
    hops = [hop.strip() for hop in forwarded.split(",") if hop.strip()]
    for hop in reversed(hops):
        try:
            ipaddress.ip_address(hop)
        except ValueError:
            return remote  # a malformed header: keep the address we can vouch for
        if not _trusted(hop):
            return hop
    return hops[0] if hops else remote
