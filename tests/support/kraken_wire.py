"""Kraken's request and answer shapes: form bodies, the API-Sign check and the public endpoints' results."""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
from collections.abc import Mapping
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any
from urllib.parse import parse_qsl

from tests.support.kraken_book import KrakenError
from tests.support.kraken_markets import PAIRS, Pair, assets_document, find_pair


def parse_form(raw: bytes, content_type: str) -> dict[str, str] | None:
    """The request's fields from a form-encoded (or, for some ccxt calls, JSON) body; None if unreadable."""
    try:
        if content_type.startswith("application/json"):
            return {k: str(v) for k, v in json.loads(raw).items()}
        return dict(parse_qsl(raw.decode(), keep_blank_values=True))
    except (ValueError, AttributeError):
        return None


def signature_matches(secret: bytes, path: str, nonce: str, raw_body: bytes, api_sign: str) -> bool:
    """Kraken's rule: API-Sign = base64(HMAC-SHA512(secret, path + SHA256(nonce + body)))."""
    try:
        given = base64.b64decode(api_sign, validate=True)
    except binascii.Error:
        return False
    digest = hashlib.sha256(nonce.encode() + raw_body).digest()
    expected = hmac.new(secret, path.encode() + digest, hashlib.sha512).digest()
    return hmac.compare_digest(expected, given)


def _wanted_pairs(params: Mapping[str, str]) -> list[Pair]:
    if not params.get("pair"):
        return list(PAIRS)
    pairs = [find_pair(name) for name in params["pair"].split(",")]
    if any(p is None for p in pairs):
        raise KrakenError("EQuery:Unknown asset pair")
    return [p for p in pairs if p is not None]


def _ticker(pair: Pair, price: Decimal) -> dict[str, Any]:
    # One price for bid, ask and last: the emulator has no book, so a market order fills at this price.
    last = pair.fmt_price(price)
    return {
        "a": [last, "1", "1.000"],
        "b": [last, "1", "1.000"],
        "c": [last, pair.fmt_volume(Decimal("0.001"))],
        "v": ["100.00000000", "100.00000000"],
        "p": [last, last],
        "t": [100, 100],
        "l": [last, last],
        "h": [last, last],
        "o": last,
    }


def public_result(method: str, params: Mapping[str, str], prices: Mapping[str, Decimal]) -> Any:
    """The `result` of /0/public/<method>; raises KrakenError as Kraken would refuse the call."""
    now = datetime.now(UTC)
    if method == "Time":
        return {"unixtime": int(now.timestamp()), "rfc1123": now.strftime("%a, %d %b %y %H:%M:%S +0000")}
    if method == "SystemStatus":
        return {"status": "online", "timestamp": now.strftime("%Y-%m-%dT%H:%M:%SZ")}
    if method == "Assets":
        return assets_document()
    if method == "AssetPairs":
        return {p.id: p.document() for p in _wanted_pairs(params)}
    if method == "Ticker":
        return {p.id: _ticker(p, prices[p.id]) for p in _wanted_pairs(params)}
    if method in _MARKET_DATA:
        if not params.get("pair"):
            raise KrakenError("EGeneral:Invalid arguments")
        pair = _wanted_pairs(params)[0]
        return _MARKET_DATA[method](pair, prices[pair.id], params, now)
    raise KrakenError("EGeneral:Unknown method")


def _depth(pair: Pair, price: Decimal, params: Mapping[str, str], now: datetime) -> dict[str, Any]:
    """A book of `count` levels (default 10) one price unit apart around the emulator's price."""
    count = min(int(params.get("count") or 10), 100)
    unit = pair.tick_size
    stamp = int(now.timestamp())

    def side(sign: int) -> list[list[Any]]:
        return [
            [pair.fmt_price(price + sign * unit * i), pair.fmt_volume(Decimal(i)), stamp]
            for i in range(1, count + 1)
        ]

    return {pair.id: {"asks": side(1), "bids": side(-1)}}


def _trades(pair: Pair, price: Decimal, params: Mapping[str, str], now: datetime) -> dict[str, Any]:
    """Three recent trades at the emulator's price, a second apart (newest last, as Kraken sends them)."""
    stamps = [now.timestamp() - n for n in (2, 1, 0)]
    volume = pair.fmt_volume(Decimal("0.01"))
    rows = [
        [pair.fmt_price(price), volume, round(t, 4), "b" if i % 2 else "s", "m", "", 1000 + i]
        for i, t in enumerate(stamps)
    ]
    return {pair.id: rows, "last": str(int(stamps[-1] * 1e9))}


def _ohlc(pair: Pair, price: Decimal, params: Mapping[str, str], now: datetime) -> dict[str, Any]:
    """Flat candles at the emulator's price: the last 10 of `interval` minutes (default 1)."""
    width = int(params.get("interval") or 1) * 60
    current = int(now.timestamp()) // width * width
    last = pair.fmt_price(price)
    rows = [
        [current - width * n, last, last, last, last, last, pair.fmt_volume(Decimal(1)), 1]
        for n in range(9, -1, -1)
    ]
    return {pair.id: rows, "last": current}


_MARKET_DATA = {"Depth": _depth, "Trades": _trades, "OHLC": _ohlc}
