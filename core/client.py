"""The client's address, believed from X-Forwarded-For only behind a trusted proxy.

One function for every part of the site that needs the address: the audit log, the
sign-in lockout (django-axes) and the access entries. The lockouts count by
`lockout_address`: the same address, except that an IPv6 client counts as its network
(a /64 by default, `CALUMET_LOCKOUT_IPV6_PREFIX`), since one home or one machine is given
a whole /64 and can take a new address from it for every attempt.
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


def address_network(address: str | None) -> str | None:
    """The address as the lockouts count it: an IPv4 address as it is (an IPv4 address
    written as IPv6, `::ffff:a.b.c.d`, as that IPv4 address); an IPv6 address as the first
    address of its network of CALUMET_LOCKOUT_IPV6_PREFIX bits (64: `2001:db8:1:2::`)."""
    if not address:
        return None
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return address
    if ip.version == 4:
        return str(ip)
    if ip.ipv4_mapped is not None:
        return str(ip.ipv4_mapped)
    prefix = settings.CALUMET_LOCKOUT_IPV6_PREFIX
    return str(ipaddress.ip_network(f"{ip}/{prefix}", strict=False).network_address)


def lockout_address(request) -> str | None:
    """`client_ip`, as the sign-in and PIN-reset lockouts count it (`address_network`):
    AXES_CLIENT_IP_CALLABLE, and every counter of our own. The audit log and the access
    entries keep the address itself (`client_ip`)."""
    return address_network(client_ip(request))
