"""Bots through the public API on the real stack: a rebalancer on a paper account plans in dry run and
sends nothing, trades back within its drift threshold when live (its orders carry its id), is refused
plainly by the default position cap, and sends nothing while its user is halted; the bots process
SIGKILLed while 50 bots trade resumes every bot and requests no order twice (the last test: it moves
the bots' clocks a day ahead)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any
from uuid import UUID

import httpx
import pytest
from tradeplane.contracts.market import Timeframe

from tests.support.bots import publish_candle, requested_by_bots
from tests.support.client import WIDE_LIMITS, Api, User, eventually, ok
from tests.support.servers import Stack, shared_stack

pytestmark = [pytest.mark.integration, pytest.mark.timeout(240)]

BTC = Decimal("65000")
REBALANCER = {"targets": {"BTC": "0.5", "USDT": "0.5"}, "intervalSeconds": 3600, "driftThresholdPct": "5"}
ALLOCATION = {"USDT": "10000"}


stack = shared_stack("bots")


@pytest.fixture(scope="module")
async def api(stack: Stack) -> AsyncIterator[Api]:
    async with Api.on(stack, prices={"BTC/USDT": BTC}) as api:
        yield api


async def create(api: Api, who: User, body: dict[str, Any]) -> httpx.Response:
    return await api.http.post("/api/bots", json=body, headers=who.headers)


async def rebalancer(api: Api, who: User, dry_run: bool) -> dict[str, Any]:
    body = {
        "name": "half and half",
        "strategy": "rebalancer",
        "venueId": who.account,
        "config": REBALANCER,
        "allocation": ALLOCATION,
        "dryRun": dry_run,
    }
    response = await create(api, who, body)
    assert response.status_code == 201, response.text
    return response.json()["data"]  # type: ignore[no-any-return]


async def act(api: Api, who: User, bot: dict[str, Any], action: str, body: Any = None) -> dict[str, Any]:
    """`POST /api/bots/{id}/<action>` (start, pause, resume, stop, run): the bot after it."""
    path = f"/api/bots/{bot['id']}/{action}"
    return ok(await api.http.post(path, json=body, headers=who.headers))  # type: ignore[no-any-return]


async def get(api: Api, who: User, bot: dict[str, Any], part: str = "") -> Any:
    return ok(
        await api.http.get(f"/api/bots/{bot['id']}{part}", headers=who.headers, params={"pageSize": 100})
    )


async def logs(api: Api, who: User, bot: dict[str, Any]) -> list[str]:
    return [line["message"] for line in await get(api, who, bot, "/logs")]


async def bot_orders(api: Api, who: User, bot: dict[str, Any]) -> list[dict[str, Any]]:
    return await get(api, who, bot, "/orders")  # type: ignore[no-any-return]


def error_of(response: httpx.Response) -> tuple[int, str]:
    return response.status_code, response.json()["error"]["code"]


async def trader(api: Api, position_pct: int | None) -> User:
    """A trader with a 10 000 USDT paper account; an admin raises their position cap when asked."""
    who = await api.trader({"USDT": "10000"})
    if position_pct is not None:
        await api.put_limits_as_admin(await api.admin(), who, maxPositionPct=position_pct)
    return who


def btc_weight(balances: dict[str, Any]) -> Decimal:
    btc = Decimal(balances.get("BTC", {}).get("total", "0")) * BTC
    usdt = Decimal(balances["USDT"]["total"])
    return btc / (btc + usdt)


async def test_a_config_that_does_not_fit_the_schema_is_refused_naming_the_field(api: Api) -> None:
    who = await trader(api, None)
    body = {
        "name": "bad",
        "strategy": "rebalancer",
        "venueId": who.account,
        "config": {**REBALANCER, "intervalSeconds": 5},
    }
    response = await create(api, who, body)

    assert error_of(response) == (422, "VALIDATION_ERROR")
    assert "config.intervalSeconds" in [f["field"] for f in response.json()["error"]["details"]["fields"]]


async def test_a_bot_on_another_users_account_is_refused_not_found(api: Api) -> None:
    owner, other = await trader(api, None), await trader(api, None)
    body = {"name": "x", "strategy": "rebalancer", "venueId": owner.account, "config": REBALANCER}

    response = await create(api, other, body)

    assert error_of(response) == (404, "VENUE_NOT_FOUND")


async def test_another_users_bot_is_not_found(api: Api) -> None:
    owner, other = await trader(api, None), await trader(api, None)
    bot = await rebalancer(api, owner, dry_run=True)

    response = await api.http.get(f"/api/bots/{bot['id']}", headers=other.headers)

    assert error_of(response) == (404, "BOT_NOT_FOUND")


async def test_dry_run_logs_the_plan_and_sends_nothing(api: Api) -> None:
    who = await trader(api, 60)
    bot = await rebalancer(api, who, dry_run=True)

    started = await act(api, who, bot, "start")
    lines = await eventually(lambda: logs(api, who, bot), lambda ls: any("dry run" in m for m in ls))

    assert started["status"] == "Running" and started["nextRunAt"] is not None
    assert any(m.startswith("dry run: would buy") and "BTC/USDT market" in m for m in lines), lines
    assert await bot_orders(api, who, bot) == []
    assert await api.orders(who) == []


async def test_live_run_brings_the_holdings_within_the_drift_threshold(api: Api) -> None:
    who = await trader(api, 60)
    bot = await rebalancer(api, who, dry_run=True)
    await act(api, who, bot, "start")
    ok(await api.http.put(f"/api/bots/{bot['id']}", json={"dryRun": False}, headers=who.headers))

    await act(api, who, bot, "run")
    orders = await eventually(
        lambda: bot_orders(api, who, bot), lambda os: os and all(o["status"] == "Filled" for o in os)
    )

    balances = ok(await api.http.get(f"/api/venues/{who.account}/balance", headers=who.headers))
    assert abs(btc_weight(balances) - Decimal("0.5")) * 100 <= 5, balances
    assert all(o["botId"] == bot["id"] for o in orders)
    sent = await requested_by_bots(api.stack.nats_url)
    assert all(sent[UUID(o["id"])] == 1 for o in orders), sent
    performance = await eventually(
        lambda: get(api, who, bot, "/performance"), lambda p: Decimal(p["fees"]) > 0
    )
    assert performance["totalTrades"] == 0 and Decimal(performance["unrealizedPnl"]) <= 0, performance


async def test_with_the_default_position_cap_the_orders_are_rejected_and_the_bot_says_why(api: Api) -> None:
    who = await trader(api, None)
    bot = await rebalancer(api, who, dry_run=False)

    await act(api, who, bot, "start")
    lines = await eventually(
        lambda: logs(api, who, bot), lambda ls: any("MAX_POSITION" in m for m in ls), timeout=30
    )
    shown = await get(api, who, bot)

    assert any(m.startswith("rejected by risk: MAX_POSITION") for m in lines), lines
    assert shown["status"] == "Running" and "MAX_POSITION" in (shown["error"] or ""), shown
    assert [o["status"] for o in await bot_orders(api, who, bot)] == ["Rejected"]


async def test_a_halted_users_bot_sends_nothing_until_the_release(api: Api) -> None:
    who = await trader(api, 60)
    admin = await api.admin()
    bot = await rebalancer(api, who, dry_run=False)
    body = {"scope": "user", "reason": "drill", "userId": who.id}
    ok(await api.http.post("/api/killswitch/activate", json=body, headers=admin.headers))

    await act(api, who, bot, "start")
    lines = await eventually(lambda: logs(api, who, bot), lambda ls: any("order not sent" in m for m in ls))
    assert any("user halt" in m for m in lines), lines
    assert await bot_orders(api, who, bot) == []

    ok(await api.http.post("/api/killswitch/deactivate", json=body, headers=admin.headers))

    async def run_and_list() -> list[dict[str, Any]]:
        await act(api, who, bot, "run")
        return await bot_orders(api, who, bot)

    # Released: the next run sends its order.
    await eventually(run_and_list, bool)


async def test_only_a_stopped_bot_is_deleted(api: Api) -> None:
    who = await trader(api, None)
    bot = await rebalancer(api, who, dry_run=True)
    await act(api, who, bot, "start")

    refused = await api.http.delete(f"/api/bots/{bot['id']}", headers=who.headers)
    stopped = await act(api, who, bot, "stop", {"cancelOpenOrders": True})
    deleted = await api.http.delete(f"/api/bots/{bot['id']}", headers=who.headers)

    assert error_of(refused) == (409, "BOT_NOT_STOPPED")
    assert stopped["status"] == "Stopped" and deleted.status_code in (200, 204), deleted.text


async def test_two_bots_on_one_account_each_spend_only_their_own_allocation(api: Api) -> None:
    who = await trader(api, 60)
    all_in = {"targets": {"BTC": "1", "USDT": "0"}, "intervalSeconds": 3600, "driftThresholdPct": "1"}
    limits = {Decimal(1000): None, Decimal(3000): None}
    made = []
    for limit in limits:
        body = {
            "name": f"all in {limit}",
            "strategy": "rebalancer",
            "venueId": who.account,
            "config": all_in,
            "allocation": {"USDT": str(limit)},
        }
        response = await create(api, who, body)
        assert response.status_code == 201, response.text
        made.append(await act(api, who, response.json()["data"], "start"))

    def settled(orders: list[dict[str, Any]]) -> bool:
        return bool(orders) and all(o["status"] == "Filled" for o in orders)

    for bot, limit in zip(made, limits, strict=True):

        async def placed(bot: dict[str, Any] = bot) -> list[dict[str, Any]]:
            return await bot_orders(api, who, bot)

        orders = await eventually(placed, settled)
        spent = sum(
            (Decimal(o["filledQuantity"]) * Decimal(o["averagePrice"]) + Decimal(o["fee"]) for o in orders),
            Decimal(0),
        )
        assert limit * Decimal("0.9") < spent <= limit, (limit, orders)


async def test_a_grid_fills_a_level_and_stop_leaves_nothing_open(api: Api) -> None:
    who = await api.trader({"USDT": "100000", "BTC": "1"}, limits=WIDE_LIMITS)
    body = {
        "name": "grid",
        "strategy": "grid",
        "venueId": who.account,
        "config": {
            "symbol": "BTC/USDT",
            "lower": "63000",
            "upper": "67000",
            "levels": 5,
            "quantityPerLevel": "0.001",
        },
        "allocation": {"USDT": "5000", "BTC": "0.01"},
    }
    response = await create(api, who, body)
    assert response.status_code == 201, response.text
    bot = await act(api, who, response.json()["data"], "start")
    await publish_candle(api.stack.nats_url, "BTC/USDT", Timeframe.M1.floor(datetime.now(UTC)), BTC)
    placed = await eventually(
        lambda: api.orders(who), lambda os: len([o for o in os if o["status"] == "Open"]) == 4
    )
    assert sorted(Decimal(o["price"]) for o in placed) == [63000, 64000, 66000, 67000]

    await api.set_price(who, "BTC/USDT", Decimal("63900"))

    def open_sell_above(orders: list[dict[str, Any]]) -> bool:
        sells = [o for o in orders if o["side"] == "Sell" and o["status"] == "Open"]
        return any(Decimal(o["price"]) == 65000 for o in sells)

    # The filled buy at 64 000 became a sell one level up.
    orders = await eventually(lambda: bot_orders(api, who, bot), open_sell_above)
    assert [Decimal(o["price"]) for o in orders if o["status"] == "Filled"] == [64000], orders

    stopped = await act(api, who, bot, "stop", {"cancelOpenOrders": True})
    assert stopped["status"] == "Stopped"
    await eventually(
        lambda: api.orders(who), lambda os: not [o for o in os if o["status"] in ("Open", "Pending")]
    )
    await api.set_price(who, "BTC/USDT", BTC)


USERS, BOTS_EACH = 10, 5
CANDLES, KILL_AT, RESTART_AT = 24, 8, 12
DCA = {
    "symbol": "BTC/USDT",
    "orderQuote": "20",
    "maxOrders": 100,
    "priceDropPct": "0.01",
    "takeProfitPct": "50",
}
"""A ladder that buys on every lower close while its last buy is settled: orders flow all the time."""


async def ladders(api: Api, who: User) -> list[dict[str, Any]]:
    found = []
    for i in range(BOTS_EACH):
        body = {
            "name": f"ladder {i}",
            "strategy": "dca",
            "venueId": who.account,
            "config": DCA,
            "allocation": {"USDT": "2000"},
        }
        response = await create(api, who, body)
        assert response.status_code == 201, response.text
        found.append(await act(api, who, response.json()["data"], "start"))
    return found


async def test_a_killed_bots_process_resumes_every_bot_and_sends_no_order_twice(api: Api) -> None:
    users = [await api.trader(limits=WIDE_LIMITS) for _ in range(USERS)]
    started = {who.id: await ladders(api, who) for who in users}
    stack = api.stack
    # Candles ahead of the wall clock: a bot's last run is then the last candle's close, not a fill's time.
    first = Timeframe.M1.floor(datetime.now(UTC)) + timedelta(days=1)

    for i in range(CANDLES):
        if i == KILL_AT:
            stack.kill("bots")
        if i == RESTART_AT:
            await asyncio.to_thread(stack.restart, "bots")
        await publish_candle(stack.nats_url, "BTC/USDT", first + timedelta(minutes=i), BTC - 10 * i)
        await asyncio.sleep(0.4)

    last_close = (first + timedelta(minutes=CANDLES)).isoformat()

    async def all_bots() -> list[dict[str, Any]]:
        pages = [
            ok(await api.http.get("/api/bots", params={"pageSize": 100}, headers=w.headers)) for w in users
        ]
        return [bot for page in pages for bot in page]

    def caught_up(bots: list[dict[str, Any]]) -> bool:
        return all(b["lastRunAt"] is not None and b["lastRunAt"] >= last_close for b in bots)

    bots = await eventually(all_bots, caught_up, 90)
    assert sorted(b["id"] for b in bots) == sorted(b["id"] for found in started.values() for b in found)
    assert all(b["status"] == "Running" and b["error"] is None for b in bots), bots

    sent = await requested_by_bots(stack.nats_url)
    assert sum(sent.values()) > len(bots), "the bots kept trading"
    assert [order for order, times in sent.items() if times > 1] == []
    for who in users:
        for bot in started[who.id]:
            orders = await bot_orders(api, who, bot)
            assert {UUID(o["id"]) for o in orders} <= set(sent)
            # One buy at most per candle: a replay that made new ids would show as more.
            assert len(orders) <= CANDLES
