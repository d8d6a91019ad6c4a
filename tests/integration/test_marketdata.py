"""Market data through the public API on the real stack: paper candles from the synthetic feed, closed
candles on the bus, and a live venue's tickers, candles and order book from the Kraken emulator (ccxt)."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import httpx
import nats.js.errors
import pytest
from tradeplane.contracts import Ticker, streams, subjects
from tradeplane.contracts.market import CandleClosed, Timeframe, candle_msg_id

from tests.support.client import connect_kraken, eventually_sync, new_secret, ok, register
from tests.support.emulator_thread import EmulatorThread
from tests.support.natsauth import connect_operator
from tests.support.servers import Stack, run_async

pytestmark = [pytest.mark.integration, pytest.mark.timeout(240)]

SERVICES = ["risk", "marketdata", "execution", "gateway"]
KRAKEN_PRICE = Decimal("61234.5")


@pytest.fixture(scope="module")
def emulator() -> Iterator[EmulatorThread]:
    with EmulatorThread() as running:
        running.call(running.emulator.set_price, "BTC/USDT", KRAKEN_PRICE)
        yield running


@pytest.fixture(scope="module")
def market_stack(
    emulator: EmulatorThread, postgres_server_url: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Stack]:
    stack = Stack(tmp_path_factory.mktemp("marketdata"), postgres_server_url=postgres_server_url)
    env = {
        "TP_RISK_HEARTBEAT_TIMEOUT_SECONDS": "0",
        "TP_FEED_INTERVAL_SECONDS": "0.25",
        "TP_CCXT_API_URLS": json.dumps({"kraken": emulator.url}),
        "TP_CCXT_RATE_LIMIT": "false",
        "TP_MARKETDATA_VENUES": json.dumps({"kraken": ["BTC/USDT"]}),
        "TP_MARKETDATA_POLL_SECONDS": "0.5",
        "TP_MARKETDATA_CACHE_SECONDS": "0",
    }
    try:
        stack.start(services=SERVICES, env=env)
        yield stack
    finally:
        stack.stop()


@pytest.fixture(scope="module")
def api(market_stack: Stack) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=market_stack.url("gateway"), timeout=30) as client:
        yield client


@pytest.fixture(scope="module")
def headers(api: httpx.Client) -> dict[str, str]:
    return register(api, limits=None).headers


def candles(api: httpx.Client, headers: dict[str, str], path: str, **params: str) -> list[dict[str, Any]]:
    return ok(api.get(f"/api/market/candles/{path}", params=params, headers=headers))  # type: ignore[no-any-return]


def assert_consistent(candle: dict[str, Any], timeframe: Timeframe) -> None:
    o, h, low, c = (Decimal(candle[k]) for k in ("open", "high", "low", "close"))
    assert low <= min(o, c) <= max(o, c) <= h
    t = datetime.fromisoformat(candle["t"])
    assert timeframe.floor(t) == t


def test_paper_candles_form_from_the_synthetic_feed(api: httpx.Client, headers: dict[str, str]) -> None:
    found = eventually_sync(
        lambda: candles(api, headers, "BTC-USDT", timeframe="1m"), lambda rows: len(rows) >= 1
    )
    forming = found[-1]
    assert forming["closed"] is False
    assert_consistent(forming, Timeframe.M1)
    # The same market, its symbol URL-encoded, and on a wider timeframe.
    hourly = candles(api, headers, "BTC%2FUSDT", timeframe="1h")
    assert hourly[-1]["closed"] is False
    assert_consistent(hourly[-1], Timeframe.H1)


def test_a_paper_order_book_and_stats_come_from_the_current_prices(
    api: httpx.Client, headers: dict[str, str]
) -> None:
    book = ok(api.get("/api/market/orderbook/ETH-USDT", params={"depth": "5"}, headers=headers))
    assert len(book["bids"]) == len(book["asks"]) == 5
    best_bid, best_ask = Decimal(book["bids"][0][0]), Decimal(book["asks"][0][0])
    assert best_bid < best_ask
    assert [Decimal(p) for p, _ in book["bids"]] == sorted(
        (Decimal(p) for p, _ in book["bids"]), reverse=True
    )
    assert all(Decimal(q) > 0 for _, q in book["asks"])
    stats = ok(api.get("/api/market/stats", headers=headers))
    by_symbol = {s["symbol"]: s for s in stats}
    assert {"BTC/USDT", "ETH/USDT", "SOL/USDT"} <= set(by_symbol)
    btc = by_symbol["BTC/USDT"]
    assert Decimal(btc["low24h"]) <= Decimal(btc["last"]) <= Decimal(btc["high24h"])


def test_bad_symbols_and_timeframes_answer_with_a_code(api: httpx.Client, headers: dict[str, str]) -> None:
    def error(path: str, **params: str) -> tuple[int, str]:
        response = api.get(path, params=params, headers=headers)
        return response.status_code, response.json()["error"]["code"]

    assert error("/api/market/candles/not a symbol")[0] == 422
    assert error("/api/market/candles/BTC-USDT-EUR")[0] == 422
    assert error("/api/market/candles/DOGE-USDT") == (404, "SYMBOL_NOT_FOUND")
    assert error("/api/market/orderbook/DOGE-USDT") == (404, "SYMBOL_NOT_FOUND")
    assert error("/api/market/candles/BTC-USDT", timeframe="2m")[0] == 422
    assert error(
        "/api/market/candles/BTC-USDT", start="2026-01-02T00:00:00Z", end="2026-01-01T00:00:00Z"
    ) == (
        422,
        "INVALID_RANGE",
    )
    assert error("/api/market/stats", venueId=str(uuid.uuid4())) == (404, "VENUE_NOT_FOUND")


def test_a_live_venue_s_prices_candles_and_book_come_from_the_exchange(
    api: httpx.Client, emulator: EmulatorThread
) -> None:
    user = register(api, limits=None)
    key, secret = f"key-{uuid.uuid4().hex[:8]}", new_secret()
    emulator.call(emulator.emulator.add_account, key, secret, {"USDT": Decimal(100)})
    connected = connect_kraken(api, user, key, secret)
    assert connected.status_code == 201, connected.text
    venue = {"venueId": connected.json()["data"]["id"]}

    # The followed market's tickers reach execution: the live account gets the exchange's price.
    prices = eventually_sync(
        lambda: ok(api.get("/api/market/prices", params=venue, headers=user.headers)),
        lambda rows: any(r["symbol"] == "BTC/USDT" for r in rows),
    )
    [btc] = [r for r in prices if r["symbol"] == "BTC/USDT"]
    assert (btc["venue"], Decimal(btc["price"])) == ("kraken", KRAKEN_PRICE)

    # Its candles are built here from those tickers.
    built = eventually_sync(
        lambda: candles(api, user.headers, "BTC-USDT", timeframe="1m", **venue), lambda rows: len(rows) >= 1
    )
    assert Decimal(built[-1]["close"]) == KRAKEN_PRICE

    # A market not followed: the exchange's own OHLCV, order book and trades, through ccxt.
    fetched = candles(api, user.headers, "ETH-USDT", timeframe="5m", **venue)
    assert fetched and all(c["closed"] for c in fetched[:-1])
    assert_consistent(fetched[0], Timeframe.M5)
    book = ok(api.get("/api/market/orderbook/ETH-USDT", params={**venue, "depth": "3"}, headers=user.headers))
    assert len(book["bids"]) == len(book["asks"]) == 3
    assert Decimal(book["bids"][0][0]) < Decimal(book["asks"][0][0])
    trades = ok(api.get("/api/market/trades/ETH-USDT", params=venue, headers=user.headers))
    assert trades and {t["side"] for t in trades} <= {"Buy", "Sell"}

    missing = api.get("/api/market/orderbook/DOGE-USDT", params=venue, headers=user.headers)
    assert (missing.status_code, missing.json()["error"]["code"]) == (404, "SYMBOL_NOT_FOUND")


async def _last_candle(nats_url: str, subject: str) -> tuple[CandleClosed, str] | None:
    nc = await connect_operator(nats_url)
    try:
        raw = await nc.jetstream().get_last_msg(streams.MARKET.name, subject)
    except nats.js.errors.NotFoundError:
        return None
    finally:
        await nc.close()
    return CandleClosed.model_validate_json(raw.data or b""), (raw.headers or {}).get("Nats-Msg-Id", "")


def test_a_one_minute_candle_closes_is_published_and_served_after_a_restart(
    api: httpx.Client, headers: dict[str, str], market_stack: Stack
) -> None:
    """Waits for a minute boundary (the one test that does); SIGKILLs marketdata on the way."""
    subject = subjects.candle("paper", "SOL/USDT", "1m")
    before = eventually_sync(lambda: candles(api, headers, "SOL-USDT", timeframe="1m"), lambda rows: rows)
    opened = before[-1]

    market_stack.kill("marketdata")
    market_stack.restart("marketdata")

    found = eventually_sync(lambda: run_async(lambda: _last_candle(market_stack.nats_url, subject)), bool, 90)
    assert found is not None
    closed, msg_id = found
    assert msg_id == candle_msg_id("paper", "SOL/USDT", Timeframe.M1, closed.t)
    assert closed.low <= min(closed.open, closed.close) and closed.high >= max(closed.open, closed.close)
    assert closed.closes_at <= datetime.now(UTC)

    served = candles(api, headers, "SOL-USDT", timeframe="1m")
    times = [datetime.fromisoformat(c["t"]) for c in served]
    assert len(times) == len(set(times)), "a candle served twice"
    [same] = [c for c in served if datetime.fromisoformat(c["t"]) == closed.t]
    assert same["closed"] is True
    assert [Decimal(same[k]) for k in ("open", "high", "low", "close")] == [
        closed.open,
        closed.high,
        closed.low,
        closed.close,
    ]
    # The candle that was forming when marketdata was killed kept its first tick.
    [resumed] = [c for c in served if datetime.fromisoformat(c["t"]) == datetime.fromisoformat(opened["t"])]
    assert Decimal(resumed["open"]) == Decimal(opened["open"])


def test_only_marketdata_publishes_the_paper_feed(market_stack: Stack) -> None:
    async def producers() -> set[str]:
        nc = await connect_operator(market_stack.nats_url)
        seen: set[str] = set()
        try:
            sub = await nc.subscribe(subjects.ticker("paper", "BTC/USDT"))
            for _ in range(4):
                msg = await sub.next_msg(timeout=5)
                seen.add(Ticker.model_validate_json(msg.data).meta.producer)
        finally:
            await nc.close()
        return seen

    assert run_async(producers) == {"marketdata"}
