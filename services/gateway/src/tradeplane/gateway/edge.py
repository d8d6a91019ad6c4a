"""The gateway's edge: security headers, CSRF for cookie-authenticated changes, the admin IP allowlist and
the trusted reverse proxies (docs/api.md "The edge").

CSRF: a state change (POST, PUT, PATCH, DELETE) authenticated by the session cookie, not by a bearer
header, must carry the session's CSRF token, in the `X-CSRF-Token` header (htmx and scripts) or a
`csrf_token` form field (plain forms), and, when the browser sends an Origin, come from this site. The
token is an HMAC of the session id under the gateway's signing key: one per session, nothing to store.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
from collections.abc import Mapping
from typing import TYPE_CHECKING
from urllib.parse import parse_qs, urlsplit
from uuid import UUID

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import Response
from starlette.datastructures import Headers
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from tradeplane.runtime.headers import BASELINE, Extra, SecurityHeaders
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

from .auth.tokens import AccessTokens, TokenError
from .deps import ACCESS_COOKIE
from .envelope import EnvelopeRoute, error, ok

if TYPE_CHECKING:
    from .config import Settings

CSRF_HEADER = "X-CSRF-Token"
CSRF_FIELD = "csrf_token"
UNSAFE = frozenset({"POST", "PUT", "PATCH", "DELETE"})
FORM = "application/x-www-form-urlencoded"

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
    "connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; "
    "frame-ancestors 'none'"
)
"""Only the gateway's own files run: no inline script, nothing from another origin, never in a frame."""
EVAL_PAGES = frozenset({"/api/events"})
"""Pages whose vendored renderer compiles JSON Schemas at run time (the AsyncAPI viewer's ajv uses
`new Function`): their policy also allows 'unsafe-eval' (still no inline script, nothing from elsewhere)."""
CSP_EVAL = CSP.replace("script-src 'self'", "script-src 'self' 'unsafe-eval'")

ADMIN_PREFIXES = ("/api/admin/", "/admin")


def csrf_token(key: str, session_id: UUID) -> str:
    """The CSRF token of a session: HMAC-SHA256 of its id under the gateway's key."""
    return hmac.new(key.encode(), b"csrf:" + session_id.bytes, hashlib.sha256).hexdigest()


def cookie_session(tokens: AccessTokens, headers: Headers) -> UUID | None:
    """The session the request's cookie authenticates, when it authenticates it (no bearer header, a
    valid unexpired access cookie); None otherwise."""
    if headers.get("authorization", "").lower().startswith("bearer "):
        return None
    cookie = cookie_value(headers.get("cookie", ""), ACCESS_COOKIE)
    if not cookie:
        return None
    try:
        return tokens.decode(cookie).session_id
    except TokenError:
        return None


def token_for(request: Request) -> str:
    """The CSRF token for the page being rendered ("" when the cookie authenticates no session)."""
    app = request.scope.get("app")
    gw = getattr(getattr(app, "state", None), "gateway", None)
    if gw is None:
        return ""
    session = cookie_session(gw.tokens, request.headers)
    return csrf_token(gw.settings.jwt_key, session) if session is not None else ""


def cookie_value(header: str, name: str) -> str | None:
    for part in header.split(";"):
        key, _, value = part.strip().partition("=")
        if key == name:
            return value.strip('"')
    return None


class CsrfGuard:
    """Refuses a cookie-authenticated state change without the session's CSRF token or from another
    site's page: 403 `CSRF_FAILED`."""

    def __init__(self, app: ASGIApp, tokens: AccessTokens, key: str, origins: tuple[str, ...] = ()) -> None:
        self.app = app
        self.tokens = tokens
        self.key = key
        self.origins = frozenset(urlsplit(o).netloc for o in origins)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] not in UNSAFE:
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        session = cookie_session(self.tokens, headers)
        if session is None:
            await self.app(scope, receive, send)
            return
        if not self._same_site(headers):
            await _refuse(scope, receive, send, "a change from another site's page was refused")
            return
        expected = csrf_token(self.key, session)
        presented = headers.get(CSRF_HEADER)
        if not _matches(presented, expected) and headers.get("content-type", "").startswith(FORM):
            body, receive = await _buffered(receive)
            presented = next(iter(parse_qs(body.decode("latin-1")).get(CSRF_FIELD, [])), None)
        if not _matches(presented, expected):
            await _refuse(scope, receive, send, "the CSRF token is missing or wrong; reload the page")
            return
        await self.app(scope, receive, send)

    def _same_site(self, headers: Headers) -> bool:
        origin = headers.get("origin")
        if not origin or origin == "null":
            return origin is None
        netloc = urlsplit(origin).netloc
        return netloc == headers.get("host") or netloc in self.origins


