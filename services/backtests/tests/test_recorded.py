"""The `recorded` dataset read from marketdata's `market.candles`, page by page, oldest first."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import uuid4

import pytest
from tradeplane.backtest import BacktestRequest
from tradeplane.backtests import recorded
from tradeplane.contracts import Role
from tradeplane.contracts.queries import Caller, QueryError, Reply

T0 = datetime(2024, 1, 1, tzinfo=UTC)
MINUTE = timedelta(minutes=1)


def request(minutes: int) -> dict[str, Any]:
    return {
        "strategy": "grid",
        "config": {
            "symbol": "BTC/USDT",
            "lower": "60000",
            "upper": "62000",
            "levels": 3,
            "quantityPerLevel": "0.01",
        },
        "timeframe": "1m",
        "start": T0.isoformat(),
        "end": (T0 + MINUTE * minutes).isoformat(),
        "initialBalances": {"USDT": "10000"},
        "dataset": "recorded",
    }


class Marketdata:
    """`market.candles` over stored 1-minute candles: the newest `limit` opening in [start, end]."""

    def __init__(self, minutes: int) -> None:
        self.stored = [T0 + MINUTE * i for i in range(minutes)]
        self.asked: list[dict[str, Any]] = []

    async def __call__(self, caller: Caller, params: dict[str, Any]) -> Reply:
        self.asked.append(params)
        start, end = datetime.fromisoformat(params["start"]), datetime.fromisoformat(params["end"])
        rows = [t for t in self.stored if start <= t <= end][-params["limit"] :]
        price = "61000"
        return Reply.success(
            [
                {
                    "t": t.isoformat(),
                    "open": price,
                    "high": price,
                    "low": price,
                    "close": price,
                    "volume": "1",
                    "closed": True,
                }
                for t in rows
            ]
        )


async def test_a_long_period_is_read_in_pages_oldest_first_without_gaps_or_repeats() -> None:
    marketdata = Marketdata(2500)
    found = await recorded.fetch(marketdata, uuid4(), request(2600))
    assert [c.t for c in found["BTC/USDT"]] == marketdata.stored
    assert len(marketdata.asked) == 3


async def test_no_candle_in_the_period_is_a_422_naming_the_dataset() -> None:
    marketdata = Marketdata(0)
    caller = Caller(user_id=uuid4(), role=Role.TRADER)
    with pytest.raises(QueryError) as caught:
        await recorded.check(marketdata, caller, BacktestRequest.model_validate(request(60)))
    error = caught.value.reply.error
    assert error is not None and (error.status, error.code) == (422, "NO_RECORDED_CANDLES")
    assert "stored no 1m candle of BTC/USDT" in error.message


async def test_marketdata_not_answering_is_an_outage_not_a_missing_dataset() -> None:
    async def down(caller: Caller, params: dict[str, Any]) -> Reply:
        return Reply.failure("SERVICE_UNAVAILABLE", "the marketdata service did not answer", 503)

    with pytest.raises(recorded.MarketdataUnavailable):
        await recorded.fetch(down, uuid4(), request(60))
