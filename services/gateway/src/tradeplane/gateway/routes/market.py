"""Market data (from the execution service's latest tickers)."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Query, Response
from tradeplane.contracts.queries import EXECUTION

from ..deps import CurrentUser, Gw
from ..envelope import EnvelopeRoute
from ..proxy import forward
from ..schemas import ERRORS, Ok

router = APIRouter(prefix="/api/market", tags=["market"], route_class=EnvelopeRoute, responses=ERRORS)


@router.get("/prices", response_model=Ok[list[dict[str, object]]])
async def prices(
    user: CurrentUser, gw: Gw, venue_id: Annotated[UUID | None, Query(alias="venueId")] = None
) -> Response:
    """The latest prices: symbol, venue, price, bid, ask, timestamp."""
    params = {"venueId": str(venue_id)} if venue_id else {}
    return await forward(gw, user, EXECUTION, "market.prices", params)
