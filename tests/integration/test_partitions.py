"""Scale on one machine: three execution processes share the partitions, each handling only its own."""

from __future__ import annotations

from collections import Counter
from uuid import UUID

import httpx
import nats
import pytest
from tradeplane.contracts import OrderAccepted, streams, subjects
from tradeplane.execution.config import parse_partitions

from tests.support.client import Api, User, eventually, gather_limited, ok, resting_buy
from tests.support.natsauth import connect_operator
from tests.support.servers import Stack, run_async

pytestmark = [pytest.mark.integration, pytest.mark.timeout(150)]

EXECUTORS = 3
PARTITIONS = 16
USERS = 100
BALANCES = {"USDT": "1000000", "BTC": "10"}


def owners(stack: Stack) -> dict[str, frozenset[int]]:
    """`execution:<executor id>` (how an executor signs its events) → the partitions it was given."""
    assert stack.supervisor is not None
    found = {}
    for spec in stack.supervisor.specs.values():
        if spec.kind == "execution":
            owned = parse_partitions(spec.env["TP_EXECUTOR_PARTITIONS"], PARTITIONS)
            found[f"execution:{spec.env['TP_EXECUTOR_ID']}"] = frozenset(owned)
    return found


async def place_one_each(base_url: str) -> list[tuple[User, str]]:
    """100 users each connect a paper account and place one resting limit order through the API."""
    limits = httpx.Limits(max_connections=32, max_keepalive_connections=32)
    async with httpx.AsyncClient(base_url=base_url, timeout=60, limits=limits) as http:
        api = Api(http)
        traders = await gather_limited(16, [api.trader(BALANCES, name="part") for _ in range(USERS)])

        async def place(trader: User, i: int) -> tuple[User, str]:
            body = resting_buy(trader.account)
            placed = ok(await http.post("/api/orders", json=body, headers=trader.headers))
            return trader, placed["order"]["id"]

        return await gather_limited(16, [place(t, i) for i, t in enumerate(traders)])


async def accepted_events(
    nats_url: str, expected: int, timeout: float = 60
) -> list[tuple[str, OrderAccepted]]:
    """Every OrderAccepted in the stream, with its subject, once `expected` of them are there."""
    nc = await connect_operator(nats_url)
    try:
        js = nc.jetstream()
        sub = await js.pull_subscribe(f"{subjects.PREFIX}.order.accepted.>", stream=streams.ORDERS.name)
        seen: list[tuple[str, OrderAccepted]] = []

        async def more() -> int:
            try:
                batch = await sub.fetch(expected, timeout=1)
            except nats.errors.TimeoutError:
                return len(seen)
            for msg in batch:
                seen.append((msg.subject, OrderAccepted.model_validate_json(msg.data)))
                await msg.ack()
            return len(seen)

        await eventually(more, lambda count: count >= expected, timeout)
        return seen
    finally:
        await nc.close()


def test_three_executors_each_handle_only_their_own_partitions_of_a_hundred_users(stack: Stack) -> None:
    stack.start(
        executors=EXECUTORS,
        partitions=PARTITIONS,
        env={"TP_FEED_ENABLED": "false", "TP_RISK_HEARTBEAT_TIMEOUT_SECONDS": "0"},
    )
    placed = run_async(lambda: place_one_each(stack.url("gateway")))
    events = run_async(lambda: accepted_events(stack.nats_url, USERS))

    assert sorted(str(e.order_id) for _, e in events) == sorted(order_id for _, order_id in placed)
    by_executor = owners(stack)
    for subject, event in events:
        partition = int(subject.split(".")[3])
        assert partition == subjects.partition_of(UUID(str(event.user_id)), PARTITIONS)
        assert partition in by_executor[event.meta.producer], (event.meta.producer, partition)
    handled = Counter(e.meta.producer for _, e in events)
    assert set(handled) == set(by_executor), handled
    with httpx.Client(base_url=stack.url("gateway"), timeout=15) as api:
        statuses = Counter(
            ok(api.get(f"/api/orders/{order_id}", headers=trader.headers))["status"]
            for trader, order_id in placed
        )
    assert statuses == {"Open": USERS}
