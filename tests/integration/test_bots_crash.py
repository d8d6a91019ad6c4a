"""The bots process SIGKILLed while 50 bots trade on a stream of candles: after its restart every bot
resumes where it stood, none is lost, and no order is requested twice."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any
from uuid import UUID

import httpx
import pytest

from tests.support.bots import data, publish_candle, requested_by_bots
from tests.support.client import WIDE_LIMITS, Api, User, eventually
from tests.support.servers import Stack, module_stack

pytestmark = [pytest.mark.integration, pytest.mark.timeout(300)]

BTC = Decimal("65000")
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
FIRST = (datetime.now(UTC) + timedelta(days=1)).replace(second=0, microsecond=0)
"""Candles ahead of the wall clock: a bot's last run is then the last candle's close, not a fill's time."""


@pytest.fixture(scope="module")
def stack(postgres_server_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    with module_stack(tmp_path_factory.mktemp("bots-crash"), postgres_server_url) as running:
        yield running


@pytest.fixture(scope="module")
async def api(stack: Stack) -> AsyncIterator[Api]:
    async with httpx.AsyncClient(base_url=stack.url("gateway"), timeout=15) as http:
        api = Api(http, stack)
        await api.prime({"BTC/USDT": BTC})
        yield api


async def start_bots(api: Api, who: User) -> list[str]:
    ids = []
    for i in range(BOTS_EACH):
        params = {
            "name": f"ladder {i}",
            "strategy": "dca",
            "venueId": who.account,
            "config": DCA,
            "allocation": {"USDT": "2000"},
        }
        bot = await data(api.stack.nats_url, who, "bots.create", params)
        await data(api.stack.nats_url, who, "bots.start", {"id": bot["id"]})
        ids.append(bot["id"])
    return ids


async def bots_of(api: Api, who: User) -> list[dict[str, Any]]:
    return await data(api.stack.nats_url, who, "bots.list", {"pageSize": 100})  # type: ignore[no-any-return]


async def test_a_killed_bots_process_resumes_every_bot_and_sends_no_order_twice(api: Api) -> None:
    users = [await api.trader(limits=WIDE_LIMITS) for _ in range(USERS)]
    ids = {who.id: await start_bots(api, who) for who in users}
    stack = api.stack

    for i in range(CANDLES):
        if i == KILL_AT:
            stack.kill("bots")
        if i == RESTART_AT:
            await asyncio.to_thread(stack.restart, "bots")
        await publish_candle(stack.nats_url, "BTC/USDT", FIRST + timedelta(minutes=i), BTC - 10 * i)
        await asyncio.sleep(0.4)

    last_close = (FIRST + timedelta(minutes=CANDLES)).isoformat()

    async def all_bots() -> list[dict[str, Any]]:
        return [bot for who in users for bot in await bots_of(api, who)]

    bots = await eventually(
        all_bots, lambda bs: all(b["lastRunAt"] is not None and b["lastRunAt"] >= last_close for b in bs), 90
    )
    assert sorted(b["id"] for b in bots) == sorted(i for found in ids.values() for i in found)
    assert all(b["status"] == "Running" and b["error"] is None for b in bots), bots

    sent = await requested_by_bots(stack.nats_url)
    assert sum(sent.values()) > len(bots), "the bots kept trading"
    assert [order for order, times in sent.items() if times > 1] == []
    per_bot: Counter[UUID] = Counter()
    for who in users:
        for bot_id in ids[who.id]:
            orders = await data(stack.nats_url, who, "bots.orders", {"id": bot_id})
            per_bot[UUID(bot_id)] = len(orders)
            assert {UUID(o["id"]) for o in orders} <= set(sent)
    # One buy at most per candle and bot: a replay that made new ids would show as more.
    assert max(per_bot.values()) <= CANDLES
