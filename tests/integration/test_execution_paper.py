"""The execution service on real NATS and PostgreSQL with the paper venue: fills, fees and balances,
resting orders, cancels, duplicates, a SIGKILL mid-flow, and the kill switch."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from decimal import Decimal
from typing import Any
from uuid import UUID, uuid4

import orjson
import psycopg
import pytest
from nats.aio.client import Client as NatsClient
from nats.js.api import DeliverPolicy
from tradeplane.cli.database import libpq_url
from tradeplane.cli.devsecrets import EXECUTION_PUBLIC_KEY
from tradeplane.contracts import (
    CancelOrder,
    HaltEngaged,
    HaltScope,
    Message,
    OrderApproved,
    OrderType,
    Role,
    Side,
    Ticker,
    new_meta,
    streams,
    subjects,
    utcnow,
)
from tradeplane.contracts.queries import Caller, Query, Reply
from tradeplane.gateway.routes.venues import sealed_credentials

from tests.support.client import eventually
from tests.support.jetstream import deliveries
from tests.support.natsauth import connect_operator
from tests.support.servers import Stack

pytestmark = [pytest.mark.integration, pytest.mark.timeout(120)]

PARTITIONS = 16
APPROVALS = (streams.ORDERS.name, "execution-approved-")
"""The executors' consumers of approvals, as `deliveries` takes them."""
EXECUTOR_ENV = {"TP_RISK_HEARTBEAT_TIMEOUT_SECONDS": "0", "TP_FEED_ENABLED": "false"}


class Bus:
    """A test's view of the bus: publish approvals, cancels, tickers and halts; record order and halt
    events."""

    def __init__(self, nc: NatsClient, public_key: str | None = None) -> None:
        self.nc = nc
        self.public_key = public_key
        """Execution's key: credentials in `venues.connect` are sealed to it, as the gateway does."""
        self.js = nc.jetstream()
        self.events: list[tuple[str, dict[str, Any]]] = []

    async def watch(self) -> None:
        for stream, subject in ((streams.ORDERS, "tp.order.>"), (streams.HALTS, "tp.halt.>")):
            await self.js.subscribe(
                subject,
                stream=stream.name,
                cb=self._record,
                ordered_consumer=True,
                deliver_policy=DeliverPolicy.NEW,
            )

    async def _record(self, msg: Any) -> None:
        self.events.append((msg.subject, orjson.loads(msg.data)))

    async def publish(self, subject: str, message: Message) -> None:
        await self.js.publish(
            subject, message.model_dump_json().encode(), headers={"Nats-Msg-Id": str(message.meta.event_id)}
        )

    async def reply(self, user: UUID, name: str, **params: Any) -> Reply:
        if name == "venues.connect":
            params = sealed_credentials(params, self.public_key, user)
        query = Query(caller=Caller(user_id=user, role=Role.TRADER), params=params)
        msg = await self.nc.request(
            subjects.query("execution", name), query.model_dump_json().encode(), timeout=15
        )
        return Reply.model_validate_json(msg.data)

    async def ask(self, user: UUID, name: str, **params: Any) -> Any:
        reply = await self.reply(user, name, **params)
        assert reply.ok, reply.error
        return reply.data

    async def paper_account(self, user: UUID, usdt: str = "100000") -> UUID:
        data = await self.ask(user, "venues.connect", venue="paper", initialBalances={"USDT": usdt})
        return UUID(data["id"])

    async def balance(self, user: UUID, account: UUID) -> Any:
        """The account's balances per currency: free, used, total."""
        return await self.ask(user, "venues.balance", id=str(account))

    async def approve(self, user: UUID, account: UUID, **order: Any) -> OrderApproved:
        approval = approval_for(user, account, **order)
        await self.send(approval)
        return approval

    async def send(self, approval: OrderApproved) -> None:
        """Publish an approval on its user's partition subject, as risk does."""
        user = approval.user_id
        await self.publish(subjects.order_approved(subjects.partition_of(user, PARTITIONS), user), approval)

    async def resting(
        self, user: UUID, account: UUID, symbol: str, quantity: str, price: str
    ) -> OrderApproved:
        """Approve a limit order and wait until the venue accepted it (it rests there)."""
        order = await self.approve(
            user, account, symbol=symbol, type=OrderType.LIMIT, quantity=quantity, price=price
        )
        await self.wait_kind(order.order_id, "accepted")
        return order

    async def cancel(self, order: OrderApproved) -> None:
        """Ask the order's executor to cancel it."""
        user = order.user_id
        cancel = CancelOrder(
            meta=new_meta("test"), order_id=order.order_id, user_id=user, account_id=order.account_id
        )
        await self.publish(subjects.order_cancel(subjects.partition_of(user, PARTITIONS), user), cancel)

    async def ticker(self, symbol: str, bid: str, ask: str) -> None:
        """Publish a ticker and wait until the executor holds it."""
        last = str((Decimal(bid) + Decimal(ask)) / 2)
        ticker = Ticker(
            meta=new_meta("test"), venue="paper", symbol=symbol, bid=bid, ask=ask, last=last, at=utcnow()
        )
        await self.publish(subjects.ticker("paper", symbol), ticker)

        async def held() -> bool:
            prices = await self.ask(uuid4(), "market.prices")
            return any(p["symbol"] == symbol and Decimal(p["bid"]) == Decimal(bid) for p in prices)

        await eventually(held, bool)

    def of(self, order_id: UUID, kind: str) -> list[dict[str, Any]]:
        return [
            e
            for s, e in self.events
            if s.startswith(f"tp.order.{kind}.") and e.get("order_id") == str(order_id)
        ]

    def kinds(self, order_id: UUID) -> list[str]:
        return [
            s.split(".")[2]
            for s, e in self.events
            if e.get("order_id") == str(order_id) and not s.startswith("tp.order.approved.")
        ]

    def of_any(self, kind: str) -> list[dict[str, Any]]:
        return [e for s, e in self.events if s.startswith(f"tp.order.{kind}.")]

    def acks(self, halt: HaltEngaged) -> list[dict[str, Any]]:
        return [
            e
            for s, e in self.events
            if s == subjects.halt_ack("exec-0") and e.get("halt_event_id") == str(halt.meta.event_id)
        ]

    async def wait_kind(self, order_id: UUID, kind: str, count: int = 1) -> list[dict[str, Any]]:
        await eventually(lambda: len(self.of(order_id, kind)) >= count, bool)
        return self.of(order_id, kind)


