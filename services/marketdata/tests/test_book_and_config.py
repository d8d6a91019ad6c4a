"""The paper venue's synthetic order book, the query parameters and the service's settings."""

from __future__ import annotations

from decimal import Decimal

import pytest
from pydantic import ValidationError
from tradeplane.contracts.market import Timeframe
from tradeplane.contracts.queries import QueryError
from tradeplane.marketdata.config import Settings
from tradeplane.marketdata.domain.book import synthetic_book
from tradeplane.marketdata.queries import CandleParams
from tradeplane.paper.book import PaperSettings
from tradeplane.paper.markets import PAPER_MARKETS


def test_the_paper_book_steps_one_tick_from_the_touch_with_the_liquidity_of_one_tick() -> None:
    spec = PAPER_MARKETS["BTC/USDT"]
    liquidity = PaperSettings().liquidity_per_tick
    book = synthetic_book(spec, Decimal("64999.90"), Decimal("65000.10"), liquidity, 3)

    assert [p for p, _ in book.bids] == [Decimal("64999.90") - spec.price_precision * i for i in range(3)]
    assert [p for p, _ in book.asks] == [Decimal("65000.10") + spec.price_precision * i for i in range(3)]
    for price, quantity in [*book.bids, *book.asks]:
        assert quantity % spec.amount_precision == 0
        assert quantity * price <= liquidity < (quantity + spec.amount_precision) * price


def test_symbols_are_read_as_paths_write_them() -> None:
    assert CandleParams.model_validate({"symbol": "btc-usdt"}).symbol == "BTC/USDT"
    assert CandleParams.model_validate({"symbol": "ETH/USDT", "timeframe": "5m"}).timeframe is Timeframe.M5
    with pytest.raises(ValidationError):
        CandleParams.model_validate({"symbol": "BTC"})


def test_a_range_that_ends_before_it_starts_is_refused() -> None:
    with pytest.raises(QueryError) as refused:
        CandleParams.model_validate({"symbol": "BTC/USDT", "start": "2026-01-02", "end": "2026-01-01"})
    assert refused.value.reply.error is not None and refused.value.reply.error.code == "INVALID_RANGE"


def test_settings_build_every_timeframe_by_default_and_check_the_followed_venues() -> None:
    assert Settings().marketdata_timeframes == list(Timeframe)
    followed = Settings(marketdata_venues={"kraken": ["BTC/USD"]})
    assert followed.marketdata_venues == {"kraken": ["BTC/USD"]}
    with pytest.raises(ValidationError):
        Settings(marketdata_venues={"kraken": ["btc-usd"]})
    with pytest.raises(ValidationError):
        Settings(marketdata_venues={"paper": ["BTC/USDT"]})
