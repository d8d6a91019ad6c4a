"""`GET /api/portfolio/risk`: VaR 95, Sharpe, max drawdown and beta against BTC, computed here from the
pnl service's equity curve and marketdata's daily BTC/USDT candles (`domain/portfolio_risk.py`)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from fastapi import APIRouter, Response
from tradeplane.contracts.queries import MARKETDATA, PNL

from ..deps import CurrentUser, Gw
from ..domain.portfolio_risk import assess
from ..envelope import EnvelopeRoute, from_reply, ok
from ..schemas import ERRORS, Ok

router = APIRouter(prefix="/api/portfolio", tags=["portfolio"], route_class=EnvelopeRoute, responses=ERRORS)
BENCHMARK = "BTC/USDT"
HISTORY_LIMIT = 10_000


def _points(rows: Any, time_key: str, value_key: str) -> list[tuple[datetime, Decimal]]:
    points = []
    for row in rows if isinstance(rows, list) else []:
        try:
            points.append((datetime.fromisoformat(row[time_key]), Decimal(str(row[value_key]))))
        except (KeyError, TypeError, ValueError, InvalidOperation):
            continue  # an unknown equity (null) or an unreadable row counts as no observation
    return points


@router.get("/risk", response_model=Ok[dict[str, object]])
async def portfolio_risk(user: CurrentUser, gw: Gw) -> Response:
    """Historical VaR 95 (of daily returns, as a percent and in USD of the latest equity), annualised
    Sharpe, max drawdown and beta against BTC/USDT; null where the history is too short."""
    history = await gw.ask(user.caller, PNL, "portfolio.history", {"limit": HISTORY_LIMIT})
    if not history.ok:
        return from_reply(history)
    equity = _points(history.data, "timestamp", "equity")
    benchmark: list[tuple[datetime, Decimal]] = []
    if len(equity) > 1:
        params = {"symbol": BENCHMARK, "timeframe": "1d", "start": equity[0][0].isoformat(), "limit": 1000}
        candles = await gw.ask(user.caller, MARKETDATA, "market.candles", params)
        benchmark = _points(candles.data, "t", "close") if candles.ok else []
    return ok(assess(equity, benchmark).as_json(BENCHMARK))
