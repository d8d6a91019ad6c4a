"""An httpx client whose connections go only to addresses checked at connect time (no DNS rebinding)."""

from __future__ import annotations

import asyncio
from collections.abc import Iterable

import httpcore
import httpx

from .settings import DeliverySettings
from .ssrf import Resolver, checked_addresses, resolve_host


class GuardedBackend(httpcore.AsyncNetworkBackend):
    """Resolves the host itself, checks every address and connects to a checked one.

    The address checked is the address connected to, so a DNS answer that changes between the
    URL check and the connection cannot redirect a delivery inward. TLS still verifies and sends
    SNI for the original host name, and the Host header is untouched: httpcore passes the host
    name, not the address, to the TLS layer.
    """

    def __init__(
        self,
        *,
        allow_private: bool,
        resolver: Resolver = resolve_host,
        inner: httpcore.AsyncNetworkBackend | None = None,
    ) -> None:
        self._allow_private = allow_private
        self._resolver = resolver
        self._inner = inner or httpcore.AnyIOBackend()

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        try:
            async with asyncio.timeout(timeout):
                addresses = await checked_addresses(
                    host, port, allow_private=self._allow_private, resolver=self._resolver
                )
        except TimeoutError as exc:
            raise httpcore.ConnectTimeout(f"resolving {host!r} timed out") from exc
        last_error: httpcore.ConnectError | None = None
        for address in addresses:
            try:
                return await self._inner.connect_tcp(address, port, timeout, local_address, socket_options)
            except httpcore.ConnectError as exc:
                last_error = exc
        assert last_error is not None  # checked_addresses never returns an empty tuple
        raise last_error

    async def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        raise httpcore.ConnectError("unix sockets are never webhook targets")

    async def sleep(self, seconds: float) -> None:
        await self._inner.sleep(seconds)


class PinnedTransport(httpx.AsyncHTTPTransport):
    """httpx's own transport, over a connection pool that connects through `GuardedBackend`."""

    def __init__(self, backend: GuardedBackend, limits: httpx.Limits) -> None:
        super().__init__(trust_env=False, limits=limits)
        # httpx has no public way to choose the network backend, so the pool it built is replaced.
        self._pool = httpcore.AsyncConnectionPool(
            ssl_context=httpx.create_ssl_context(trust_env=False),
            max_connections=limits.max_connections,
            max_keepalive_connections=limits.max_keepalive_connections,
            keepalive_expiry=limits.keepalive_expiry,
            network_backend=backend,
        )


def build_client(settings: DeliverySettings, *, resolver: Resolver = resolve_host) -> httpx.AsyncClient:
    """The client webhook deliveries share: pinned connections, no redirects, no proxies from the env."""
    backend = GuardedBackend(allow_private=settings.allow_private_targets, resolver=resolver)
    limits = httpx.Limits(max_connections=settings.max_connections)
    return httpx.AsyncClient(
        transport=PinnedTransport(backend, limits),
        timeout=settings.timeout_seconds,
        follow_redirects=False,
        trust_env=False,
    )
