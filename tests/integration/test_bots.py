"""Bots on the real stack: a rebalancer on a paper account plans in dry run and sends nothing, trades
back within its drift threshold when live (its orders carry its id), is refused plainly by the default
position cap, and sends nothing while its user is halted."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from decimal import Decimal
from typing import Any
from uuid import UUID

import httpx
import pytest
from tradeplane.contracts.queries import Reply

from tests.support.bots import ask, data, requested_by_bots
from tests.support.client import Api, User, eventually, ok
from tests.support.servers import Stack, module_stack

pytestmark = [pytest.mark.integration, pytest.mark.timeout(240)]

BTC = Decimal("65000")
REBALANCER = {"targets": {"BTC": "0.5", "USDT": "0.5"}, "intervalSeconds": 3600, "driftThresholdPct": "5"}
ALLOCATION = {"USDT": "10000"}


@pytest.fixture(scope="module")
def stack(postgres_server_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    with module_stack(tmp_path_factory.mktemp("bots"), postgres_server_url) as running:
        yield running


@pytest.fixture(scope="module")
async def api(stack: Stack) -> AsyncIterator[Api]:
    async with httpx.AsyncClient(base_url=stack.url("gateway"), timeout=15) as http:
        api = Api(http, stack)
        await api.prime({"BTC/USDT": BTC})
        yield api


async def rebalancer(api: Api, who: User, dry_run: bool) -> dict[str, Any]:
    params = {
        "name": "half and half",
        "strategy": "rebalancer",
        "venueId": who.account,
        "config": REBALANCER,
        "allocation": ALLOCATION,
        "dryRun": dry_run,
    }
    return await data(api.stack.nats_url, who, "bots.create", params)  # type: ignore[no-any-return]


async def logs(api: Api, who: User, bot: dict[str, Any]) -> list[str]:
    lines = await data(api.stack.nats_url, who, "bots.logs", {"id": bot["id"], "pageSize": 100})
    return [line["message"] for line in lines]


async def bot_orders(api: Api, who: User, bot: dict[str, Any]) -> list[dict[str, Any]]:
    return await data(api.stack.nats_url, who, "bots.orders", {"id": bot["id"]})  # type: ignore[no-any-return]


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
    params = {
        "name": "bad",
        "strategy": "rebalancer",
        "venueId": who.account,
        "config": {**REBALANCER, "intervalSeconds": 5},
    }
    reply = await ask(api.stack.nats_url, who, "bots.create", params)

    assert reply.error is not None and (reply.error.code, reply.error.status) == ("VALIDATION_ERROR", 422)
    assert "config.intervalSeconds" in [f["field"] for f in reply.error.details["fields"]]


async def test_a_bot_on_another_users_account_is_refused_not_found(api: Api) -> None:
    owner, other = await trader(api, None), await trader(api, None)
    params = {"name": "x", "strategy": "rebalancer", "venueId": owner.account, "config": REBALANCER}

    reply = await ask(api.stack.nats_url, other, "bots.create", params)

    assert reply.error is not None and reply.error.status == 404, reply


async def test_another_users_bot_is_not_found(api: Api) -> None:
    owner, other = await trader(api, None), await trader(api, None)
    bot = await rebalancer(api, owner, dry_run=True)

    reply: Reply = await ask(api.stack.nats_url, other, "bots.get", {"id": bot["id"]})

    assert reply.error is not None and (reply.error.code, reply.error.status) == ("NOT_FOUND", 404)


async def test_dry_run_logs_the_plan_and_sends_nothing(api: Api) -> None:
    who = await trader(api, 60)
    bot = await rebalancer(api, who, dry_run=True)

    started = await data(api.stack.nats_url, who, "bots.start", {"id": bot["id"]})
    lines = await eventually(lambda: logs(api, who, bot), lambda ls: any("dry run" in m for m in ls))

    assert started["status"] == "Running" and started["nextRunAt"] is not None
    assert any(m.startswith("dry run: would buy") and "BTC/USDT market" in m for m in lines), lines
    assert await bot_orders(api, who, bot) == []
    assert await api.orders(who) == []


async def test_live_run_brings_the_holdings_within_the_drift_threshold(api: Api) -> None:
    who = await trader(api, 60)
    bot = await rebalancer(api, who, dry_run=True)
    await data(api.stack.nats_url, who, "bots.start", {"id": bot["id"]})
    await data(api.stack.nats_url, who, "bots.update", {"id": bot["id"], "dryRun": False})

    await data(api.stack.nats_url, who, "bots.run", {"id": bot["id"]})
    orders = await eventually(
        lambda: bot_orders(api, who, bot), lambda os: os and all(o["status"] == "Filled" for o in os)
    )

    balances = ok(await api.http.get(f"/api/venues/{who.account}/balance", headers=who.headers))
    assert abs(btc_weight(balances) - Decimal("0.5")) * 100 <= 5, balances
    assert all(o["botId"] == bot["id"] for o in orders)
    sent = await requested_by_bots(api.stack.nats_url)
    assert all(sent[UUID(o["id"])] == 1 for o in orders), sent
    performance = await data(api.stack.nats_url, who, "bots.performance", {"id": bot["id"]})
    assert Decimal(performance["fees"]) > 0, performance


async def test_with_the_default_position_cap_the_orders_are_rejected_and_the_bot_says_why(api: Api) -> None:
    who = await trader(api, None)
    bot = await rebalancer(api, who, dry_run=False)

    await data(api.stack.nats_url, who, "bots.start", {"id": bot["id"]})
    lines = await eventually(
        lambda: logs(api, who, bot), lambda ls: any("MAX_POSITION" in m for m in ls), timeout=30
    )
    shown = await data(api.stack.nats_url, who, "bots.get", {"id": bot["id"]})

    assert any(m.startswith("rejected by risk: MAX_POSITION") for m in lines), lines
    assert shown["status"] == "Running" and "MAX_POSITION" in (shown["error"] or ""), shown


async def test_a_halted_users_bot_sends_nothing_until_the_release(api: Api) -> None:
    who = await trader(api, 60)
    admin = await api.admin()
    bot = await rebalancer(api, who, dry_run=False)
    body = {"scope": "user", "reason": "drill", "userId": who.id}
    ok(await api.http.post("/api/killswitch/activate", json=body, headers=admin.headers))

    await data(api.stack.nats_url, who, "bots.start", {"id": bot["id"]})
    lines = await eventually(lambda: logs(api, who, bot), lambda ls: any("order not sent" in m for m in ls))
    assert any("user halt" in m for m in lines), lines
    assert await bot_orders(api, who, bot) == []

    ok(await api.http.post("/api/killswitch/deactivate", json=body, headers=admin.headers))
    # Released: the next run sends its order.
    await eventually(lambda: run_and_list(api, who, bot), bool)


async def run_and_list(api: Api, who: User, bot: dict[str, Any]) -> list[dict[str, Any]]:
    await data(api.stack.nats_url, who, "bots.run", {"id": bot["id"]})
    return await bot_orders(api, who, bot)


async def test_stop_deletes_only_a_stopped_bot(api: Api) -> None:
    who = await trader(api, None)
    bot = await rebalancer(api, who, dry_run=True)
    await data(api.stack.nats_url, who, "bots.start", {"id": bot["id"]})

    refused = await ask(api.stack.nats_url, who, "bots.delete", {"id": bot["id"]})
    stopped = await data(api.stack.nats_url, who, "bots.stop", {"id": bot["id"]})
    deleted = await data(api.stack.nats_url, who, "bots.delete", {"id": bot["id"]})

    assert refused.error is not None and (refused.error.code, refused.error.status) == (
        "BOT_NOT_STOPPED",
        409,
    )
    assert stopped["status"] == "Stopped" and deleted == {"deleted": True}
