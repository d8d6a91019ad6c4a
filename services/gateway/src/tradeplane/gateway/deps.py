"""Typed dependencies of the routes: the gateway context, a database connection, the caller, paging."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any
from uuid import UUID

from fastapi import Depends, Query, Request
from fastapi.security import APIKeyCookie, HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.ext.asyncio import AsyncConnection
from tradeplane.contracts import Role, utcnow
from tradeplane.runtime import reading

from .adapters import repo
from .auth.cache import Entry
from .auth.principal import Principal
from .auth.sessions import SESSION_ENDED
from .auth.tokens import TokenError
from .context import Gateway
from .envelope import ApiError
from .ratelimit import Bucket, bucket_of

TOUCH_SECONDS = 60.0
"""A cached session writes its last activity to the database at most this often."""

ACCESS_COOKIE = "tp_access"

_bearer = HTTPBearer(auto_error=False, description="The access token from POST /api/auth/login")
_cookie = APIKeyCookie(name=ACCESS_COOKIE, auto_error=False, description="Set by POST /api/auth/login")


async def _gateway(request: Request) -> Gateway:
    gateway: Gateway = request.app.state.gateway
    return gateway


Gw = Annotated[Gateway, Depends(_gateway)]


async def _connection(gw: Gw) -> AsyncIterator[AsyncConnection]:
    async with gw.rt.engine.connect() as conn:
        yield conn


DbConn = Annotated[AsyncConnection, Depends(_connection)]


async def _reading(gw: Gw) -> AsyncIterator[AsyncConnection]:
    async with reading(gw.rt.engine) as conn:
        yield conn


ReadConn = Annotated[AsyncConnection, Depends(_reading)]
"""A connection outside any transaction, for endpoints that read with ONE statement (no BEGIN, no
ROLLBACK: one round trip)."""


def unauthorized(code: str, message: str) -> ApiError:
    return ApiError(401, code, message, headers={"WWW-Authenticate": "Bearer"})


async def _principal(
    request: Request,
    gw: Gw,
    bearer: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
    cookie: Annotated[str | None, Depends(_cookie)],
) -> Principal:
    user = await authenticate(gw, bearer.credentials if bearer is not None else cookie)
    await rate_limit(gw, request, user)
    return user


def client_ip(request: Request) -> str:
    """The caller's address (uvicorn takes it from X-Forwarded-For only behind a trusted proxy)."""
    return request.client.host if request.client else "unknown"


async def rate_limit(gw: Gateway, request: Request, user: Principal | None) -> None:
    """Count the request against the user's limit of its bucket (before login: the IP's); 429 over it."""
    if user is None:
        await gw.limiter.hit(Bucket.ANONYMOUS, f"ip:{client_ip(request)}")
        return
    limits = gw.limiter.defaults.for_user(user.row.rate_limits)
    await gw.limiter.hit(bucket_of(request.method, request.url.path), f"user:{user.id}", limits)


async def authenticate(gw: Gateway, token: str | None) -> Principal:
    """The user of an access token (a bearer header's or the cookie's); 401 when it is missing, invalid,
    expired or its session ended (logout, revoked, idle, past its lifetime, user disabled).

    The check is cached for the token's lifetime (`auth.cache`): revocations reach every worker over
    the bus, and activity is written to the session at most once a minute."""
    if not token:
        raise unauthorized("UNAUTHORIZED", "authentication required: send a bearer token or log in")
    try:
        claims = gw.tokens.decode(token)
    except TokenError as exc:
        raise unauthorized(exc.code, exc.message) from exc
    now = utcnow()
    entry = gw.session_cache.get(claims.session_id, now)
    if entry is not None and entry.user_id == claims.user_id:
        if gw.sessions.lifetime.ended(entry.row.session_created_at, entry.last_seen, now) is None:
            entry.last_seen = now
            if time.monotonic() - entry.touched >= TOUCH_SECONDS:
                entry.touched = time.monotonic()
                async with gw.rt.engine.begin() as conn:
                    await repo.touch_session(conn, claims.session_id, now)
            return Principal(entry.row, claims.session_id, claims.expires_at)
        gw.session_cache.drop_session(claims.session_id)  # idle here: another worker may have seen it
    async with gw.rt.engine.begin() as conn:
        row = await repo.authenticate(conn, claims.user_id, claims.session_id)
        ended = None if row is None else _ended(gw, row, now)
        if row is not None and ended is not None:
            await repo.revoke_session(conn, claims.session_id, ended, now)
        elif row is not None:
            await repo.touch_session(conn, claims.session_id, now)
    if row is None:
        raise unauthorized("TOKEN_REVOKED", "the session has ended; log in again")
    if ended == "user disabled":
        raise unauthorized("ACCOUNT_DISABLED", "this account is disabled; ask an admin")
    if ended is not None:
        raise unauthorized("SESSION_EXPIRED", SESSION_ENDED[ended.removeprefix("session ")])
    gw.session_cache.put(claims.session_id, Entry(row, claims.user_id, claims.expires_at, now))
    return Principal(row, claims.session_id, claims.expires_at)


