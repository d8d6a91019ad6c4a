"""Crashes mid-stream, seen through the public API: a service SIGKILLed while orders flow loses none and
duplicates none (each order ends with exactly one outcome, reaches the venue at most once, fills once)."""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import Collection, Iterable, Sequence
from decimal import Decimal
from typing import Any

import httpx
import pytest
from tradeplane.contracts import OrderApproved, OrderRejected, streams, subjects

from tests.support.client import (
    TERMINAL,
    User,
    balances,
    connect_paper,
    eventually_sync,
    market,
    ok,
    orders_of,
    register,
)
from tests.support.emulator_thread import EmulatorThread, emulator_fixture, kraken_stack, kraken_trader
from tests.support.load import Placement, placing
from tests.support.natsauth import connect_operator
from tests.support.servers import Stack, gateway_client, run_async

pytestmark = [pytest.mark.integration, pytest.mark.timeout(180)]

BTC_PRICE = Decimal("60000.0")
PAPER_USDT = Decimal(100_000)
PACE = 0.1
"""Seconds each placing thread waits before an order: the stream outlasts the moment of the crash."""


emulator = emulator_fixture(hang_seconds=3)
stack = kraken_stack("crash", {"TP_CCXT_TIMEOUT_MS": "3000", "TP_LIVE_POLL_SECONDS": "0.5"}, BTC_PRICE)
"""The paper venue fills at BTC_PRICE too."""


api = gateway_client()


def paper_traders(api: httpx.Client, count: int) -> list[tuple[User, str]]:
    return [
        (user, connect_paper(api, user, {"USDT": str(PAPER_USDT)}))
        for user in (register(api) for _ in range(count))
    ]


def filled_so_far(api: httpx.Client, users: Sequence[User]) -> int:
    params: dict[str, str | int] = {"status": "Filled", "pageSize": 1}
    return sum(
        api.get("/api/orders", params=params, headers=u.headers).json()["pagination"]["totalItems"]
        for u in users
    )


def final_orders(
    api: httpx.Client, placements: Sequence[Placement], settled: Any, expected: Collection[str] = ()
) -> dict[str, dict[str, Any]]:
    """Every order of the placements' users, once all `expected` ids are there and `settled(order)`
    holds for every one of them."""
    users = {p.user.id: p.user for p in placements}

    def fetch() -> dict[str, dict[str, Any]]:
        return {o["id"]: o for u in users.values() for o in orders_of(api, u)}

    def done(found: dict[str, dict[str, Any]]) -> bool:
        return set(expected) <= found.keys() and all(settled(o) for o in found.values())

    return eventually_sync(fetch, done, timeout=90)


def assert_one_order_per_placement(placements: Sequence[Placement], found: dict[str, dict[str, Any]]) -> None:
    ids = [p.order_ids[0] for p in placements]
    assert all(len(p.order_ids) == 1 for p in placements)
    assert len(set(ids)) == len(placements), "two client order ids got the same order"
    assert sorted(found) == sorted(ids), "orders were lost or made up"
    for p in placements:
        assert found[p.order_ids[0]]["clientOrderId"] == p.body["clientOrderId"]


def assert_paper_balance_moved_once_per_fill(
    api: httpx.Client, user: User, account: str, orders: Sequence[dict[str, Any]]
) -> None:
    filled = [o for o in orders if o["status"] == "Filled"]
    for o in filled:
        assert Decimal(o["filledQuantity"]) == Decimal(o["quantity"]), o
    bought = sum((Decimal(o["filledQuantity"]) for o in filled), Decimal(0))
    spent = sum(
        (Decimal(o["filledQuantity"]) * Decimal(o["averagePrice"]) + Decimal(o["fee"]) for o in filled),
        Decimal(0),
    )
    after = balances(api, user, account)
    assert (after.get("BTC", Decimal(0)), PAPER_USDT - after["USDT"]) == (bought, spent)
    assert_fills_booked_once(api, user, account, orders)


