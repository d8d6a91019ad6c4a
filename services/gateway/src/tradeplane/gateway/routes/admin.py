"""Administration: users with their trading stats, roles, re-enabling disabled users, platform stats and
the risk ceilings."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

from fastapi import APIRouter, Response
from sqlalchemy import Row
from tradeplane.contracts import OrderStatus, Role, utcnow
from tradeplane.contracts.queries import PNL, RISK

from ..adapters import order_view, repo
from ..audit import audit
from ..auth.principal import Principal
from ..context import Gateway
from ..deps import Admin, DbConn, Gw, Pages
from ..envelope import ApiError, EnvelopeRoute, ok, paged, pagination
from ..proxy import forward
from ..ratelimit import OVERRIDES
from ..schemas import ERRORS, InviteCreate, Ok, Page, RateLimitsUpdate, RiskCeilings, RoleUpdate
from ..users import change_role, invite_digest, new_invite_code
from ..views import user_json

router = APIRouter(prefix="/api/admin", tags=["admin"], route_class=EnvelopeRoute, responses=ERRORS)


def _user_not_found() -> ApiError:
    return ApiError(404, "USER_NOT_FOUND", "no such user")


async def _by_user(gw: Gateway, admin: Principal, service: str, name: str, ids: list[str]) -> dict[str, Any]:
    """A per-user map from another service; empty when it is down (the page shows nulls, not an error)."""
    reply = await gw.ask(admin.caller, service, name, {"userIds": ids})
    return reply.data if reply.ok and isinstance(reply.data, dict) else {}


async def _with_stats(
    gw: Gateway, admin: Principal, conn: Any, rows: Sequence[Row[Any]]
) -> list[dict[str, Any]]:
    ids = [str(r.id) for r in rows]
    pnl, risk = await asyncio.gather(
        _by_user(gw, admin, PNL, "pnl.users", ids), _by_user(gw, admin, RISK, "users.state", ids)
    )
    counts = await order_view.count_by_user(conn, [r.id for r in rows])
    return [
        user_json(r)
        | {
            "orders": counts.get(r.id, {"total": 0, "open": 0}),
            "pnl": pnl.get(str(r.id)),
            "risk": risk.get(str(r.id)),
        }
        for r in rows
    ]


@router.get("/users", response_model=Page[dict[str, object]])
async def list_users(admin: Admin, gw: Gw, conn: DbConn, pages: Pages) -> Response:
    """Every user with order counts, PnL and risk state."""
    rows, total = await repo.users_page(conn, pages.offset, pages.page_size)
    items = await _with_stats(gw, admin, conn, rows)
    return paged(items, pagination(pages.page, pages.page_size, total))


@router.get("/users/{user_id:uuid}", response_model=Ok[dict[str, object]])
async def get_user(user_id: UUID, admin: Admin, gw: Gw, conn: DbConn) -> Response:
    """One user with order counts, PnL and risk state."""
    row = await repo.user_by_id(conn, user_id)
    if row is None:
        raise _user_not_found()
    return ok((await _with_stats(gw, admin, conn, [row]))[0])


@router.patch("/users/{user_id:uuid}", response_model=Ok[dict[str, object]])
async def set_user_role(user_id: UUID, body: RoleUpdate, admin: Admin, gw: Gw) -> Response:
    """Change a user's role (admin, trader, viewer)."""
    if user_id == admin.id and body.role is not Role.ADMIN:
        raise ApiError(409, "CANNOT_DEMOTE_SELF", "an admin cannot take away their own admin role")
    row = await change_role(gw.rt.outbox, user_id, body.role, admin.email)
    if row is None:
        raise _user_not_found()
    await gw.forget_sessions(user_id)  # the next request sees the new role
    return ok(user_json(row))


@router.post("/users/{user_id:uuid}/enable", response_model=Ok[dict[str, object]])
async def enable_user(user_id: UUID, admin: Admin, gw: Gw) -> Response:
    """Let a user log in again (after `disable`) and trade again (after repeated venue errors)."""
    async with gw.rt.outbox.transaction() as tx:
        before = await repo.user_by_id(tx.conn, user_id)
        if before is None:
            raise _user_not_found()
        if before.disabled_at is not None:
            await repo.update_user(tx.conn, user_id, disabled_at=None)
            tx.emit(*audit(admin.email, "user.enable", str(user_id)))
    return await forward(gw, admin, RISK, "users.enable", {"userId": str(user_id)})


@router.post("/users/{user_id:uuid}/disable", response_model=Ok[dict[str, object]])
async def disable_user(user_id: UUID, admin: Admin, gw: Gw) -> Response:
    """Stop a user logging in: every session ends at once (`POST .../enable` undoes it)."""
    if user_id == admin.id:
        raise ApiError(409, "CANNOT_DISABLE_SELF", "an admin cannot disable their own account")
    now = utcnow()
    async with gw.rt.outbox.transaction() as tx:
        row = await repo.update_user(tx.conn, user_id, disabled_at=now)
        if row is None:
            raise _user_not_found()
        ended = await repo.revoke_user_sessions(tx.conn, user_id, "user disabled", now)
        tx.emit(*audit(admin.email, "user.disable", str(user_id), sessionsRevoked=ended))
    await gw.forget_sessions(user_id)
    return ok(user_json(row) | {"disabled": True, "sessionsRevoked": ended})


