"""Live venues through ccxt: tickers published as contracts, exchange errors as coded query errors."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import ccxt.async_support as ccxt
import pytest
from tradeplane.contracts.queries import QueryError
from tradeplane.marketdata.adapters.exchanges import Exchanges


class FakeExchange:
    has = {"fetchTickers": True}

    def __init__(self, tickers: dict[str, Any] | None = None, fail: Exception | None = None) -> None:
        self.tickers = tickers or {}
        self.fail = fail
        self.calls = 0

    async def fetch_tickers(self, symbols: list[str] | None = None) -> dict[str, Any]:
        self.calls += 1
        if self.fail is not None:
            raise self.fail
        return self.tickers

    async def load_markets(self) -> dict[str, Any]:
        return {"BTC/USD": {"symbol": "BTC/USD"}}

    async def fetch_order_book(self, symbol: str, limit: int) -> dict[str, Any]:
        self.calls += 1
        return {"bids": [[1, 1]], "asks": [[2, 1]], "timestamp": None}

    async def close(self) -> None:
        pass


def with_fake(fake: FakeExchange, cache_seconds: float = 60) -> Exchanges:
    exchanges = Exchanges({}, 1000, cache_seconds)
    exchanges._open["kraken"] = fake
    return exchanges


async def test_tickers_become_contract_tickers_with_the_last_price_standing_in_for_a_missing_side() -> None:
    fake = FakeExchange(
        {
            "BTC/USD": {"bid": 99.5, "ask": 100.5, "last": 100, "timestamp": 1_767_225_600_000},
            "ETH/USD": {"bid": None, "ask": None, "last": "2000.25", "timestamp": None},
            "SOL/USD": {"last": None},
        }
    )
    tickers = await with_fake(fake).tickers("kraken", ["BTC/USD", "ETH/USD", "SOL/USD"], "marketdata")

    by_symbol = {t.symbol: t for t in tickers}
    assert set(by_symbol) == {"BTC/USD", "ETH/USD"}  # no price, no ticker
    btc, eth = by_symbol["BTC/USD"], by_symbol["ETH/USD"]
    assert (btc.venue, btc.bid, btc.ask, btc.last) == (
        "kraken",
        Decimal("99.5"),
        Decimal("100.5"),
        Decimal(100),
    )
    assert btc.at.timestamp() == 1_767_225_600
    assert eth.bid == eth.ask == eth.last == Decimal("2000.25")


async def test_answers_for_queries_are_cached_briefly() -> None:
    fake = FakeExchange()
    exchanges = with_fake(fake)
    await exchanges.order_book("kraken", "BTC/USD", 5)
    await exchanges.order_book("kraken", "BTC/USD", 5)
    assert fake.calls == 1


@pytest.mark.parametrize(
    ("error", "code", "status"),
    [
        (ccxt.BadSymbol("nope"), "SYMBOL_NOT_FOUND", 404),
        (ccxt.NetworkError("down"), "VENUE_UNAVAILABLE", 503),
        (ccxt.ExchangeNotAvailable("maintenance"), "VENUE_UNAVAILABLE", 503),
    ],
)
async def test_exchange_errors_answer_with_a_code(error: Exception, code: str, status: int) -> None:
    with pytest.raises(QueryError) as refused:
        await with_fake(FakeExchange(fail=error)).all_tickers("kraken", None)
    assert refused.value.reply.error is not None
    assert (refused.value.reply.error.code, refused.value.reply.error.status) == (code, status)


async def test_unknown_exchanges_and_symbols_are_not_found() -> None:
    exchanges = with_fake(FakeExchange())
    with pytest.raises(QueryError) as venue:
        exchanges.exchange("no_such_exchange")
    with pytest.raises(QueryError) as symbol:
        await exchanges.order_book("kraken", "DOGE/USD", 5)
    assert [e.value.reply.error.code for e in (venue, symbol) if e.value.reply.error] == [
        "VENUE_NOT_FOUND",
        "SYMBOL_NOT_FOUND",
    ]
