"""Which network addresses a webhook may reach, and the refusal raised for a URL that may not be used."""

from __future__ import annotations

from enum import StrEnum
from ipaddress import IPv4Address, IPv4Network, IPv6Address, IPv6Network, ip_address

from tradeplane.contracts.errors import CodedError

_CGNAT = IPv4Network("100.64.0.0/10")
_NAT64 = IPv6Network("64:ff9b::/96")

IPAddress = IPv4Address | IPv6Address


class RefusalCode(StrEnum):
    """Why a webhook URL was refused; the API answers these with 422."""

    INVALID_URL = "INVALID_URL"
    SCHEME_NOT_ALLOWED = "SCHEME_NOT_ALLOWED"
    CREDENTIALS_NOT_ALLOWED = "CREDENTIALS_NOT_ALLOWED"
    UNRESOLVABLE = "UNRESOLVABLE"
    PRIVATE_TARGET = "PRIVATE_TARGET"


class UrlRefused(CodedError[RefusalCode]):
    """A webhook URL that must not be called, with a code callers can act on."""


def _embedded_ipv4(address: IPv6Address) -> IPv4Address | None:
    # These IPv6 forms are routed on to the IPv4 host they carry, so that host must be allowed too.
    if address.sixtofour is not None:
        return address.sixtofour
    if address in _NAT64:
        return IPv4Address(int(address) & 0xFFFFFFFF)
    return None


def _is_internal(address: IPAddress) -> bool:
    return (
        address.is_private
        or address.is_loopback
        or address.is_link_local
        or address.is_multicast
        or address.is_reserved
        or address.is_unspecified
        or not address.is_global
        or (isinstance(address, IPv4Address) and address in _CGNAT)
    )


def is_forbidden_address(address: IPAddress | str) -> bool:
    """True for any address inside a private, local or special-purpose network (IPv4 or IPv6)."""
    parsed = ip_address(address) if isinstance(address, str) else address
    if isinstance(parsed, IPv6Address):
        if parsed.scope_id is not None:
            return True
        if parsed.ipv4_mapped is not None:
            # An IPv4-mapped address is that IPv4 host, reached over an IPv6 socket.
            return _is_internal(parsed.ipv4_mapped)
        embedded = _embedded_ipv4(parsed)
        if embedded is not None and _is_internal(embedded):
            return True
    return _is_internal(parsed)