def _ended(gw: Gateway, row: Any, now: datetime) -> str | None:
    """Why a live session row must end now (the revocation reason), or None."""
    if row.disabled_at is not None:
        return "user disabled"
    ended = gw.sessions.lifetime.ended(row.session_created_at, row.last_seen_at, now)
    return f"session {ended}" if ended else None


CurrentUser = Annotated[Principal, Depends(_principal)]


async def _maybe_principal(
    request: Request,
    gw: Gw,
    bearer: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
    cookie: Annotated[str | None, Depends(_cookie)],
) -> Principal | None:
    try:
        user: Principal | None = await authenticate(gw, bearer.credentials if bearer is not None else cookie)
    except ApiError:
        user = None
    await rate_limit(gw, request, user)
    return user


MaybeUser = Annotated[Principal | None, Depends(_maybe_principal)]
"""The caller when a valid token came with the request, else None."""


def require_writer(user: Principal) -> Principal:
    """403 for a viewer (the dashboard's forms check the same)."""
    if user.role is Role.VIEWER:
        raise ApiError(403, "FORBIDDEN", "viewers may look but not trade or change anything")
    return user


def require_admin(user: Principal) -> Principal:
    if not user.is_admin:
        raise ApiError(403, "FORBIDDEN", "only admins may do this")
    return user


# The dependencies are coroutines: FastAPI runs a plain function dependency in a worker thread, a
# thread hop on every request.
async def _writer(user: CurrentUser) -> Principal:
    return require_writer(user)


async def _admin(user: CurrentUser) -> Principal:
    return require_admin(user)


def admin_two_factor(gw: Gateway, user: Principal) -> None:
    """With TP_REQUIRE_ADMIN_2FA, an admin without 2FA may do nothing as admin but turn it on."""
    if gw.settings.require_admin_2fa and not user.row.two_factor_enabled:
        raise ApiError(
            403,
            "TWO_FACTOR_SETUP_REQUIRED",
            "admins must turn on two-factor authentication first (POST /api/auth/2fa/setup)",
        )


async def _admin_with_2fa(user: Annotated[Principal, Depends(_admin)], gw: Gw) -> Principal:
    admin_two_factor(gw, user)
    return user


Trader = Annotated[Principal, Depends(_writer)]
"""An authenticated user who may trade and change things (traders and admins, not viewers)."""
Admin = Annotated[Principal, Depends(_admin_with_2fa)]


@dataclass(frozen=True, slots=True)
class Paging:
    page: int
    page_size: int

    @property
    def offset(self) -> int:
        return (self.page - 1) * self.page_size

    def params(self) -> dict[str, int]:
        return {"page": self.page, "pageSize": self.page_size}


async def _paging(
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
    page_size: Annotated[int, Query(alias="pageSize", ge=1, le=100)] = 20,
) -> Paging:
    return Paging(page, page_size)


Pages = Annotated[Paging, Depends(_paging)]


def on_behalf_of(user: Principal, user_id: UUID | None) -> dict[str, str]:
    """`{userId}` for a query about another user (admins only), `{}` for the caller themself."""
    if user_id is None or user_id == user.id:
        return {}
    if not user.is_admin:
        raise ApiError(403, "FORBIDDEN", "only admins may act on another user")
    return {"userId": str(user_id)}
