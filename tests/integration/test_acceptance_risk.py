"""Risk caps end to end through the public API on the real stack: each cap trips with its code, loss
halts until an admin releases, drawdown restricts to reducing orders, the settings show the state, and
traders set their own limits up to the platform ceilings an admin chose."""

from __future__ import annotations

from collections.abc import AsyncIterator
from decimal import Decimal
from typing import Any

import pytest

from tests.support.client import Api, User, code_of, eventually, market, ok, resting_buy
from tests.support.servers import Stack, shared_stack

pytestmark = [pytest.mark.integration, pytest.mark.timeout(120)]

FAST_PNL = {"TP_PNL_UPDATE_THROTTLE_SECONDS": "0.3"}
"""Price moves reach risk (as equity) within a fraction of a second."""
NO_LOSS_CAPS = {
    "maxDailyLossUsd": "50000",
    "maxWeeklyLossUsd": "50000",
    "maxDailyLossPct": 50,
    "circuitBreakerDailyLossPct": 50,
}
"""Loss caps as loose as the default platform ceilings allow: far beyond what the tests lose."""


stack = shared_stack("risk-acceptance", env=FAST_PNL)


@pytest.fixture(scope="module")
async def api(stack: Stack) -> AsyncIterator[Api]:
    async with Api.on(stack) as api:
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
        "/api/settings/trading", json={"maxPositionPct": 101}, headers=trader.headers
    )

    assert response.status_code == 422, response.text
    error = response.json()["error"]
    assert error["code"] == "VALIDATION_ERROR"
    assert "maxPositionPct" in str(error["details"])
    assert (await api.trading(trader))["limits"]["maxPositionPct"] == "5"


@pytest.fixture
async def admin(api: Api) -> AsyncIterator[User]:
    """The admin; the platform ceilings are as they were after the test."""
    admin = await api.admin()
    before = ok(await api.http.get("/api/admin/risk-ceilings", headers=admin.headers))
    yield admin
    ok(await api.http.put("/api/admin/risk-ceilings", json=before, headers=admin.headers))


async def test_trader_may_set_limits_up_to_the_ceilings_an_admin_set_and_gets_422_beyond(
    api: Api, admin: User
) -> None:
    trader = await api.trader()
    ceilings = {"maxDailyLossUsd": "2000", "maxOrdersPerMinute": 120}
    set_ceilings = ok(await api.http.put("/api/admin/risk-ceilings", json=ceilings, headers=admin.headers))
    assert (set_ceilings["maxDailyLossUsd"], set_ceilings["maxOrdersPerMinute"]) == ("2000", 120)

    too_loose = {"maxDailyLossUsd": "2000.01", "maxWeeklyLossUsd": "2000.01"}
    over = await api.http.put("/api/settings/trading", json=too_loose, headers=trader.headers)

    assert over.status_code == 422, over.text
    error = over.json()["error"]
    assert error["code"] == "VALIDATION_ERROR"
    assert [(f["field"], f["ceiling"]) for f in error["details"]["fields"]] == [("maxDailyLossUsd", "2000")]
    assert (await api.trading(trader))["limits"]["maxDailyLossUsd"] == "100"
    at_ceilings = {"maxDailyLossUsd": "2000", "maxWeeklyLossUsd": "2000", "maxOrdersPerMinute": 120}
    limits = (await api.put_limits(trader, **at_ceilings))["limits"]
    assert (limits["maxDailyLossUsd"], limits["maxOrdersPerMinute"]) == ("2000", 120)


async def test_admin_sets_one_users_limits_beyond_the_ceilings(api: Api, admin: User) -> None:
    trader = await api.trader()
    ok(
        await api.http.put(
            "/api/admin/risk-ceilings", json={"maxOrdersPerMinute": 120}, headers=admin.headers
        )
    )

    granted = await api.http.put(
        "/api/settings/trading",
        params={"userId": trader.id},
        json={"maxOrdersPerMinute": 5000},
        headers=admin.headers,
    )

    assert granted.status_code == 200, granted.text
    assert (await api.trading(trader))["limits"]["maxOrdersPerMinute"] == 5000
    assert (await api.put_limits(trader, maxDailyTrades=50))["limits"]["maxOrdersPerMinute"] == 5000


async def test_only_admins_read_or_change_the_ceilings(api: Api) -> None:
    trader = await api.trader()

    read = await api.http.get("/api/admin/risk-ceilings", headers=trader.headers)
    change = await api.http.put(
        "/api/admin/risk-ceilings", json={"maxOrdersPerMinute": 10000}, headers=trader.headers
    )

    assert (read.status_code, change.status_code) == (403, 403)


async def test_a_change_of_the_ceilings_is_audited_with_who_and_what(api: Api, admin: User) -> None:
    ok(await api.http.put("/api/admin/risk-ceilings", json={"maxDailyTrades": 4000}, headers=admin.headers))

    async def entries() -> list[dict[str, Any]]:
        params = {"action": "risk.ceilings.update"}
        return ok(await api.http.get("/api/compliance/audit-log", params=params, headers=admin.headers))  # type: ignore[no-any-return]

    found = await eventually(
        entries, lambda es: any(e["details"]["ceilings"]["maxDailyTrades"] == 4000 for e in es)
    )
    assert any(
        (e["actor"], e["details"]["ceilings"]["maxDailyTrades"]) == (admin.email, 4000) for e in found
    ), found
