"""Query handlers (`tp.query.marketdata.market.*`): candles, order book, trades and 24 h statistics.

The paper venue and the live venues this service follows (`TP_MARKETDATA_VENUES`) answer candles from
the ones built here (the forming one last, `closed: false`); any other ccxt venue answers from the
exchange's public endpoints, fetched on demand and cached briefly.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Any, Self

from faststream.nats import NatsRouter
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator
from sqlalchemy.ext.asyncio import AsyncEngine
from tradeplane.contracts import utcnow
from tradeplane.contracts.market import Timeframe
from tradeplane.contracts.orders import SYMBOL_PATTERN
from tradeplane.contracts.queries import MARKETDATA, Query, QueryError
from tradeplane.paper.book import PaperSettings
from tradeplane.paper.markets import PAPER_MARKETS
from tradeplane.runtime.queries import QueryHandler, query_router

from . import views
from .adapters import store
from .adapters.exchanges import Exchanges, symbol_not_found
from .candles import Candles
from .domain.book import synthetic_book
from .domain.candles import Bar
from .feed import PAPER

STATS_WINDOW = timedelta(hours=24)


class _Params(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True, populate_by_name=True)

    venue: str = Field(default=PAPER, min_length=1, max_length=32)


class _SymbolParams(_Params):
    symbol: str = Field(pattern=SYMBOL_PATTERN)

    @field_validator("symbol", mode="before")
    @classmethod
    def _slash(cls, value: Any) -> Any:
        """`BTC-USDT`, as symbols are written in paths, means `BTC/USDT`."""
        return value.replace("-", "/").upper() if isinstance(value, str) else value


def _utc(value: datetime | None) -> datetime | None:
    if value is None:
        return None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class CandleParams(_SymbolParams):
    timeframe: Timeframe = Timeframe.H1
    start: datetime | None = None
    end: datetime | None = None
    limit: int = Field(default=500, ge=1, le=1000)

    @model_validator(mode="after")
    def _range(self) -> Self:
        start, end = _utc(self.start), _utc(self.end)
        if start is not None and end is not None and start > end:
            raise QueryError("INVALID_RANGE", "start must not be after end", 422, field="start")
        object.__setattr__(self, "start", start)
        object.__setattr__(self, "end", end)
        return self


class BookParams(_SymbolParams):
    depth: int = Field(default=10, ge=1, le=100)


class TradeParams(_SymbolParams):
    limit: int = Field(default=50, ge=1, le=500)


@dataclass(frozen=True)
class Context:
    engine: AsyncEngine
    candles: Candles
    exchanges: Exchanges
    followed: dict[str, list[str]]
    timeframes: tuple[Timeframe, ...]
    paper: PaperSettings = field(default_factory=PaperSettings)

    def builds(self, venue: str, symbol: str) -> bool:
        """Whether the candles of this market are built here (else they come from the exchange)."""
        if venue == PAPER:
            if symbol not in PAPER_MARKETS:
                raise symbol_not_found(venue, symbol)
            return True
        return symbol in self.followed.get(venue, ())


def _not_built(timeframe: Timeframe, built: Iterable[Timeframe]) -> QueryError:
    names = ", ".join(t.value for t in built)
    return QueryError("TIMEFRAME_NOT_BUILT", f"{timeframe.value} candles are not built here ({names})", 422)


async def candles(ctx: Context, q: Query) -> list[dict[str, Any]]:
    p = CandleParams.model_validate(q.params)
    if not ctx.builds(p.venue, p.symbol):
        rows = await ctx.exchanges.ohlcv(p.venue, p.symbol, p.timeframe.value, p.start, p.limit)
        return views.exchange_candles(rows, p.timeframe, p.end, utcnow())
    if p.timeframe not in ctx.timeframes:
        raise _not_built(p.timeframe, ctx.timeframes)
    async with ctx.engine.connect() as conn:
        bars = await store.closed_range(conn, p.venue, p.symbol, p.timeframe, p.start, p.end, p.limit)
    forming = ctx.candles.forming(p.venue, p.symbol, p.timeframe)
    if forming is not None and _within(forming, p.start, p.end):
        bars = [*bars, forming][-p.limit :]
    return [views.candle(bar) for bar in bars]


def _within(bar: Bar, start: datetime | None, end: datetime | None) -> bool:
    return (start is None or bar.t >= start) and (end is None or bar.t <= end)


async def orderbook(ctx: Context, q: Query) -> dict[str, Any]:
    p = BookParams.model_validate(q.params)
    if p.venue == PAPER:
        ctx.builds(p.venue, p.symbol)
        ticker = _latest(ctx, p.venue, p.symbol)
        book = synthetic_book(
            PAPER_MARKETS[p.symbol], ticker.bid, ticker.ask, ctx.paper.liquidity_per_tick, p.depth
        )
        return views.book(book.bids, book.asks, ticker.at)
    raw = await ctx.exchanges.order_book(p.venue, p.symbol, p.depth)
    return views.exchange_book(raw, p.depth, utcnow())


async def trades(ctx: Context, q: Query) -> list[dict[str, Any]]:
    p = TradeParams.model_validate(q.params)
    if p.venue == PAPER:
        ctx.builds(p.venue, p.symbol)
        return []  # the synthetic feed quotes prices; it has no public trade tape
    rows = await ctx.exchanges.trades(p.venue, p.symbol, p.limit)
    return views.exchange_trades(rows)[-p.limit :]


async def stats(ctx: Context, q: Query) -> list[dict[str, Any]]:
    p = _Params.model_validate(q.params)
    if p.venue == PAPER or p.venue in ctx.followed:
        symbols = list(PAPER_MARKETS) if p.venue == PAPER else ctx.followed[p.venue]
        return [s for symbol in symbols if (s := await _built_stats(ctx, p.venue, symbol)) is not None]
    found = await ctx.exchanges.all_tickers(p.venue, None)
    return [views.exchange_stats(p.venue, symbol, raw) for symbol, raw in sorted(found.items())]


async def _built_stats(ctx: Context, venue: str, symbol: str) -> dict[str, Any] | None:
    """24 h figures from the candles built here: the narrowest timeframe of an hour or more."""
    ticker = ctx.candles.latest.get((venue, symbol))
    if ticker is None:
        return None
    wide = [t for t in ctx.timeframes if t.duration >= timedelta(hours=1)] or list(ctx.timeframes)
    timeframe = min(wide, key=lambda t: t.duration)
    since = timeframe.floor(ticker.at - STATS_WINDOW)
    async with ctx.engine.connect() as conn:
        bars = await store.closed_range(conn, venue, symbol, timeframe, since, None, 1000)
    if (forming := ctx.candles.forming(venue, symbol, timeframe)) is not None:
        bars.append(forming)
    return views.built_stats(venue, symbol, ticker.last, bars)


def _latest(ctx: Context, venue: str, symbol: str) -> Any:
    ticker = ctx.candles.latest.get((venue, symbol))
    if ticker is None:
        raise QueryError("NO_PRICE", f"no price for {symbol} on {venue} yet", 404, field="symbol")
    return ticker


def router(ctx: Context) -> NatsRouter:
    handlers: dict[str, QueryHandler] = {
        "market.candles": partial(candles, ctx),
        "market.orderbook": partial(orderbook, ctx),
        "market.trades": partial(trades, ctx),
        "market.stats": partial(stats, ctx),
    }
    return query_router(MARKETDATA, handlers, max_workers=8)
