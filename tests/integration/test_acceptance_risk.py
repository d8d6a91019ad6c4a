"""Risk caps end to end through the public API on the real stack: each cap trips with its code, loss
halts until an admin releases, drawdown restricts to reducing orders, and the settings show the state."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from decimal import Decimal

import httpx
import pytest

from tests.support.live_api import PRICES, Api, code_of, market, resting_buy
from tests.support.servers import Stack, module_stack

pytestmark = [pytest.mark.integration, pytest.mark.timeout(120)]

FAST_PNL = {"TP_PNL_UPDATE_THROTTLE_SECONDS": "0.3"}
"""Price moves reach risk (as equity) within a fraction of a second."""
NO_LOSS_CAPS = {
    "maxDailyLossUsd": "50000",
    "maxWeeklyLossUsd": "50000",
    "maxDailyLossPct": 100,
    "circuitBreakerDailyLossPct": 100,
}


@pytest.fixture(scope="module")
def stack(postgres_server_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    with module_stack(
        tmp_path_factory.mktemp("risk-acceptance"), postgres_server_url, env=FAST_PNL
    ) as running:
        yield running


@pytest.fixture(scope="module")
async def api(stack: Stack) -> AsyncIterator[Api]:
    async with httpx.AsyncClient(base_url=stack.url("gateway"), timeout=15) as http:
        api = Api(http, stack)
        await api.prime(PRICES)
        yield api


async def test_buy_beyond_the_position_cap_is_rejected_max_position(api: Api) -> None:
    # 5% of 10 000 USDT of equity allows 500 USD of BTC; 0.01 at 60 000 is 600.
    trader = await api.trader({"USDT": "10000"})

    placed = await api.place(trader, resting_buy(trader.account, price="60000", qty="0.01"))
    done = await api.settled(trader, placed["id"])

    assert (done["status"], code_of(done)) == ("Rejected", "MAX_POSITION"), done


async def test_order_beyond_the_per_minute_rate_is_rejected_rate_limit(api: Api) -> None:
    trader = await api.trader(limits={"maxOrdersPerMinute": 2})
    for _ in range(2):
        placed = await api.place(trader, resting_buy(trader.account))
        assert (await api.wait_status(trader, placed["id"], {"Open", "Rejected"}))["status"] == "Open"

    third = await api.settled(trader, (await api.place(trader, resting_buy(trader.account)))["id"])

    assert (third["status"], code_of(third)) == ("Rejected", "RATE_LIMIT"), third


async def test_order_after_the_days_trades_is_rejected_max_daily_trades(api: Api) -> None:
    trader = await api.trader(limits={"maxDailyTrades": 1})
    await api.filled(trader, market(trader.account, "Buy", "0.001"))
    assert (await api.state_when(trader, lambda s: s["tradesToday"] == 1))["tradesToday"] == 1

    second = await api.settled(
        trader, (await api.place(trader, market(trader.account, "Buy", "0.001")))["id"]
    )

    assert (second["status"], code_of(second)) == ("Rejected", "MAX_DAILY_TRADES"), second


async def test_losing_round_trip_halts_the_user_until_an_admin_releases_them(api: Api) -> None:
    trader = await api.trader({"USDT": "10000"}, limits={"maxDailyLossUsd": "5"})
    await api.set_price(trader, "ETH/USDT", Decimal("3400"))
    await api.filled(trader, market(trader.account, "Buy", "0.1", "ETH/USDT"))
    await api.set_price(trader, "ETH/USDT", Decimal("3300"))
    await api.filled(trader, market(trader.account, "Sell", "0.1", "ETH/USDT"))

    # The state is eventually consistent: wait for the halt and the loss that caused it to both show.
    halted = await api.state_when(
        trader, lambda s: s["tradingState"] == "Halted" and Decimal(s["dailyPnl"]) < -5
    )
    assert halted["tradingState"] == "Halted", halted
    assert "daily loss" in halted["haltReason"]
    assert Decimal(halted["dailyPnl"]) < -5
    refused = await api.settled(
        trader, (await api.place(trader, market(trader.account, "Buy", "0.01", "ETH/USDT")))["id"]
    )
    assert (refused["status"], code_of(refused)) == ("Rejected", "TRADING_HALTED"), refused

    admin = await api.admin()
    body = {"scope": "user", "userId": trader.id, "reason": "reviewed the losses"}
    ok_release = await api.http.post("/api/killswitch/deactivate", json=body, headers=admin.headers)
    assert ok_release.status_code == 200, ok_release.text
    assert (await api.state(trader))["tradingState"] == "Active"
    await api.put_limits(trader, maxDailyLossUsd="100")
    await api.filled(trader, market(trader.account, "Buy", "0.01", "ETH/USDT"))


async def test_drawdown_lets_a_reducing_order_through_and_rejects_an_increasing_one(api: Api) -> None:
    limits = {**NO_LOSS_CAPS, "maxPositionPct": 10, "maxDrawdownPct": 1}
    trader = await api.trader({"USDT": "10000"}, limits=limits)
    await api.set_price(trader, "SOL/USDT", Decimal("150"))
    await api.filled(trader, market(trader.account, "Buy", "6", "SOL/USDT"))
    await api.set_price(trader, "SOL/USDT", Decimal("120"))  # 6 x 30 = 180 USD: 1.8% of equity

    reducing = await api.state_when(trader, lambda s: s["tradingState"] == "Reducing")
    assert reducing["tradingState"] == "Reducing", reducing
    assert Decimal(reducing["drawdownPct"]) >= 1
    increasing = await api.settled(
        trader, (await api.place(trader, market(trader.account, "Buy", "1", "SOL/USDT")))["id"]
    )
    assert (increasing["status"], code_of(increasing)) == ("Rejected", "REDUCE_ONLY"), increasing
    await api.filled(trader, market(trader.account, "Sell", "2", "SOL/USDT"))


async def test_out_of_range_limit_is_a_422_naming_the_field(api: Api) -> None:
    trader = await api.trader()

    response = await api.http.put(
        "/api/settings/trading", json={"maxPositionPct": 50}, headers=trader.headers
    )

    assert response.status_code == 422, response.text
    error = response.json()["error"]
    assert error["code"] == "VALIDATION_ERROR"
    assert "maxPositionPct" in str(error["details"])
    assert (await api.trading(trader))["limits"]["maxPositionPct"] == "5"