def _matches(presented: str | None, expected: str) -> bool:
    return presented is not None and hmac.compare_digest(presented.encode(), expected.encode())


async def _buffered(receive: Receive) -> tuple[bytes, Receive]:
    """The whole request body, and a `receive` that hands it to the app again."""
    chunks: list[bytes] = []
    more = True
    while more:
        message = await receive()
        if message["type"] != "http.request":
            break
        chunks.append(message.get("body", b""))
        more = message.get("more_body", False)
    body = b"".join(chunks)
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return body, replay


async def _refuse(scope: Scope, receive: Receive, send: Send, message: str) -> None:
    await error(403, "CSRF_FAILED", message)(scope, receive, send)


class AdminAllowlist:
    """Admin endpoints answer only clients from the allowed networks (403 `IP_NOT_ALLOWED`)."""

    def __init__(self, app: ASGIApp, networks: list[ipaddress.IPv4Network | ipaddress.IPv6Network]) -> None:
        self.app = app
        self.networks = networks

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] in ("http", "websocket")
            and scope["path"].startswith(ADMIN_PREFIXES)
            and not self.allowed(client_ip(scope))
        ):
            response = error(403, "IP_NOT_ALLOWED", "admin endpoints are not open to this address")
            if scope["type"] == "http":
                await response(scope, receive, send)
            else:
                await send({"type": "websocket.close", "code": 1008})
            return
        await self.app(scope, receive, send)

    def allowed(self, ip: str) -> bool:
        try:
            address = ipaddress.ip_address(ip)
        except ValueError:
            return False
        return any(address in network for network in self.networks)


def client_ip(scope: Scope) -> str:
    """The client's address (after a trusted proxy's X-Forwarded-For, see `shield`)."""
    client = scope.get("client")
    return str(client[0]) if client else ""


def policies(hsts_seconds: int) -> Extra:
    """The headers that depend on the request: the CSP of its page, HSTS when it came over TLS."""
    strict = {"Strict-Transport-Security": f"max-age={hsts_seconds}; includeSubDomains"}
    if not hsts_seconds:
        strict = {}

    def extra(scope: Scope) -> Mapping[str, str]:
        csp = {"Content-Security-Policy": CSP_EVAL if scope["path"] in EVAL_PAGES else CSP}
        return {**csp, **strict} if scope.get("scheme") in ("https", "wss") else csp

    return extra


router = APIRouter(prefix="/api/auth", tags=["auth"], route_class=EnvelopeRoute)


@router.get("/csrf")
async def csrf(request: Request) -> Response:
    """The CSRF token of the session the cookie authenticates (send it as X-CSRF-Token with changes)."""
    return ok({"csrfToken": token_for(request) or None, "header": CSRF_HEADER, "field": CSRF_FIELD})


def guard(app: FastAPI, config: Settings, tokens: AccessTokens) -> None:
    """The inner layer (under CORS): CSRF, then the admin allowlist."""
    app.include_router(router)
    app.add_middleware(CsrfGuard, tokens=tokens, key=config.jwt_key, origins=tuple(config.cors_origin_list))
    if config.admin_networks:
        app.add_middleware(AdminAllowlist, networks=config.admin_networks)


def shield(app: FastAPI, config: Settings) -> None:
    """The outer layer: security headers on every response (HSTS over TLS), and the client's address
    and scheme from a trusted proxy's X-Forwarded-For/-Proto (outermost, so everything inside sees them)."""
    app.add_middleware(SecurityHeaders, headers=BASELINE, extra=policies(config.hsts_seconds))
    if config.trusted_proxy_list:
        app.add_middleware(ProxyHeadersMiddleware, trusted_hosts=config.trusted_proxy_list)
