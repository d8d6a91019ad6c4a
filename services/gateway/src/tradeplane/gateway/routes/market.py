"""Market data: latest prices (execution's tickers) and candles, order books, trades and 24 h statistics
(the marketdata service).

`venueId` is one of the caller's venue accounts: its venue (paper, kraken, ...) is the market asked
about; without it, the paper venue. In paths a symbol is written `BTC-USDT` (or URL-encoded `BTC%2FUSDT`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Depends, Path, Query, Response
from pydantic import BeforeValidator
from tradeplane.contracts.market import Timeframe
from tradeplane.contracts.orders import SYMBOL_PATTERN
from tradeplane.contracts.queries import EXECUTION, MARKETDATA

from ..auth.principal import Principal
from ..context import Gateway
from ..deps import CurrentUser, Gw
from ..envelope import ApiError, EnvelopeRoute
from ..proxy import forward
from ..schemas import ERRORS, Ok

router = APIRouter(prefix="/api/market", tags=["market"], route_class=EnvelopeRoute, responses=ERRORS)
PAPER = "paper"
VenueId = Annotated[
    UUID | None,
    Query(alias="venueId", description="One of your venue accounts; its venue is asked. Default: paper."),
]


@router.get("/prices", response_model=Ok[list[dict[str, object]]])
async def prices(user: CurrentUser, gw: Gw, venue_id: VenueId = None) -> Response:
    """The latest prices: symbol, venue, price, bid, ask, timestamp."""
    params = {"venueId": str(venue_id)} if venue_id else {}
    return await forward(gw, user, EXECUTION, "market.prices", params)


SymbolPath = Annotated[
    str,
    Path(
        pattern=r"^[A-Za-z0-9]{1,20}[-/][A-Za-z0-9]{1,20}$",
        description="`BTC-USDT`, or `BTC/USDT` URL-encoded.",
        examples=["BTC-USDT"],
    ),
]


def _symbol(raw: str) -> str:
    """`BTC-USDT` or `BTC/USDT` (any case) → `BTC/USDT`; anything else is 422 INVALID_SYMBOL."""
    symbol = raw.strip().replace("-", "/").upper()
    if not re.fullmatch(SYMBOL_PATTERN, symbol):
        raise ApiError(422, "INVALID_SYMBOL", "a symbol looks like BTC-USDT", field="symbol")
    return symbol


_RFC3339 = re.compile(r"\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})")


def _iso_only(value: object) -> object:
    """A time is RFC 3339 text with its zone, as the schema's `date-time` says (pydantic alone would also
    take a number of seconds, or a date)."""
    if isinstance(value, str) and not _RFC3339.fullmatch(value.strip()):
        raise ValueError("a time is RFC 3339 with its zone, e.g. 2026-01-01T00:00:00Z")
    return value


IsoTime = Annotated[datetime, BeforeValidator(_iso_only)]


def _utc(value: datetime | None, name: str) -> str | None:
    """The time in UTC, ISO 8601; 422 INVALID_TIME if it has no UTC form (year 1 at +05:00)."""
    if value is None:
        return None
    try:
        return value.astimezone(UTC).isoformat()
    except (OverflowError, ValueError):
        raise ApiError(422, "INVALID_TIME", f"{name} is out of range", field=name) from None


async def _venue(gw: Gw, user: Principal, venue_id: UUID | None) -> str:
    if venue_id is None:
        return PAPER
    return (await gw.venues.resolve(user.caller, venue_id)).venue


async def _ask(gw: Gw, user: Principal, name: str, venue_id: UUID | None, params: dict[str, Any]) -> Response:
    params = {"venue": await _venue(gw, user, venue_id)} | {k: v for k, v in params.items() if v is not None}
    return await forward(gw, user, MARKETDATA, name, params)


@dataclass(frozen=True, slots=True)
class Market:
    """The caller asking about the symbol in the path."""

    gw: Gateway
    user: Principal
    symbol: str

    async def ask(self, name: str, venue_id: UUID | None, **params: Any) -> Response:
        """The marketdata query `name` about this symbol (422 INVALID_SYMBOL for one that is not)."""
        return await _ask(self.gw, self.user, name, venue_id, {"symbol": _symbol(self.symbol)} | params)


async def _market(symbol: SymbolPath, user: CurrentUser, gw: Gw) -> Market:
    return Market(gw, user, symbol)


SymbolMarket = Annotated[Market, Depends(_market)]


@router.get("/candles/{symbol:path}", response_model=Ok[list[dict[str, object]]])
async def candles(
    market: SymbolMarket,
    venue_id: VenueId = None,
    timeframe: Annotated[Timeframe, Query()] = Timeframe.H1,
    start: Annotated[
        IsoTime | None, Query(description="Earliest open time, e.g. 2026-01-01T00:00:00Z.")
    ] = None,
    end: Annotated[IsoTime | None, Query(description="Latest open time, e.g. 2026-01-02T00:00:00Z.")] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 500,
) -> Response:
    """Candles `[{t, open, high, low, close, volume, closed}]`, oldest first: the newest `limit` in
    [start, end]. The candle still forming comes last with `closed: false`."""
    return await market.ask(
        "market.candles",
        venue_id,
        timeframe=timeframe.value,
        start=_utc(start, "start"),
        end=_utc(end, "end"),
        limit=limit,
    )


@router.get("/orderbook/{symbol:path}", response_model=Ok[dict[str, object]])
async def orderbook(
    market: SymbolMarket, venue_id: VenueId = None, depth: Annotated[int, Query(ge=1, le=100)] = 10
) -> Response:
    """`{bids: [[price, qty]], asks: [[price, qty]], timestamp}`, best first. The paper venue's book is
    synthetic: levels one tick apart from the current bid and ask, each with the quantity one paper
    order can take per tick (the paper engine's liquidity per tick)."""
    return await market.ask("market.orderbook", venue_id, depth=depth)


@router.get("/trades/{symbol:path}", response_model=Ok[list[dict[str, object]]])
async def trades(
    market: SymbolMarket, venue_id: VenueId = None, limit: Annotated[int, Query(ge=1, le=500)] = 50
) -> Response:
    """Recent public trades `[{id, price, quantity, side, timestamp}]`, oldest first (none on paper)."""
    return await market.ask("market.trades", venue_id, limit=limit)


@router.get("/stats", response_model=Ok[list[dict[str, object]]])
async def stats(user: CurrentUser, gw: Gw, venue_id: VenueId = None) -> Response:
    """Per symbol: `{symbol, venue, last, change24h, changePct24h, high24h, low24h, volume24h}`."""
    return await _ask(gw, user, "market.stats", venue_id, {})
