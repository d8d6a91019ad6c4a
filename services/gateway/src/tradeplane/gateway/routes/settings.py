"""Per-user risk limits and trading state (owned by the risk service)."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Query, Response
from tradeplane.contracts.queries import RISK

from ..deps import CurrentUser, Gw, Trader, on_behalf_of
from ..envelope import EnvelopeRoute
from ..proxy import forward
from ..schemas import ERRORS, Ok, TradingLimits

router = APIRouter(prefix="/api/settings", tags=["settings"], route_class=EnvelopeRoute, responses=ERRORS)
UserId = Annotated[UUID | None, Query(alias="userId", description="Another user's (admins only)")]


@router.get("/trading", response_model=Ok[dict[str, object]])
async def get_trading_settings(user: CurrentUser, gw: Gw, user_id: UserId = None) -> Response:
    """The caller's risk limits and trading state."""
    return await forward(gw, user, RISK, "settings.get", on_behalf_of(user, user_id))


@router.put("/trading", response_model=Ok[dict[str, object]])
async def put_trading_settings(body: TradingLimits, user: Trader, gw: Gw, user_id: UserId = None) -> Response:
    """Change risk limits (the fields given); out-of-range values answer 422."""
    params = {**on_behalf_of(user, user_id), "limits": body.params()}
    return await forward(gw, user, RISK, "settings.put", params)
