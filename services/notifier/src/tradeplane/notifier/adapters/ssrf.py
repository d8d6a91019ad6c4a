"""Refuse webhook URLs that could reach the platform's own network (SSRF), resolving every address."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from ipaddress import ip_address

import httpx

from ..domain.targets import RefusalCode, UrlRefused, is_forbidden_address

__all__ = ["CheckedTarget", "RefusalCode", "Resolver", "UrlRefused", "check_url", "checked_addresses"]

MAX_URL_LENGTH = 2048
_DEFAULT_PORTS = {"https": 443, "http": 80}

Resolver = Callable[[str, int], Awaitable[Sequence[str]]]
"""Host and port to the IP addresses a connection could reach; raises UrlRefused(UNRESOLVABLE)."""


@dataclass(frozen=True, slots=True)
class CheckedTarget:
    """A URL that passed the checks, with the addresses its host resolved to at that moment."""

    url: str
    scheme: str
    host: str
    port: int
    addresses: tuple[str, ...]


async def resolve_host(host: str, port: int) -> list[str]:
    """All addresses of `host` as the system resolver gives them, without duplicates."""
    loop = asyncio.get_running_loop()
    try:
        infos = await loop.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError) as exc:
        raise UrlRefused(RefusalCode.UNRESOLVABLE, f"host {host!r} does not resolve") from exc
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


def _literal_address(host: str) -> str | None:
    try:
        return str(ip_address(host))
    except ValueError:
        return None


async def checked_addresses(
    host: str, port: int, *, allow_private: bool, resolver: Resolver = resolve_host
) -> tuple[str, ...]:
    """The addresses of `host`, refused if any one of them is internal (unless private targets are
    allowed)."""
    literal = _literal_address(host)
    addresses = (literal,) if literal is not None else tuple(await resolver(host, port))
    if not addresses:
        raise UrlRefused(RefusalCode.UNRESOLVABLE, f"host {host!r} has no address")
    # One internal address is enough to refuse: a connection may pick any of them.
    if not allow_private and any(is_forbidden_address(address) for address in addresses):
        raise UrlRefused(RefusalCode.PRIVATE_TARGET, f"host {host!r} is in a private or reserved network")
    return addresses


def _parse(url: str, allow_http: bool) -> httpx.URL:
    if len(url) > MAX_URL_LENGTH:
        raise UrlRefused(RefusalCode.INVALID_URL, f"URL longer than {MAX_URL_LENGTH} characters")
    try:
        parsed = httpx.URL(url)
    except (httpx.InvalidURL, TypeError) as exc:
        raise UrlRefused(RefusalCode.INVALID_URL, "not a valid URL") from exc
    if not parsed.scheme:
        raise UrlRefused(RefusalCode.INVALID_URL, "URL must be absolute (https://host/path)")
    allowed = ("https", "http") if allow_http else ("https",)
    if parsed.scheme not in allowed:
        raise UrlRefused(RefusalCode.SCHEME_NOT_ALLOWED, f"scheme must be one of {', '.join(allowed)}")
    if parsed.userinfo:
        raise UrlRefused(RefusalCode.CREDENTIALS_NOT_ALLOWED, "URL must not contain user:password@")
    if not parsed.raw_host:
        raise UrlRefused(RefusalCode.INVALID_URL, "URL has no host")
    if parsed.port is not None and not 0 < parsed.port < 65536:
        raise UrlRefused(RefusalCode.INVALID_URL, "port out of range")
    return parsed


async def check_url(
    url: str, *, allow_http: bool, allow_private: bool, resolver: Resolver = resolve_host
) -> CheckedTarget:
    """Check a webhook URL and resolve its host; raises UrlRefused with a code when it may not be used."""
    parsed = _parse(url, allow_http)
    # The ASCII (IDNA) host is what the connection will resolve, so it is what gets checked.
    host = parsed.raw_host.decode("ascii")
    port = parsed.port or _DEFAULT_PORTS[parsed.scheme]
    addresses = await checked_addresses(host, port, allow_private=allow_private, resolver=resolver)
    return CheckedTarget(url=str(parsed), scheme=parsed.scheme, host=host, port=port, addresses=addresses)
