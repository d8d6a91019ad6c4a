"""Administration: users with their trading stats, roles, re-enabling disabled users, platform stats and
the risk ceilings."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from fastapi import APIRouter, Response
from sqlalchemy import Row
from tradeplane.contracts import OrderStatus, Role
from tradeplane.contracts.queries import PNL, RISK

from ..adapters import order_view, repo
from ..auth.principal import Principal
from ..context import Gateway
from ..deps import Admin, DbConn, Gw, Pages
from ..envelope import ApiError, EnvelopeRoute, ok, paged, pagination
from ..proxy import forward
from ..schemas import ERRORS, Ok, Page, RiskCeilings, RoleUpdate
from ..users import change_role
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
    return ok(user_json(row))


@router.post("/users/{user_id:uuid}/enable", response_model=Ok[dict[str, object]])
async def enable_user(user_id: UUID, admin: Admin, gw: Gw, conn: DbConn) -> Response:
    """Let a user who was disabled (repeated venue errors) trade again."""
    if await repo.user_by_id(conn, user_id) is None:
        raise _user_not_found()
    return await forward(gw, admin, RISK, "users.enable", {"userId": str(user_id)})


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