def assert_paper_balances_moved_once_per_fill(
    api: httpx.Client, traders: Iterable[tuple[User, str]], found: dict[str, dict[str, Any]]
) -> None:
    """Each trader's paper account moved once for each fill of the `found` orders placed on it."""
    for user, account in traders:
        on_account = [o for o in found.values() if o["venueId"] == account]
        assert_paper_balance_moved_once_per_fill(api, user, account, on_account)


def held(api: httpx.Client, user: User, account: str) -> Decimal:
    positions = ok(api.get("/api/portfolio/positions", headers=user.headers))
    return sum((Decimal(p["quantity"]) for p in positions if p["accountId"] == account), Decimal(0))


def assert_fills_booked_once(
    api: httpx.Client, user: User, account: str, orders: Sequence[dict[str, Any]]
) -> None:
    """pnl holds the position the filled orders make: each fill booked exactly once."""
    bought = sum((Decimal(o["filledQuantity"]) for o in orders if o["status"] == "Filled"), Decimal(0))
    assert eventually_sync(lambda: held(api, user, account), lambda q: q == bought) == bought


async def decisions(nats_url: str, order_ids: set[str]) -> dict[str, int]:
    """How many decisions (OrderApproved or OrderRejected) the ORDERS stream holds for each of `order_ids`."""
    nc = await connect_operator(nats_url)
    try:
        js = nc.jetstream()
        counted: Counter[str] = Counter()
        for kind, model in (("approved", OrderApproved), ("rejected", OrderRejected)):
            sub = await js.pull_subscribe(f"{subjects.PREFIX}.order.{kind}.>", stream=streams.ORDERS.name)
            # Read until the consumer has nothing left to deliver: a fetch that times out on a loaded
            # machine (nats-py raises a plain TimeoutError then) is retried, not taken for the end.
            while (await sub.consumer_info()).num_pending:
                try:
                    batch = await sub.fetch(500, timeout=5)
                except TimeoutError:
                    continue
                for msg in batch:
                    order_id = str(model.model_validate_json(msg.data).order_id)
                    if order_id in order_ids:
                        counted[order_id] += 1
            await sub.unsubscribe()
        return dict(counted)
    finally:
        await nc.close()


def resting(account: str) -> dict[str, str]:
    """A buy far below the market: it rests Open and never fills."""
    return market(account, quantity="0.0002") | {"type": "Limit", "price": "30000"}


def test_execution_killed_with_paper_orders_in_flight_fills_each_once_and_loses_none(
    api: httpx.Client, stack: Stack
) -> None:
    traders = paper_traders(api, 4)
    placements = [
        Placement(user, resting(account) if i % 5 == 4 else market(account, quantity="0.0002"))
        for i in range(100)
        for user, account in [traders[i % len(traders)]]
    ]
    users = [user for user, _ in traders]
    with placing(stack.url("gateway"), placements, pace=PACE):
        eventually_sync(lambda: filled_so_far(api, users), lambda n: n >= 30, timeout=60)
        stack.kill("execution")
        filled_at_kill = filled_so_far(api, users)
        stack.restart("execution")
    assert filled_at_kill < 80, "the stream ended before the crash"

    def done(o: dict[str, Any]) -> bool:
        return bool(o["status"] == ("Open" if o["type"] == "Limit" else "Filled"))

    found = final_orders(api, placements, done)
    assert Counter(o["status"] for o in found.values()) == {"Filled": 80, "Open": 20}
    assert_one_order_per_placement(placements, found)
    assert_paper_balances_moved_once_per_fill(api, traders, found)


