"""The kill switch end to end through the public API on a real stack with three execution processes:
a global halt amid concurrent orders, an executor restarted while halted, a trader's own halt, the audit
history, and executors halting themselves when the risk service dies."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

import pytest
from nats.aio.client import Client as NatsClient
from nats.aio.msg import Msg
from nats.aio.subscription import Subscription
from tradeplane.contracts import HaltAck, OrderAccepted, OrderFilled, subjects

from tests.support.client import (
    TERMINAL,
    Api,
    User,
    code_of,
    eventually,
    gather_limited,
    market,
    metric,
    ok,
    resting_buy,
)
from tests.support.natsauth import connect_operator
from tests.support.servers import Stack, shared_stack

pytestmark = [pytest.mark.integration, pytest.mark.timeout(180)]

EXECUTORS = 3
PARTITIONS = 16
ENV = {"TP_RISK_HEARTBEAT_TIMEOUT_SECONDS": "2", "TP_RISK_HEARTBEAT_SECONDS": "0.5"}
WIDE = {"maxOrdersPerMinute": 600, "maxDailyTrades": 5000}
"""As wide as the default platform ceilings let a trader set their own."""
HALTED = "tp_execution_halted"


stack = shared_stack("killswitch-acceptance", executors=EXECUTORS, env=ENV)


@pytest.fixture(scope="module")
async def api(stack: Stack) -> AsyncIterator[Api]:
    async with Api.on(stack, timeout=30) as api:
        yield api


@pytest.fixture(scope="module")
async def bus(stack: Stack) -> AsyncIterator[NatsClient]:
    nc = await connect_operator(stack.nats_url)
    yield nc
    await nc.close()


def executor_of(person: User) -> int:
    """The ordinal of the execution process that owns the person's partition."""
    return subjects.partition_of(UUID(person.id), PARTITIONS) % EXECUTORS


@dataclass
class Heard:
    """Messages on a core NATS subject, decoded, as they arrive."""

    messages: list[Any] = field(default_factory=list)
    sub: Subscription | None = None

    @classmethod
    async def on(cls, nc: NatsClient, subject: str, model: type[Any]) -> Heard:
        heard = cls()

        async def keep(msg: Msg) -> None:
            heard.messages.append(model.model_validate_json(msg.data))

        heard.sub = await nc.subscribe(subject, cb=keep)
        return heard

    def executors(self) -> set[str]:
        """Which executors the heard acks came from."""
        return {ack.executor for ack in self.messages}

    async def close(self) -> None:
        if self.sub is not None:
            await self.sub.unsubscribe()


