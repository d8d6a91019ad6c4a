"""Typed dependencies of the routes: the gateway context, a database connection, the caller, paging."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Annotated
from uuid import UUID

from fastapi import Depends, Query, Request
from fastapi.security import APIKeyCookie, HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.ext.asyncio import AsyncConnection
from tradeplane.contracts import Role
from tradeplane.runtime import reading

from .adapters import repo
from .auth.principal import Principal
from .auth.tokens import TokenError
from .context import Gateway
from .envelope import ApiError

ACCESS_COOKIE = "tp_access"

_bearer = HTTPBearer(auto_error=False, description="The access token from POST /api/auth/login")
_cookie = APIKeyCookie(name=ACCESS_COOKIE, auto_error=False, description="Set by POST /api/auth/login")


def _gateway(request: Request) -> Gateway:
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
    gw: Gw,
    bearer: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
    cookie: Annotated[str | None, Depends(_cookie)],
) -> Principal:
    return await authenticate(gw, bearer.credentials if bearer is not None else cookie)


async def authenticate(gw: Gateway, token: str | None) -> Principal:
    """The user of an access token (a bearer header's or the cookie's); 401 when it is missing, invalid,
    expired or its session ended."""
    if not token:
        raise unauthorized("UNAUTHORIZED", "authentication required: send a bearer token or log in")
    try:
        claims = gw.tokens.decode(token)
    except TokenError as exc:
        raise unauthorized(exc.code, exc.message) from exc
    async with gw.rt.engine.connect() as conn:
        row = await repo.authenticate(conn, claims.user_id, claims.session_id)
    if row is None:
        raise unauthorized("TOKEN_REVOKED", "the session has ended; log in again")
    return Principal(row, claims.session_id, claims.expires_at)


CurrentUser = Annotated[Principal, Depends(_principal)]


async def _maybe_principal(
    gw: Gw,
    bearer: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
    cookie: Annotated[str | None, Depends(_cookie)],
) -> Principal | None:
    try:
        return await _principal(gw, bearer, cookie)
    except ApiError:
        return None


MaybeUser = Annotated[Principal | None, Depends(_maybe_principal)]
"""The caller when a valid token came with the request, else None."""


def _writer(user: CurrentUser) -> Principal:
    if user.role is Role.VIEWER:
        raise ApiError(403, "FORBIDDEN", "viewers may look but not trade or change anything")
    return user


def _admin(user: CurrentUser) -> Principal:
    if not user.is_admin:
        raise ApiError(403, "FORBIDDEN", "only admins may do this")
    return user


Trader = Annotated[Principal, Depends(_writer)]
"""An authenticated user who may trade and change things (traders and admins, not viewers)."""
Admin = Annotated[Principal, Depends(_admin)]


@dataclass(frozen=True, slots=True)
class Paging:
    page: int
    page_size: int

    @property
    def offset(self) -> int:
        return (self.page - 1) * self.page_size

    def params(self) -> dict[str, int]:
        return {"page": self.page, "pageSize": self.page_size}


def _paging(
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