def test_execution_killed_with_live_orders_in_flight_sends_each_to_kraken_exactly_once(
    api: httpx.Client, emulator: EmulatorThread, stack: Stack
) -> None:
    traders = [kraken_trader(api, emulator) for _ in range(5)]
    placements = [
        Placement(user, market(account, quantity="0.0001"))
        for i in range(100)
        for user, _, account in [traders[i % len(traders)]]
    ]
    keys = [key for _, key, _ in traders]

    def received() -> list[Any]:
        return [r for key in keys for r in emulator.call(emulator.emulator.add_orders_for, key)]

    def answers_withheld() -> bool:
        return all(not emulator.emulator.accounts[key].faults for key in keys)

    with placing(stack.url("gateway"), placements, pace=PACE):
        eventually_sync(lambda: len(received()), lambda n: n >= 30, timeout=60)
        # Each account's call in flight is carried out at the venue, and its answer never comes back.
        for key in keys:
            emulator.call(emulator.emulator.inject, key, "timeout_after_apply")
        eventually_sync(lambda: emulator.call(answers_withheld), bool, timeout=10)
        stack.kill("execution")
        sent_at_kill = len(received())
        stack.restart("execution")
    assert sent_at_kill < 100, "the stream ended before the crash"

    found = final_orders(api, placements, lambda o: o["status"] in TERMINAL)
    assert_one_order_per_placement(placements, found)
    sent = Counter(r.cl_ord_id for r in received())
    assert [cid for cid, n in sent.items() if n > 1] == [], "an order reached the venue twice"
    accepted = {r.cl_ord_id for r in received() if r.error is None}
    filled = {uuid.UUID(o["id"]).hex for o in found.values() if o["status"] == "Filled"}
    assert accepted == filled, "the venue and the API disagree about which orders went through"
    for user, key, account in traders:
        mine = [o for o in found.values() if o["venueId"] == account and o["status"] == "Filled"]
        assert all(Decimal(o["filledQuantity"]) == Decimal(o["quantity"]) for o in mine)
        venue_btc = emulator.call(emulator.emulator.balance, key, "BTC")
        assert venue_btc == Decimal("0.0001") * len(mine)
        assert_fills_booked_once(api, user, account, mine)


def test_risk_killed_mid_stream_decides_every_order_once(api: httpx.Client, stack: Stack) -> None:
    traders = paper_traders(api, 3)
    placements = [
        Placement(user, market(account, quantity="0.0002"))
        for i in range(60)
        for user, account in [traders[i % len(traders)]]
    ]
    users = [user for user, _ in traders]
    with placing(stack.url("gateway"), placements, pace=PACE) as placer:
        eventually_sync(lambda: filled_so_far(api, users), lambda n: n >= 15, timeout=60)
        stack.kill("risk")
        answered_at_kill = placer.answered
        stack.restart("risk")
    assert answered_at_kill < 60, "the stream ended before the crash"

    found = final_orders(api, placements, lambda o: o["status"] in TERMINAL)
    assert Counter(o["status"] for o in found.values()) == {"Filled": 60}, [
        o["rejectReason"] for o in found.values() if o["status"] != "Filled"
    ][:3]
    assert_one_order_per_placement(placements, found)
    decided = run_async(lambda: decisions(stack.nats_url, set(found)))
    assert decided == dict.fromkeys(found, 1), "an order was decided twice, or not at all"
    assert_paper_balances_moved_once_per_fill(api, traders, found)


def test_gateway_killed_mid_stream_retried_requests_get_the_same_order(
    api: httpx.Client, stack: Stack
) -> None:
    traders = paper_traders(api, 3)
    placements = [
        Placement(user, market(account, quantity="0.0002"))
        for i in range(60)
        for user, account in [traders[i % len(traders)]]
    ]
    with placing(stack.url("gateway"), placements, pace=PACE) as placer:
        eventually_sync(lambda: placer.answered, lambda n: n >= 20, timeout=60)
        stack.kill("gateway")
        stack.restart("gateway")
    assert sum(p.failures for p in placements) > 0, "no request met the crash"

    found = final_orders(api, placements, lambda o: o["status"] in TERMINAL)
    assert Counter(o["status"] for o in found.values()) == {"Filled": 60}
    assert_one_order_per_placement(placements, found)
    for p in placements[:10]:
        again = ok(api.post("/api/orders", json=p.body, headers=p.user.headers))["order"]
        assert again["id"] == p.order_ids[0]
    assert_paper_balances_moved_once_per_fill(api, traders, found)