def approval_for(
    user: UUID,
    account: UUID,
    *,
    side: Side = Side.BUY,
    type: OrderType = OrderType.MARKET,
    quantity: str = "0.01",
    price: str | None = None,
    symbol: str = "BTC/USDT",
    order_id: UUID | None = None,
) -> OrderApproved:
    return OrderApproved(
        meta=new_meta("test"),
        order_id=order_id or uuid4(),
        user_id=user,
        account_id=account,
        client_order_id=f"t-{uuid4().hex[:8]}",
        venue="paper",
        symbol=symbol,
        side=side,
        type=type,
        quantity=Decimal(quantity),
        price=None if price is None else Decimal(price),
    )


def sql(stack: Stack, query: str, *args: Any) -> list[tuple[Any, ...]]:
    with psycopg.connect(libpq_url(stack.database_url)) as conn:
        return conn.execute(query, args).fetchall()


@pytest.fixture(scope="module")
def paper_stack(postgres_server_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    """One executor for the tests that do not kill it or halt everyone."""
    stack = Stack(tmp_path_factory.mktemp("exec"), postgres_server_url=postgres_server_url)
    try:
        yield stack.start(services=["execution"], env=EXECUTOR_ENV, partitions=PARTITIONS)
    finally:
        stack.stop()


@asynccontextmanager
async def open_bus(stack: Stack) -> AsyncIterator[Bus]:
    nc = await connect_operator(stack.nats_url)
    bus = Bus(nc, stack.secrets[EXECUTION_PUBLIC_KEY])
    await bus.watch()
    try:
        yield bus
    finally:
        await nc.close()


@pytest.fixture
async def bus(paper_stack: Stack) -> AsyncIterator[Bus]:
    async with open_bus(paper_stack) as opened:
        yield opened


async def test_market_buy_is_accepted_and_filled_at_the_ask_with_its_fee_taken_from_the_balance(
    bus: Bus,
) -> None:
    user = uuid4()
    account = await bus.paper_account(user)
    await bus.ticker("BTC/USDT", "64999.00", "65001.00")

    order = await bus.approve(user, account, quantity="0.01")

    [fill] = await bus.wait_kind(order.order_id, "filled")
    assert bus.kinds(order.order_id) == ["accepted", "filled"]
    assert Decimal(fill["price"]) == Decimal("65001.00")
    assert Decimal(fill["fee"]) == Decimal("650.01") * Decimal("0.002")
    balance = await bus.balance(user, account)
    cost = Decimal("0.01") * Decimal(fill["price"]) + Decimal(fill["fee"])
    assert Decimal(balance["USDT"]["total"]) == Decimal("100000") - cost
    assert Decimal(balance["BTC"]["total"]) == Decimal("0.01")


async def test_limit_buy_rests_until_the_ask_crosses_then_fills_as_maker(bus: Bus) -> None:
    user = uuid4()
    account = await bus.paper_account(user)
    await bus.ticker("ETH/USDT", "3399.00", "3401.00")

    order = await bus.resting(user, account, "ETH/USDT", quantity="1", price="3300.00")
    await bus.ticker("ETH/USDT", "3299.00", "3299.50")

    [fill] = await bus.wait_kind(order.order_id, "filled")
    assert (Decimal(fill["price"]), fill["liquidity"]) == (Decimal("3300.00"), "maker")
    assert Decimal(fill["fee"]) == Decimal("3300.00") * Decimal("0.001")


async def test_cancel_order_cancels_a_resting_limit_and_releases_its_reservation(bus: Bus) -> None:
    user = uuid4()
    account = await bus.paper_account(user)
    await bus.ticker("SOL/USDT", "149.00", "151.00")
    order = await bus.resting(user, account, "SOL/USDT", quantity="10", price="100")

    await bus.cancel(order)

    await bus.wait_kind(order.order_id, "canceled")
    assert (await bus.balance(user, account))["USDT"] == {"free": "100000", "used": "0", "total": "100000"}


async def test_cancel_that_arrives_before_its_approval_ends_the_order_cancelled_unsent(
    bus: Bus, paper_stack: Stack
) -> None:
    user = uuid4()
    account = await bus.paper_account(user)
    order = approval_for(user, account, type=OrderType.LIMIT, quantity="0.01", price="20000")
    await bus.cancel(order)
    query = "SELECT reason FROM execution.cancel_requests WHERE order_id = %s"
    await eventually(lambda: bool(sql(paper_stack, query, order.order_id)), bool)

    await bus.send(order)

    [canceled] = await bus.wait_kind(order.order_id, "canceled")
    assert bus.kinds(order.order_id) == ["cancel", "canceled"]
    assert canceled["reason"] == "user"
    assert (await bus.balance(user, account))["USDT"] == {"free": "100000", "used": "0", "total": "100000"}


async def test_an_approval_delivered_again_with_a_new_event_id_is_executed_once(
    bus: Bus, paper_stack: Stack
) -> None:
    user = uuid4()
    account = await bus.paper_account(user)
    await bus.ticker("BTC/USDT", "64000.00", "64002.00")
    first = await bus.approve(user, account, quantity="0.001")
    await bus.send(first)
    again = first.model_copy(update={"meta": new_meta("test")})

    await bus.send(again)
    await bus.wait_kind(first.order_id, "filled")
    marker = await bus.approve(user, account, quantity="0.001")  # same account: processed after `again`
    await bus.wait_kind(marker.order_id, "filled")

    assert bus.kinds(first.order_id) == ["accepted", "filled"]
    assert sql(paper_stack, "SELECT count(*) FROM execution.fills WHERE order_id = %s", first.order_id) == [
        (1,)
    ]


async def test_unknown_account_is_rejected_without_reaching_a_venue(bus: Bus) -> None:
    user = uuid4()

    order = await bus.approve(user, uuid4())

    [rejected] = await bus.wait_kind(order.order_id, "rejected")
    assert rejected["code"] == "ACCOUNT_NOT_FOUND"


async def test_another_users_account_is_not_found(bus: Bus) -> None:
    account = await bus.paper_account(uuid4())

    reply = await bus.reply(uuid4(), "venues.balance", id=str(account))

    assert reply.error is not None and (reply.error.code, reply.error.status) == ("VENUE_NOT_FOUND", 404)


async def test_connecting_an_unknown_venue_is_refused_with_unknown_venue(bus: Bus) -> None:
    reply = await bus.reply(uuid4(), "venues.connect", venue="nosuchexchange", apiKey="k", secret="s")

    assert reply.error is not None and (reply.error.code, reply.error.status) == ("UNKNOWN_VENUE", 422)


async def test_an_account_with_open_orders_cannot_be_deleted_until_they_are_cancelled(bus: Bus) -> None:
    user = uuid4()
    account = await bus.paper_account(user)
    await bus.ticker("SOL/USDT", "149.00", "151.00")
    order = await bus.resting(user, account, "SOL/USDT", quantity="1", price="100")

    refused = await bus.reply(user, "venues.delete", id=str(account))
    await bus.cancel(order)
    await bus.wait_kind(order.order_id, "canceled")
    deleted = await bus.reply(user, "venues.delete", id=str(account))

    assert refused.error is not None and (refused.error.code, refused.error.status) == ("OPEN_ORDERS", 409)
    assert deleted.data == {"deleted": True}
    assert await bus.ask(user, "venues.list") == []


async def test_resolve_gives_the_gateway_the_account_owner_and_market_specs(bus: Bus) -> None:
    user = uuid4()
    account = await bus.paper_account(user)

    resolved = await bus.ask(user, "venues.resolve", id=str(account))

    assert (resolved["user_id"], resolved["venue"]) == (str(user), "paper")
    btc = next(m for m in resolved["markets"] if m["symbol"] == "BTC/USDT")
    assert (btc["stepSize"], btc["minNotional"], btc["takerFee"]) == ("0.00001", "5", "0.002")


async def test_sigkill_with_200_orders_in_flight_executes_every_order_exactly_once(stack: Stack) -> None:
    stack.start(services=["execution"], env=EXECUTOR_ENV, partitions=PARTITIONS)
    async with open_bus(stack) as bus:
        users = [uuid4(), uuid4()]
        accounts = {user: await bus.paper_account(user) for user in users}
        await bus.ticker("BTC/USDT", "64999.00", "65001.00")
        delivered_before = await deliveries(stack.nats_url, *APPROVALS)
        orders = [
            await bus.approve(users[i % 2], accounts[users[i % 2]], quantity="0.001") for i in range(200)
        ]

        await eventually(lambda: len(bus.of_any("filled")) >= 10, bool)
        stack.kill("execution")
        done = "SELECT count(*) FROM execution.orders WHERE status = 'Filled'"
        [(filled_at_kill,)] = sql(stack, done)
        assert filled_at_kill < 200, "every order had filled before the kill"
        stack.restart("execution")

        await eventually(lambda: sql(stack, done) == [(200,)], bool, timeout=60)
        redelivered = await deliveries(stack.nats_url, *APPROVALS) - delivered_before - 200
        assert redelivered > 0, "no approval was in flight at the kill"
        fills = sql(stack, "SELECT order_id, count(*), sum(quantity) FROM execution.fills GROUP BY order_id")
        assert sorted((n, q) for _, n, q in fills) == [(1, Decimal("0.001"))] * 200
        await eventually(lambda: len(bus.of_any("filled")) >= 200, bool)
        assert sorted(e["order_id"] for e in bus.of_any("filled")) == sorted(str(o.order_id) for o in orders)
        for user, account in accounts.items():
            spent = sql(
                stack,
                "SELECT sum(f.quantity * f.price + f.fee) FROM execution.fills f "
                "JOIN execution.orders o USING (order_id) WHERE o.account_id = %s",
                account,
            )[0][0]
            balance = await bus.balance(user, account)
            assert Decimal(balance["USDT"]["total"]) == Decimal("100000") - spent
            assert Decimal(balance["BTC"]["total"]) == Decimal("0.1")


async def test_global_halt_cancels_resting_orders_acknowledges_and_refuses_later_approvals(
    stack: Stack,
) -> None:
    stack.start(services=["execution"], env=EXECUTOR_ENV, partitions=PARTITIONS)
    async with open_bus(stack) as bus:
        users = [uuid4(), uuid4()]
        accounts = {user: await bus.paper_account(user) for user in users}
        await bus.ticker("BTC/USDT", "64999.00", "65001.00")
        resting = [
            await bus.approve(u, a, type=OrderType.LIMIT, quantity="0.01", price="60000")
            for u, a in accounts.items()
        ]
        for order in resting:
            await bus.wait_kind(order.order_id, "accepted")

        halt = await _engage_global_halt(bus)

        await eventually(lambda: bool(bus.acks(halt)), bool)
        assert [a["cancelled_orders"] for a in bus.acks(halt)] == [2]
        for order in resting:
            await bus.wait_kind(order.order_id, "canceled")
        balance = await bus.balance(users[0], accounts[users[0]])
        assert balance["USDT"]["used"] == "0"
        later = await bus.approve(users[0], accounts[users[0]])
        [rejected] = await bus.wait_kind(later.order_id, "rejected")
        assert rejected["code"] == "KILL_SWITCH"


async def test_executor_started_while_the_kv_says_halted_comes_up_halted(stack: Stack) -> None:
    stack.start(services=["execution"], env=EXECUTOR_ENV, partitions=PARTITIONS)
    async with open_bus(stack) as bus:
        user = uuid4()
        account = await bus.paper_account(user)
        await bus.ticker("BTC/USDT", "64999.00", "65001.00")
        kv = await bus.js.key_value(streams.HALT_BUCKET)
        halt = HaltEngaged(meta=new_meta("test"), scope=HaltScope.GLOBAL, reason="drill", actor="test")
        await kv.put(streams.halt_key(None), halt.model_dump_json().encode())  # the KV only: no event

        stack.restart("execution")
        order = await bus.approve(user, account)

        [rejected] = await bus.wait_kind(order.order_id, "rejected")
        assert rejected["code"] == "KILL_SWITCH"


async def _engage_global_halt(bus: Bus) -> HaltEngaged:
    """What risk does: the KV key first, then the event."""
    halt = HaltEngaged(meta=new_meta("test"), scope=HaltScope.GLOBAL, reason="drill", actor="test")
    kv = await bus.js.key_value(streams.HALT_BUCKET)
    await kv.put(streams.halt_key(None), halt.model_dump_json().encode())
    await bus.publish(subjects.halt_engaged(None), halt)
    return halt


async def test_without_risk_heartbeats_the_executor_refuses_orders_until_they_return(stack: Stack) -> None:
    env = {**EXECUTOR_ENV, "TP_RISK_HEARTBEAT_TIMEOUT_SECONDS": "1"}
    stack.start(services=["execution"], env=env, partitions=PARTITIONS)
    async with open_bus(stack) as bus:
        user = uuid4()
        account = await bus.paper_account(user)
        await bus.ticker("BTC/USDT", "64999.00", "65001.00")
        await asyncio.sleep(1.2)  # past the grace period the executor gives risk at start
        silent = await bus.approve(user, account)
        [rejected] = await bus.wait_kind(silent.order_id, "rejected")

        beating = asyncio.create_task(_beat(bus.nc))
        try:
            await asyncio.sleep(0.5)
            alive = await bus.approve(user, account)
            await bus.wait_kind(alive.order_id, "filled")
        finally:
            beating.cancel()
        assert rejected["code"] == "KILL_SWITCH"


async def _beat(nc: NatsClient) -> None:
    while True:
        await nc.publish(subjects.heartbeat("risk"), b'{"service":"risk"}')
        await asyncio.sleep(0.1)
