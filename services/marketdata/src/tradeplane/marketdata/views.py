"""What the market queries answer: plain JSON (decimals as strings, times as ISO 8601 UTC)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from tradeplane.contracts.base import decimal_or_none
from tradeplane.contracts.market import Timeframe

from .adapters.exchanges import millis_to_datetime
from .domain.book import Level
from .domain.candles import Bar


def _num(value: Decimal | None) -> str | None:
    return None if value is None else format(value, "f")


def candle(bar: Bar) -> dict[str, Any]:
    return {
        "t": bar.t.astimezone(UTC).isoformat(),
        "open": _num(bar.open),
        "high": _num(bar.high),
        "low": _num(bar.low),
        "close": _num(bar.close),
        "volume": _num(bar.volume),
        "closed": bar.closed,
    }


def exchange_candles(
    rows: Sequence[Sequence[Any]], timeframe: Timeframe, end: datetime | None, now: datetime
) -> list[dict[str, Any]]:
    """ccxt's `[ms, open, high, low, close, volume]` rows; the one still running is `closed: false`."""
    out = []
    for row in rows:
        t = millis_to_datetime(row[0])
        if t is None or (end is not None and t > end):
            continue
        values = [decimal_or_none(v) for v in row[1:6]]
        out.append(
            {
                "t": t.isoformat(),
                "open": _num(values[0]),
                "high": _num(values[1]),
                "low": _num(values[2]),
                "close": _num(values[3]),
                "volume": _num(values[4] if values[4] is not None else Decimal(0)),
                "closed": t + timeframe.duration <= now,
            }
        )
    return out


def _levels(levels: Sequence[Level]) -> list[list[str | None]]:
    return [[_num(price), _num(quantity)] for price, quantity in levels]


def book(bids: Sequence[Level], asks: Sequence[Level], at: datetime) -> dict[str, Any]:
    return {"bids": _levels(bids), "asks": _levels(asks), "timestamp": at.isoformat()}


def _raw_levels(rows: Any, depth: int) -> list[Level]:
    levels = []
    for row in list(rows or [])[:depth]:
        price, quantity = decimal_or_none(row[0]), decimal_or_none(row[1])
        if price is not None and quantity is not None:
            levels.append((price, quantity))
    return levels


def exchange_book(raw: dict[str, Any], depth: int, now: datetime) -> dict[str, Any]:
    at = millis_to_datetime(raw.get("timestamp")) or now
    return book(_raw_levels(raw.get("bids"), depth), _raw_levels(raw.get("asks"), depth), at)


def exchange_trades(rows: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    out = []
    for raw in rows:
        at = millis_to_datetime(raw.get("timestamp"))
        out.append(
            {
                "id": None if raw.get("id") is None else str(raw["id"]),
                "price": _num(decimal_or_none(raw.get("price"))),
                "quantity": _num(decimal_or_none(raw.get("amount"))),
                "side": (raw.get("side") or "").capitalize() or None,
                "timestamp": None if at is None else at.isoformat(),
            }
        )
    return out


def _stats(
    venue: str,
    symbol: str,
    last: Decimal | None,
    open_: Decimal | None,
    high: Decimal | None,
    low: Decimal | None,
    volume: Decimal | None,
) -> dict[str, Any]:
    change = None if last is None or open_ is None else last - open_
    pct = None if change is None or not open_ else (change / open_ * 100).quantize(Decimal("0.0001"))
    return {
        "symbol": symbol,
        "venue": venue,
        "last": _num(last),
        "change24h": _num(change),
        "changePct24h": _num(pct),
        "high24h": _num(high),
        "low24h": _num(low),
        "volume24h": _num(volume),
    }


def built_stats(venue: str, symbol: str, last: Decimal, bars: Sequence[Bar]) -> dict[str, Any]:
    if not bars:
        return _stats(venue, symbol, last, last, last, last, Decimal(0))
    return _stats(
        venue,
        symbol,
        last,
        bars[0].open,
        max(max(b.high for b in bars), last),
        min(min(b.low for b in bars), last),
        sum((b.volume for b in bars), Decimal(0)),
    )


def exchange_stats(venue: str, symbol: str, raw: dict[str, Any]) -> dict[str, Any]:
    return _stats(
        venue,
        symbol,
        decimal_or_none(raw.get("last")),
        decimal_or_none(raw.get("open")),
        decimal_or_none(raw.get("high")),
        decimal_or_none(raw.get("low")),
        decimal_or_none(raw.get("baseVolume")),
    )