@router.post("/users/{user_id:uuid}/sessions/revoke", response_model=Ok[dict[str, object]])
async def revoke_sessions(user_id: UUID, admin: Admin, gw: Gw) -> Response:
    """End every session of a user at once (their tokens stop working; they may log in again)."""
    now = utcnow()
    async with gw.rt.outbox.transaction() as tx:
        if await repo.user_by_id(tx.conn, user_id) is None:
            raise _user_not_found()
        ended = await repo.revoke_user_sessions(tx.conn, user_id, "revoked by an admin", now)
        tx.emit(*audit(admin.email, "user.sessions.revoke", str(user_id), sessionsRevoked=ended))
    await gw.forget_sessions(user_id)
    return ok({"userId": str(user_id), "sessionsRevoked": ended})


@router.put("/users/{user_id:uuid}/rate-limits", response_model=Ok[dict[str, object]])
async def put_rate_limits(user_id: UUID, body: RateLimitsUpdate, admin: Admin, gw: Gw) -> Response:
    """Raise (or lower) one user's rate limits, e.g. for an API customer or a load test; a field left
    out or null goes back to the default."""
    overrides = body.model_dump(mode="json", by_alias=True, exclude_none=True)
    async with gw.rt.outbox.transaction() as tx:
        row = await repo.update_user(tx.conn, user_id, rate_limits=overrides or None)
        if row is None:
            raise _user_not_found()
        tx.emit(*audit(admin.email, "user.rate_limits", str(user_id), **overrides))
    await gw.forget_sessions(user_id)
    return ok({"userId": str(user_id), "rateLimits": rate_limits_json(gw, overrides)})


@router.get("/users/{user_id:uuid}/rate-limits", response_model=Ok[dict[str, object]])
async def get_rate_limits(user_id: UUID, admin: Admin, conn: DbConn, gw: Gw) -> Response:
    """A user's rate limits (requests a minute) as they apply now."""
    row = await repo.user_by_id(conn, user_id)
    if row is None:
        raise _user_not_found()
    return ok({"userId": str(user_id), "rateLimits": rate_limits_json(gw, row.rate_limits)})


def rate_limits_json(gw: Gateway, overrides: dict[str, Any] | None) -> dict[str, int]:
    limits = gw.limiter.defaults.for_user(overrides)
    return {name: limits.per_minute[bucket] for bucket, name in OVERRIDES.items()}


@router.post("/invites", status_code=201, response_model=Ok[dict[str, object]])
async def create_invite(body: InviteCreate, admin: Admin, gw: Gw) -> Response:
    """An invite code for invite-only registration (TP_REGISTRATION=invite); shown only now, works once."""
    code = new_invite_code()
    expires_at = utcnow() + timedelta(days=body.expires_in_days)
    async with gw.rt.outbox.transaction() as tx:
        await repo.insert_invite(tx.conn, invite_digest(code), admin.id, expires_at, body.email)
        tx.emit(*audit(admin.email, "invite.create", body.email or "", expiresAt=expires_at.isoformat()))
    return ok({"code": code, "email": body.email, "expiresAt": expires_at.isoformat()}, 201)


@router.get("/risk-ceilings", response_model=Ok[dict[str, object]])
async def get_risk_ceilings(admin: Admin, gw: Gw) -> Response:
    """The platform ceilings: the loosest risk limits a trader may set themselves."""
    return await forward(gw, admin, RISK, "ceilings.get")


@router.put("/risk-ceilings", response_model=Ok[dict[str, object]])
async def put_risk_ceilings(body: RiskCeilings, admin: Admin, gw: Gw) -> Response:
    """Change the ceilings given; limits already set stay, and admins may still set a user's beyond them."""
    return await forward(gw, admin, RISK, "ceilings.put", {"ceilings": body.params()})


@router.get("/stats", response_model=Ok[dict[str, object]])
async def stats(admin: Admin, conn: DbConn) -> Response:
    """Users by role, orders by status and today's orders, audit entries."""
    roles = await repo.users_by_role(conn)
    midnight = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    order_counts = await order_view.counts(conn, midnight)
    return ok(
        {
            "users": {"total": sum(roles.values()), **{r.value: roles.get(r.value, 0) for r in Role}},
            "orders": {
                "total": sum(v for k, v in order_counts.items() if k != "today"),
                **{s.value: order_counts.get(s.value, 0) for s in OrderStatus},
                "today": order_counts["today"],
            },
            "auditEntries": await repo.audit_count(conn),
        }
    )
