"""The caller's portfolio: value, positions, equity curve, allocation (owned by the pnl service)."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Query, Response
from tradeplane.contracts.queries import PNL

from ..deps import CurrentUser, Gw, on_behalf_of
from ..envelope import EnvelopeRoute
from ..proxy import forward
from ..schemas import ERRORS, Ok

router = APIRouter(prefix="/api/portfolio", tags=["portfolio"], route_class=EnvelopeRoute, responses=ERRORS)
Items = Ok[list[dict[str, object]]]


@router.get("", response_model=Ok[dict[str, object]])
async def portfolio(
    user: CurrentUser, gw: Gw, user_id: Annotated[UUID | None, Query(alias="userId")] = None
) -> Response:
    """Total value, daily and total PnL, fees, positions and risk metrics."""
    return await forward(gw, user, PNL, "portfolio", on_behalf_of(user, user_id))


@router.get("/positions", response_model=Items)
async def positions(user: CurrentUser, gw: Gw) -> Response:
    """Open positions with their unrealized PnL."""
    return await forward(gw, user, PNL, "portfolio.positions")


@router.get("/history", response_model=Items)
async def equity_history(user: CurrentUser, gw: Gw) -> Response:
    """The equity curve."""
    return await forward(gw, user, PNL, "portfolio.history")


@router.get("/allocation", response_model=Items)
async def allocation(user: CurrentUser, gw: Gw) -> Response:
    """Value per asset."""
    return await forward(gw, user, PNL, "portfolio.allocation")