async def halt(api: Api, who: User, scope: str, reason: str, user: User | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {"scope": scope, "reason": reason} | ({"userId": user.id} if user else {})
    response = await api.http.post("/api/killswitch/activate", json=body, headers=who.headers)
    assert response.status_code == 200, response.text
    return response.json()["data"]  # type: ignore[no-any-return]


async def release(api: Api, who: User, scope: str, user: User | None = None) -> None:
    body: dict[str, Any] = {"scope": scope, "reason": "drill over"} | ({"userId": user.id} if user else {})
    response = await api.http.post("/api/killswitch/deactivate", json=body, headers=who.headers)
    assert response.status_code == 200, response.text


async def open_orders(api: Api, who: User, count: int) -> list[str]:
    placed = [(await api.place(who, resting_buy(who.account)))["id"] for _ in range(count)]
    for order_id in placed:
        order = await api.wait_status(who, order_id, {"Open", "Rejected"})
        assert order["status"] == "Open", (order["rejectReason"], order["error"])
    return placed


@dataclass
class GlobalHalt:
    """What happened around one global halt engaged (then released) while traders kept placing orders."""

    traders: list[User]
    resting: list[str]
    """Orders open before the halt."""
    submitted: list[str]
    """Orders placed without pause from before the halt until after every executor acknowledged it."""
    acks: dict[str, HaltAck]
    """Each executor's first acknowledgement."""
    accepted: list[OrderAccepted]
    """Venue acceptances heard from just before the halt until every order had ended."""
    fills: list[OrderFilled]
    """Fills heard over the same time."""
    final: dict[str, dict[str, Any]]
    later: list[dict[str, Any]]
    """Orders placed after every executor acknowledged, as they ended."""


@pytest.fixture(scope="module")
async def global_halt(api: Api, bus: NatsClient) -> GlobalHalt:
    traders = await gather_limited(6, [api.trader(limits=WIDE) for _ in range(30)])
    resting = [i for ids in await gather_limited(10, [open_orders(api, t, 2) for t in traders]) for i in ids]
    acks = await Heard.on(bus, subjects.ALL_HALT_ACKS, HaltAck)
    accepted = await Heard.on(bus, f"{subjects.PREFIX}.order.accepted.>", OrderAccepted)
    fills = await Heard.on(bus, subjects.ALL_FILLS, OrderFilled)
    submitted: list[str] = []
    stop = asyncio.Event()

    async def keep_placing(trader: User, filling: bool) -> None:
        while not stop.is_set():
            body = market(trader.account, "Buy", "0.001") if filling else resting_buy(trader.account)
            submitted.append((await api.place(trader, body))["id"])
            await asyncio.sleep(0.05)

    admin = await api.admin()
    placing = [asyncio.create_task(keep_placing(t, filling=i % 2 == 1)) for i, t in enumerate(traders[:16])]
    try:
        await asyncio.sleep(0.5)
        await halt(api, admin, "global", "exchange incident drill")
        await eventually(acks.executors, lambda e: len(e) == EXECUTORS)
        await asyncio.sleep(0.5)
        stop.set()
        await asyncio.gather(*placing)
        later = [
            await api.settled(t, (await api.place(t, resting_buy(t.account)))["id"]) for t in traders[16:21]
        ]
        final = await _settled_orders(api, traders)
    finally:
        stop.set()
        await acks.close()
        await accepted.close()
        await fills.close()
        await release(api, admin, "global")
    first_acks: dict[str, HaltAck] = {}
    for ack in acks.messages:
        first_acks.setdefault(ack.executor, ack)
    return GlobalHalt(
        traders, resting, submitted, first_acks, list(accepted.messages), list(fills.messages), final, later
    )


async def _settled_orders(api: Api, traders: list[User]) -> dict[str, dict[str, Any]]:
    """Every order of `traders` by id, once all have ended (or after 30 s)."""

    async def all_orders() -> list[dict[str, Any]]:
        batches = await gather_limited(10, [api.orders(t) for t in traders])
        return [o for batch in batches for o in batch]

    found = await eventually(all_orders, lambda os: all(o["status"] in TERMINAL for o in os), 30)
    return {o["id"]: o for o in found}


async def test_global_halt_is_acknowledged_by_every_execution_process(global_halt: GlobalHalt) -> None:
    assert set(global_halt.acks) == {f"exec-{i}" for i in range(EXECUTORS)}


async def test_global_halt_cancels_every_open_order(global_halt: GlobalHalt) -> None:
    statuses = {global_halt.final[order_id]["status"] for order_id in global_halt.resting}

    assert statuses == {"Cancelled"}


async def test_orders_placed_around_the_halt_end_filled_cancelled_or_rejected_kill_switch(
    global_halt: GlobalHalt,
) -> None:
    ends = [global_halt.final[order_id] for order_id in global_halt.submitted]
    outcomes = {(o["status"], code_of(o) if o["status"] == "Rejected" else None) for o in ends}

    assert outcomes == {("Filled", None), ("Cancelled", None), ("Rejected", "KILL_SWITCH")}, outcomes


async def test_orders_placed_after_the_halt_are_rejected_kill_switch(global_halt: GlobalHalt) -> None:
    assert [(o["status"], code_of(o)) for o in global_halt.later] == [("Rejected", "KILL_SWITCH")] * 5


async def test_no_order_is_accepted_by_the_venue_after_its_executor_acknowledged(
    global_halt: GlobalHalt,
) -> None:
    acked = {t.id: global_halt.acks[f"exec-{executor_of(t)}"].meta.occurred_at for t in global_halt.traders}
    accepted = [a for a in global_halt.accepted if str(a.user_id) in acked]

    late = [a for a in accepted if a.accepted_at > acked[str(a.user_id)]]

    assert accepted, "no order was accepted while the traders kept placing them"
    assert late == []


async def test_no_order_fills_after_its_executor_acknowledged(global_halt: GlobalHalt) -> None:
    acked = {t.id: global_halt.acks[f"exec-{executor_of(t)}"].meta.occurred_at for t in global_halt.traders}
    fills = [f for f in global_halt.fills if str(f.user_id) in acked]

    late = [f for f in fills if f.filled_at > acked[str(f.user_id)]]

    assert fills, "no order filled while the traders kept placing market orders"
    assert late == []


async def test_history_shows_who_halted_everyone_when_and_why(api: Api, global_halt: GlobalHalt) -> None:
    admin = await api.admin()

    entries = (await api.http.get("/api/killswitch/history", headers=admin.headers)).json()["data"]

    engaged = [e for e in entries if (e["action"], e["scope"]) == ("activate", "global")]
    assert [(e["actor"], e["reason"]) for e in engaged] == [(admin.email, "exchange incident drill")]
    assert engaged[0]["at"]


async def test_executor_down_during_a_global_halt_comes_up_halted_and_cancels_its_orders(
    api: Api, bus: NatsClient, stack: Stack
) -> None:
    traders = await _traders_on(api, executor=1, count=2)
    resting = {t.id: await open_orders(api, t, 1) for t in traders}
    admin = await api.admin()
    acks = await Heard.on(bus, subjects.ALL_HALT_ACKS, HaltAck)
    stack.kill("execution-1")
    try:
        await halt(api, admin, "global", "executor restart drill")
        others = await eventually(acks.executors, lambda e: len(e) == 2)
        assert others == {"exec-0", "exec-2"}
        assert [(await api.order(t, resting[t.id][0]))["status"] for t in traders] == ["Open", "Open"]

        stack.restart("execution-1")

        everyone = await eventually(acks.executors, lambda e: len(e) == 3, 60)
        assert "exec-1" in everyone
        for trader in traders:
            assert (await api.settled(trader, resting[trader.id][0]))["status"] == "Cancelled"
        gauge = await eventually(lambda: metric(stack.url("execution-1"), HALTED), lambda v: v == 1)
        assert gauge == 1
        refused = await api.settled(
            traders[0], (await api.place(traders[0], resting_buy(traders[0].account)))["id"]
        )
        assert (refused["status"], code_of(refused)) == ("Rejected", "KILL_SWITCH")
    finally:
        await acks.close()
        await release(api, admin, "global")


async def _traders_on(api: Api, executor: int, count: int) -> list[User]:
    found: list[User] = []
    while len(found) < count:
        trader = await api.trader(limits=WIDE)
        if executor_of(trader) == executor:
            found.append(trader)
    return found


async def test_a_traders_own_halt_stops_only_them(api: Api) -> None:
    halted, other = await api.trader(limits=WIDE), await api.trader(limits=WIDE)
    [halted_order], [other_order] = await open_orders(api, halted, 1), await open_orders(api, other, 1)

    status = await halt(api, halted, "user", "stepping away")

    assert (status["user"]["active"], status["global"]["active"]) == (True, False)
    assert (await api.settled(halted, halted_order))["status"] == "Cancelled"
    refused = await api.settled(halted, (await api.place(halted, resting_buy(halted.account)))["id"])
    assert (refused["status"], code_of(refused)) == ("Rejected", "KILL_SWITCH")
    assert (await api.order(other, other_order))["status"] == "Open"
    await open_orders(api, other, 1)
    await release(api, halted, "user")


async def test_history_shows_a_traders_own_halt_with_who_when_and_why(api: Api) -> None:
    trader = await api.trader(limits=WIDE)
    await halt(api, trader, "user", "too many losses today")
    await release(api, trader, "user")

    entries = (await api.http.get("/api/killswitch/history", headers=trader.headers)).json()["data"]

    own = [(e["action"], e["actor"], e["reason"]) for e in entries if e["userId"] == trader.id]
    assert own == [
        ("deactivate", trader.email, "drill over"),
        ("activate", trader.email, "too many losses today"),
    ]
    assert all(e["at"] for e in entries)


async def test_a_halt_an_admin_engaged_is_refused_to_the_trader_and_released_by_an_admin(api: Api) -> None:
    trader, admin = await api.trader(limits=WIDE), await api.admin()
    await halt(api, admin, "user", "compliance review", user=trader)

    body = {"scope": "user", "reason": "I want to trade"}
    refused = await api.http.post("/api/killswitch/deactivate", json=body, headers=trader.headers)

    assert (refused.status_code, refused.json()["error"]["code"]) == (403, "HALT_ENGAGED_BY_ADMIN")
    assert (await _status(api, trader))["user"]["active"] is True
    blocked = await api.settled(trader, (await api.place(trader, resting_buy(trader.account)))["id"])
    assert (blocked["status"], code_of(blocked)) == ("Rejected", "KILL_SWITCH")
    await release(api, admin, "user", trader)
    assert (await _status(api, trader))["user"]["active"] is False
    await open_orders(api, trader, 1)


async def test_a_trader_sees_an_administrator_not_the_admins_email_in_status_and_history(api: Api) -> None:
    trader, admin = await api.trader(limits=WIDE), await api.admin()
    await halt(api, admin, "user", "compliance review", user=trader)
    try:
        shown = (await _status(api, trader))["user"]["actor"]
        entries = ok(await api.http.get("/api/killswitch/history", headers=trader.headers))
        seen_by_admin = (await _status(api, admin, trader))["user"]["actor"]
    finally:
        await release(api, admin, "user", trader)

    assert shown == "an administrator"
    assert [e["actor"] for e in entries if e["userId"] == trader.id] == ["an administrator"]
    assert admin.email not in str(entries)
    assert seen_by_admin == admin.email


async def _status(api: Api, who: User, of: User | None = None) -> dict[str, Any]:
    params = {"userId": of.id} if of else {}
    return ok(await api.http.get("/api/killswitch/status", params=params, headers=who.headers))  # type: ignore[no-any-return]


async def test_executors_halt_themselves_while_risk_is_dead_and_resume_when_it_returns(
    api: Api, stack: Stack
) -> None:
    trader = await api.trader(limits=WIDE)
    executors = [stack.url(f"execution-{i}") for i in range(EXECUTORS)]

    stack.kill("risk")
    try:
        halted = await eventually(lambda: _gauges(executors), lambda g: g == [1.0] * EXECUTORS, 15)
        assert halted == [1.0] * EXECUTORS
    finally:
        stack.restart("risk")

    resumed = await eventually(lambda: _gauges(executors), lambda g: g == [0.0] * EXECUTORS, 15)
    assert resumed == [0.0] * EXECUTORS
    await api.filled(trader, market(trader.account, "Buy", "0.001"))


async def _gauges(urls: list[str]) -> list[float | None]:
    return [await metric(url, HALTED) for url in urls]
