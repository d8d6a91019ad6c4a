"""Live venues' public market data through ccxt (async_support): no keys, one instance per exchange.

Answers for queries are cached for a short while (`TP_MARKETDATA_CACHE_SECONDS`), so many users looking
at one market cost the exchange one call. Errors become query errors with a code: an exchange ccxt does
not know → 404 VENUE_NOT_FOUND, a symbol it does not list → 404 SYMBOL_NOT_FOUND, anything else from
the exchange (down, slow, rate limited) → 503 VENUE_UNAVAILABLE.
"""

from __future__ import annotations

import importlib
import logging
import time
from collections.abc import Awaitable, Callable, Mapping
from datetime import UTC, datetime
from functools import partial
from typing import Any, TypeVar

from tradeplane.contracts import Ticker, new_meta
from tradeplane.contracts.base import decimal_or_none
from tradeplane.contracts.queries import QueryError

log = logging.getLogger(__name__)

T = TypeVar("T")
Raw = dict[str, Any]
_MAX_CACHED = 1_000


def _ccxt() -> Any:
    return importlib.import_module("ccxt.async_support")


def venue_not_found(venue: str) -> QueryError:
    return QueryError("VENUE_NOT_FOUND", f"no market data for venue {venue!r}", 404, field="venue")


def symbol_not_found(venue: str, symbol: str) -> QueryError:
    return QueryError("SYMBOL_NOT_FOUND", f"{venue} does not list {symbol}", 404, field="symbol")


def millis_to_datetime(value: Any) -> datetime | None:
    return None if value is None else datetime.fromtimestamp(int(value) / 1000, tz=UTC)


class Exchanges:
    def __init__(
        self, api_urls: Mapping[str, str], timeout_ms: int, cache_seconds: float, rate_limit: bool = True
    ) -> None:
        self._api_urls = dict(api_urls)
        self._rate_limit = rate_limit
        self._timeout_ms = timeout_ms
        self._cache_seconds = cache_seconds
        self._open: dict[str, Any] = {}
        self._cache: dict[tuple[Any, ...], tuple[float, Any]] = {}

    def exchange(self, venue: str) -> Any:
        """The ccxt instance of `venue`, created on first use (404 for an exchange ccxt does not know)."""
        if venue in self._open:
            return self._open[venue]
        ccxt = _ccxt()
        if venue not in ccxt.exchanges:
            raise venue_not_found(venue)
        exchange = getattr(ccxt, venue)({"enableRateLimit": self._rate_limit, "timeout": self._timeout_ms})
        if url := self._api_urls.get(venue):
            api = exchange.urls.get("api")
            exchange.urls["api"] = {name: url for name in api} if isinstance(api, dict) else url
            if url.startswith("http://"):
                exchange.timeout_on_exit = 0
        self._open[venue] = exchange
        return exchange

    async def close(self) -> None:
        for exchange in self._open.values():
            try:
                await exchange.close()
            except Exception:
                log.warning("closing a ccxt exchange failed", exc_info=True)
        self._open.clear()

    async def market(self, venue: str, symbol: str) -> Raw:
        exchange = self.exchange(venue)
        markets = await self._call(venue, exchange.load_markets)
        if symbol not in markets:
            raise symbol_not_found(venue, symbol)
        market: Raw = markets[symbol]
        return market

    async def tickers(self, venue: str, symbols: list[str], producer: str) -> list[Ticker]:
        """The venue's current tickers of `symbols` (never cached: these feed the bus)."""
        exchange = self.exchange(venue)
        if exchange.has.get("fetchTickers"):
            found: Raw = await self._call(venue, lambda: exchange.fetch_tickers(symbols))
        else:
            found = {}
            for symbol in symbols:
                found[symbol] = await self._call(venue, partial(exchange.fetch_ticker, symbol))
        now = datetime.now(UTC)
        out = []
        for symbol in symbols:
            if (raw := found.get(symbol)) is not None and (
                ticker := _ticker(venue, symbol, raw, now, producer)
            ):
                out.append(ticker)
        return out

    async def ohlcv(
        self, venue: str, symbol: str, timeframe: str, since: datetime | None, limit: int
    ) -> list[Any]:
        await self.market(venue, symbol)
        exchange = self.exchange(venue)
        since_ms = None if since is None else int(since.timestamp() * 1000)
        key = ("ohlcv", venue, symbol, timeframe, since_ms, limit)
        return await self._cached(
            key, venue, lambda: exchange.fetch_ohlcv(symbol, timeframe, since=since_ms, limit=limit)
        )

    async def order_book(self, venue: str, symbol: str, depth: int) -> Raw:
        await self.market(venue, symbol)
        exchange = self.exchange(venue)
        return await self._cached(
            ("book", venue, symbol, depth), venue, lambda: exchange.fetch_order_book(symbol, depth)
        )

    async def trades(self, venue: str, symbol: str, limit: int) -> list[Raw]:
        await self.market(venue, symbol)
        exchange = self.exchange(venue)
        return await self._cached(
            ("trades", venue, symbol, limit), venue, lambda: exchange.fetch_trades(symbol, limit=limit)
        )

    async def all_tickers(self, venue: str, symbols: list[str] | None) -> Raw:
        exchange = self.exchange(venue)
        return await self._cached(
            ("stats", venue, tuple(symbols or ())), venue, lambda: exchange.fetch_tickers(symbols)
        )

    async def _cached(self, key: tuple[Any, ...], venue: str, fetch: Callable[[], Awaitable[T]]) -> T:
        now = time.monotonic()
        hit = self._cache.get(key)
        if hit is not None and hit[0] > now:
            value: T = hit[1]
            return value
        value = await self._call(venue, fetch)
        if self._cache_seconds > 0:
            if len(self._cache) >= _MAX_CACHED:
                self._cache = {k: v for k, v in self._cache.items() if v[0] > now}
            self._cache[key] = (now + self._cache_seconds, value)
        return value

    async def _call(self, venue: str, fetch: Callable[[], Awaitable[T]]) -> T:
        ccxt = _ccxt()
        try:
            return await fetch()
        except ccxt.BadSymbol:
            raise QueryError("SYMBOL_NOT_FOUND", f"{venue} does not list this symbol", 404) from None
        except ccxt.BaseError as exc:
            log.warning("a venue's public data is unavailable", extra={"venue": venue, "error": repr(exc)})
            raise QueryError(
                "VENUE_UNAVAILABLE", f"{venue} did not answer: {type(exc).__name__}", 503
            ) from None


def _ticker(venue: str, symbol: str, raw: Raw, now: datetime, producer: str) -> Ticker | None:
    last = decimal_or_none(raw.get("last")) or decimal_or_none(raw.get("close"))
    if last is None or last <= 0:
        return None
    bid = decimal_or_none(raw.get("bid"))
    ask = decimal_or_none(raw.get("ask"))
    return Ticker(
        meta=new_meta(producer),
        venue=venue,
        symbol=symbol,
        bid=bid if bid is not None and bid > 0 else last,
        ask=ask if ask is not None and ask > 0 else last,
        last=last,
        at=millis_to_datetime(raw.get("timestamp")) or now,
    )
