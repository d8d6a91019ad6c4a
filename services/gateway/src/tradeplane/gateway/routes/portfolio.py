"""The caller's portfolio: value, positions, equity curve, allocation (owned by the pnl service)."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Query, Response
from tradeplane.contracts.queries import PNL

from ..deps import CurrentUser, Gw, on_behalf_of
from ..envelope import EnvelopeRoute
from ..proxy import Forwarded, forward, passthrough
from ..schemas import ERRORS, Ok

router = APIRouter(prefix="/api/portfolio", tags=["portfolio"], route_class=EnvelopeRoute, responses=ERRORS)
Items = Ok[list[dict[str, object]]]


@router.get("", response_model=Ok[dict[str, object]])
async def portfolio(
    user: CurrentUser, gw: Gw, user_id: Annotated[UUID | None, Query(alias="userId")] = None
) -> Response:
    """Total value, daily and total PnL, fees, positions and risk metrics."""
    return await forward(gw, user, PNL, "portfolio", on_behalf_of(user, user_id))


READS: dict[str, Forwarded] = {}
"""The portfolio's lists by the last part of their path (the overview page calls them)."""
for part, name, doc in (
    ("positions", "positions", "Open positions with their unrealized PnL."),
    ("history", "equity_history", "The equity curve."),
    ("allocation", "allocation", "Value per asset."),
):
    path, query = f"/{part}", f"portfolio.{part}"
    READS[part] = passthrough(
        router, PNL, CurrentUser, "GET", path, query, doc, name=name, response_model=Items
    )
