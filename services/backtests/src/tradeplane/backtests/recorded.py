"""The `recorded` dataset: the candles `services/marketdata` stored, read through its `market.candles`
query (paper venue), page by page.

`market.candles` answers the newest `limit` closed candles opening in [start, end], so a long period
is read backwards: each page ends just before the oldest candle of the one after it.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from datetime import datetime, timedelta
from typing import Any

from faststream.nats import NatsBroker
from tradeplane.backtest import BacktestRequest
from tradeplane.contracts import Role
from tradeplane.contracts.queries import MARKETDATA, Caller, QueryError, Reply
from tradeplane.runtime.queries import ask
from tradeplane.strategies.candles import Candle

from .jobs import Job, Prepare, Unrunnable

RECORDED = "recorded"
VENUE = "paper"
PAGE = 1000
"""Candles a `market.candles` answer holds at most."""
_BEFORE = timedelta(microseconds=1)

AskCandles = Callable[[Caller, dict[str, Any]], Awaitable[Reply]]


class MarketdataUnavailable(Exception):
    """marketdata did not answer (an outage): the job waits and runs again, it is not failed."""


def candles_asker(broker: NatsBroker) -> AskCandles:
    async def ask_candles(caller: Caller, params: dict[str, Any]) -> Reply:
        return await ask(broker, MARKETDATA, "market.candles", caller, params, timeout=10.0)

    return ask_candles


def no_candles(why: str) -> QueryError:
    return QueryError("NO_RECORDED_CANDLES", why, 422, fields=[{"field": "dataset", "message": why}])


async def _page(ask_candles: AskCandles, caller: Caller, params: dict[str, Any]) -> list[dict[str, Any]]:
    reply = await ask_candles(caller, params)
    if reply.ok and isinstance(reply.data, list):
        return reply.data
    error = reply.error
    if error is None or error.status >= 500:
        raise MarketdataUnavailable(error.message if error else "marketdata gave no candles")
    raise no_candles(f"marketdata refused the candles of {params['symbol']}: {error.message}")


async def _symbol(
    ask_candles: AskCandles, caller: Caller, request: BacktestRequest, symbol: str, limit: int
) -> list[Candle]:
    """The closed candles of `symbol` opening in the request's period, oldest first (`limit` of the
    newest at most per page; one page only when `limit` is below PAGE)."""
    found: list[Candle] = []
    upper: datetime = request.end - _BEFORE
    while upper >= request.start:
        params = {
            "venue": VENUE,
            "symbol": symbol,
            "timeframe": request.timeframe.value,
            "start": request.start.isoformat(),
            "end": upper.isoformat(),
            "limit": limit,
        }
        rows = await _page(ask_candles, caller, params)
        page = [_candle(symbol, request, row) for row in rows if row.get("closed", True)]
        found[:0] = page
        if len(rows) < PAGE or limit < PAGE or not rows:
            break
        upper = datetime.fromisoformat(rows[0]["t"]) - _BEFORE
    return found


def _candle(symbol: str, request: BacktestRequest, row: Mapping[str, Any]) -> Candle:
    fields = {key: row[key] for key in ("t", "open", "high", "low", "close", "volume")}
    return Candle.model_validate({"symbol": symbol, "timeframe": request.timeframe, **fields})


async def check(ask_candles: AskCandles, caller: Caller, request: BacktestRequest) -> None:
    """422 NO_RECORDED_CANDLES unless marketdata stored a candle of every symbol in the period."""
    for symbol in request.markets:
        if not await _symbol(ask_candles, caller, request, symbol, limit=1):
            raise no_candles(_none_stored(request, symbol))


async def fetch(ask_candles: AskCandles, user_id: Any, request: Mapping[str, Any]) -> dict[str, list[Candle]]:
    """Every stored candle of the job's period, per symbol (for the worker, before the run starts)."""
    parsed = BacktestRequest.model_validate(dict(request))
    caller = Caller(user_id=user_id, role=Role.TRADER)
    found = {}
    for symbol in parsed.markets:
        candles = await _symbol(ask_candles, caller, parsed, symbol, limit=PAGE)
        if not candles:
            raise no_candles(_none_stored(parsed, symbol))
        found[symbol] = candles
    return found


def preparer(ask_candles: AskCandles) -> Prepare:
    """The worker's `Prepare`: the stored candles of a `recorded` job (None for any other dataset)."""

    async def prepare(job: Job) -> dict[str, list[Candle]] | None:
        if job.request.get("dataset") != RECORDED:
            return None
        try:
            return await fetch(ask_candles, job.user_id, job.request)
        except QueryError as exc:
            raise Unrunnable(str(exc)) from None

    return prepare


def _none_stored(request: BacktestRequest, symbol: str) -> str:
    return (
        f"marketdata stored no {request.timeframe.value} candle of {symbol} between "
        f"{request.start.isoformat()} and {request.end.isoformat()}"
    )
