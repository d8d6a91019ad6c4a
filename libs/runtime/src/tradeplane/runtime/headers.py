"""Security headers on every HTTP response of a service (its health, metrics and AsyncAPI pages; the
gateway adds a Content-Security-Policy and HSTS on top)."""

from __future__ import annotations

from collections.abc import Callable, Mapping

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

BASELINE: Mapping[str, str] = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "Cross-Origin-Opener-Policy": "same-origin",
}
"""Headers every response may carry whatever it is (no CSP: the services' AsyncAPI page loads its
viewer inline)."""

Extra = Callable[[Scope], Mapping[str, str]]


class SecurityHeaders:
    """ASGI middleware: `headers` (plus `extra(scope)`, e.g. HSTS over TLS) on every HTTP response,
    without replacing a header the response set itself."""

    def __init__(
        self, app: ASGIApp, headers: Mapping[str, str] = BASELINE, extra: Extra | None = None
    ) -> None:
        self.app = app
        self.headers = dict(headers)
        self.more = extra

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        wanted = {**self.headers, **(self.more(scope) if self.more else {})}

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in wanted.items():
                    if name not in headers:
                        headers[name] = value
            await send(message)

        await self.app(scope, receive, with_headers)
