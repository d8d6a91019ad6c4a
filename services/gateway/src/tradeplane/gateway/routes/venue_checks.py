"""`POST /api/venues/{id}/test-order`: the smallest market order the venue takes, on a paper account only,
through the ordinary order path (risk, execution, PnL): a check that trading works end to end."""

from __future__ import annotations

import uuid
from decimal import ROUND_CEILING, Decimal
from typing import Any
from uuid import UUID

from fastapi import APIRouter, Response
from tradeplane.contracts import OrderType, Side
from tradeplane.contracts.queries import EXECUTION

from ..context import Gateway
from ..deps import Gw, Trader
from ..domain.sizing import MarketRules
from ..envelope import ApiError, EnvelopeRoute, ok
from ..schemas import ERRORS, Body, Ok, OrderAccepted, PlaceOrder, Symbol
from ..views import order_json

router = APIRouter(prefix="/api/venues", tags=["venues"], route_class=EnvelopeRoute, responses=ERRORS)
HEADROOM = Decimal("1.1")
"""Above the minimum notional, so a price tick between the quote and the fill does not refuse it."""


class TrialOrder(Body):
    symbol: Symbol = "BTC/USDT"
    side: Side = Side.BUY


def smallest(rules: MarketRules, price: Decimal) -> Decimal:
    """The least quantity, in whole steps, that meets both the minimum amount and the minimum notional."""
    wanted = max(rules.min_amount, rules.min_notional * HEADROOM / price if price > 0 else Decimal(0))
    step = rules.step_size or Decimal("0.00000001")
    return (wanted / step).to_integral_value(rounding=ROUND_CEILING) * step


async def _price(gw: Gateway, user: Any, venue_id: UUID, symbol: str) -> Decimal:
    reply = await gw.ask(user.caller, EXECUTION, "market.prices", {"venueId": str(venue_id)})
    rows = reply.data if reply.ok and isinstance(reply.data, list) else []
    for row in rows:
        if row.get("symbol") == symbol and row.get("price") is not None:
            return Decimal(str(row["price"]))
    raise ApiError(503, "NO_PRICE", f"no price for {symbol} yet; try again in a few seconds")


@router.post("/{venue_id:uuid}/test-order", status_code=202, response_model=Ok[OrderAccepted])
async def test_order(venue_id: UUID, user: Trader, gw: Gw, body: TrialOrder | None = None) -> Response:
    """Place the smallest market order `symbol` takes (paper accounts only: 422 TEST_ORDER_PAPER_ONLY)."""
    wanted = body or TrialOrder()
    account = await gw.venues.resolve(user.caller, venue_id)
    if account.venue != "paper":
        raise ApiError(
            422, "TEST_ORDER_PAPER_ONLY", "test orders trade on paper accounts only", field="venueId"
        )
    spec = next((m for m in account.markets if m.get("symbol") == wanted.symbol), None)
    if spec is None:
        raise ApiError(422, "UNKNOWN_SYMBOL", f"the venue does not trade {wanted.symbol}", field="symbol")
    quantity = smallest(MarketRules.from_spec(spec), await _price(gw, user, venue_id, wanted.symbol))
    order = PlaceOrder(
        venue_id=venue_id,
        symbol=wanted.symbol,
        side=wanted.side,
        type=OrderType.MARKET,
        quantity=quantity,
        client_order_id=f"test-{uuid.uuid4().hex}",
    )
    row = await gw.intake.place(user, order, None)
    return ok({"order": order_json(row)}, 202)
