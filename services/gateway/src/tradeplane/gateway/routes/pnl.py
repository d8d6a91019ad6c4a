"""Profit and loss: performance metrics, closed trades, and PnL per period (owned by the pnl service)."""

from __future__ import annotations

from typing import Annotated, Literal
from uuid import UUID

from fastapi import APIRouter, Query, Response
from tradeplane.contracts.queries import PNL

from ..deps import CurrentUser, Gw, Pages
from ..envelope import EnvelopeRoute
from ..proxy import forward
from ..schemas import ERRORS, Ok, Page

router = APIRouter(prefix="/api/pnl", tags=["pnl"], route_class=EnvelopeRoute, responses=ERRORS)
VenueId = Annotated[UUID | None, Query(alias="venueId", description="Only this venue account")]


def _account(venue_id: UUID | None) -> dict[str, str]:
    return {"accountId": str(venue_id)} if venue_id else {}


@router.get("", response_model=Ok[dict[str, object]])
async def summary(user: CurrentUser, gw: Gw, venue_id: VenueId = None) -> Response:
    """Realized/unrealized PnL, fees, win rate, profit factor, Sharpe ratio, drawdown."""
    return await forward(gw, user, PNL, "pnl.summary", _account(venue_id))


@router.get("/trades", response_model=Page[dict[str, object]])
async def trades(user: CurrentUser, gw: Gw, pages: Pages, venue_id: VenueId = None) -> Response:
    """Closed trades, newest first."""
    return await forward(gw, user, PNL, "pnl.trades", pages.params() | _account(venue_id))


@router.get("/breakdown", response_model=Ok[list[dict[str, object]]])
async def breakdown(
    user: CurrentUser, gw: Gw, period: Literal["daily", "weekly", "monthly"] = "daily"
) -> Response:
    """PnL per day, week or month (in the caller's timezone)."""
    return await forward(gw, user, PNL, "pnl.breakdown", {"period": period})
