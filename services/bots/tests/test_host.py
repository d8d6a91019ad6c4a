"""The bots host over an in-memory store: one commit per event, the same intent ids after a restart, a
raising strategy isolated in Error, dry run and halts sending nothing, allocations kept apart."""

from __future__ import annotations

import copy
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any
from uuid import UUID, uuid4

import pytest
from tradeplane.bots.host import BotRefused, Host, Unit
from tradeplane.bots.model import BotChange, BotRecord, OrderStatus
from tradeplane.contracts import (
    BotStatus,
    BotStatusChanged,
    CancelOrder,
    Message,
    OrderFilled,
    OrderRequested,
    Side,
    new_meta,
)
from tradeplane.contracts.market import CandleClosed, Timeframe
from tradeplane.runtime.testing import order_filled

T0 = datetime(2026, 12, 7, 12, 0, tzinfo=UTC)
USER, ACCOUNT = uuid4(), uuid4()
GRID = {"symbol": "BTC/USDT", "lower": "60000", "upper": "70000", "levels": 11, "quantityPerLevel": "0.01"}
REBALANCER = {"targets": {"BTC": "0.5", "USDT": "0.5"}, "intervalSeconds": 3600, "driftThresholdPct": "5"}


class Crash(Exception):
    """The store went away in the middle of a commit (as a SIGKILL would leave it: nothing written)."""


class FakeStore:
    """The bots schema in memory; a commit is all or nothing, and an order stored once is not sent again."""

    def __init__(self) -> None:
        self.bots: dict[UUID, BotRecord] = {}
        self.orders: dict[UUID, dict[str, Any]] = {}
        self.fills: set[tuple[UUID, str]] = set()
        self.logs: list[tuple[UUID, str, str]] = []
        self.sent: list[tuple[str, Message]] = []
        self.commits = 0
        self.crash_next = False
        self.attempted: list[BotChange] = []

    async def load_active(self, partitions: tuple[int, ...]) -> list[BotRecord]:
        return [b for b in self.bots.values() if b.status in (BotStatus.RUNNING, BotStatus.PAUSED)]

    async def get(self, bot_id: UUID) -> BotRecord | None:
        return self.bots.get(bot_id)

    async def insert(self, bot: BotRecord) -> None:
        self.bots[bot.id] = bot

    async def delete(self, bot_id: UUID) -> None:
        self.bots.pop(bot_id, None)

    async def commit(self, changes: list[BotChange]) -> None:
        self.attempted.extend(copy.deepcopy(changes))
        if self.crash_next:
            self.crash_next = False
            raise Crash("killed mid-commit")
        self.commits += 1
        for change in changes:
            self.bots[change.bot.id] = change.bot
            self.logs.extend((change.bot.id, r.level, r.message) for r in change.logs)
            for order in change.orders:
                if order.order_id not in self.orders:
                    self.orders[order.order_id] = {"status": OrderStatus.PENDING, "filled": Decimal(0)}
                    self.sent.append((order.subject, order.request))
            for fill in change.fills:
                self.fills.add((fill.order_id, fill.fill_id))
            for up in change.updates:
                self.orders[up.order_id]["status"] = up.status
                if up.filled_quantity is not None:
                    self.orders[up.order_id]["filled"] = up.filled_quantity
            self.sent.extend(change.events)

    async def open_orders(self, partitions: tuple[int, ...]) -> dict[UUID, UUID]:
        sent = {m.order_id: m.bot_id for _, m in self.sent if isinstance(m, OrderRequested) and m.bot_id}
        return {o: b for o, b in sent.items() if self.orders[o]["status"] in OrderStatus.OPEN}

    async def order_status(self, order_id: UUID) -> tuple[str, Decimal] | None:
        row = self.orders.get(order_id)
        return None if row is None else (row["status"], row["filled"])

    async def has_fill(self, order_id: UUID, fill_id: str) -> bool:
        return (order_id, fill_id) in self.fills

    def requested(self, bot_id: UUID | None = None) -> list[OrderRequested]:
        return [
            m
            for _, m in self.sent
            if isinstance(m, OrderRequested) and (bot_id is None or m.bot_id == bot_id)
        ]

    def messages(self, bot_id: UUID) -> list[str]:
        return [message for b, _, message in self.logs if b == bot_id]


class Halts:
    def __init__(self) -> None:
        self.halted: dict[UUID, str] = {}

    def blocks(self, user_id: UUID) -> str | None:
        reason = self.halted.get(user_id)
        return None if reason is None else f"user halt: {reason}"


class Clock:
    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> datetime:
        return self.now


def make_host(
    store: FakeStore, halts: Halts | None = None, clock: Callable[[], datetime] | None = None
) -> Host:
    return Host(store, partitions=16, owned=range(16), halts=halts, clock=clock or Clock())


async def new_bot(
    host: Host,
    strategy: str,
    config: dict[str, Any],
    allocation: dict[str, str] | None = None,
    dry_run: bool = False,
    user: UUID = USER,
) -> BotRecord:
    bot = BotRecord(
        id=uuid4(),
        user_id=user,
        partition=host.partition(user),
        account_id=ACCOUNT,
        venue="paper",
        environment="Paper",
        name=strategy,
        strategy=strategy,
        strategy_version="1",
        config=config,
        allocation=allocation or {"USDT": "10000"},
        markets=[],
        dry_run=dry_run,
        status=BotStatus.STOPPED,
        created_at=T0,
    )
    return await host.create(bot)


async def raise_on_candle(host: Host, bot: BotRecord, error: Exception) -> Unit:
    """Make `bot`'s strategy raise `error` on every candle from now on; returns the bot's unit."""
    unit = await host.unit(bot.id)
    assert unit is not None

    def boom(*args: Any) -> None:
        raise error

    host.driver(unit).strategy.on_candle = boom  # type: ignore[method-assign,assignment]
    return unit


async def started(host: Host, bot: BotRecord) -> BotRecord:
    unit = await host.unit(bot.id)
    assert unit is not None
    return await host.start(unit)


def candle(close: str, minute: int = 0, symbol: str = "BTC/USDT") -> CandleClosed:
    price = Decimal(close)
    return CandleClosed(
        meta=new_meta("test"),
        venue="paper",
        symbol=symbol,
        timeframe=Timeframe.M1,
        t=T0 + timedelta(minutes=minute),
        open=price,
        high=price,
        low=price,
        close=price,
        volume=Decimal(1),
    )


def filled(order: OrderRequested, price: str, fee: str = "0.1", fill_id: str = "f1") -> OrderFilled:
    ids = {"order_id": order.order_id, "user_id": order.user_id, "account_id": order.account_id}
    at = T0 + timedelta(minutes=5)
    return order_filled(
        order.side, order.quantity, price, fee, **ids, fill_id=fill_id, symbol=order.symbol, filled_at=at
    )


async def test_a_candle_runs_the_bot_and_its_orders_are_committed_with_the_snapshot_in_one_transaction() -> (
    None
):
    store = FakeStore()
    host = make_host(store)
    bot = await started(host, await new_bot(host, "grid", GRID))
    commits = store.commits

    await host.on_candle(candle("65000"))

    stored = store.bots[bot.id]
    orders = store.requested(bot.id)
    assert store.commits == commits + 1
    assert len(orders) == 5 and all(o.side is Side.BUY and o.price is not None for o in orders)
    assert stored.snapshot is not None and stored.next_run > bot.next_run
    assert {o["intent"]["intent_id"] for o in stored.snapshot["context"]["openOrders"]} == {
        str(o.order_id) for o in orders
    }
    for order in orders:
        assert (order.bot_id, order.user_id, order.account_id) == (bot.id, USER, ACCOUNT)
        assert order.meta.event_id == order.order_id
        assert order.client_order_id == f"bot-{order.order_id}"


async def test_a_redelivered_candle_is_not_run_twice() -> None:
    store = FakeStore()
    host = make_host(store)
    bot = await started(host, await new_bot(host, "grid", GRID))
    await host.on_candle(candle("65000"))
    sent = len(store.requested(bot.id))

    assert await host.on_candle(candle("65000")) == 0
    assert len(store.requested(bot.id)) == sent


async def test_a_restart_after_a_crash_mid_commit_replays_the_run_with_the_same_intent_ids() -> None:
    store = FakeStore()
    host = make_host(store)
    bot = await started(host, await new_bot(host, "grid", GRID))
    store.crash_next = True
    with pytest.raises(Crash):
        await host.on_candle(candle("65000"))
    lost = {o.order_id for o in store.attempted[-1].orders}
    assert lost and store.requested(bot.id) == []

    restarted = make_host(store)
    await restarted.load()
    await restarted.on_candle(candle("65000"))

    assert {o.order_id for o in store.requested(bot.id)} == lost


async def test_a_restart_after_the_commit_sends_nothing_again() -> None:
    store = FakeStore()
    host = make_host(store)
    bot = await started(host, await new_bot(host, "grid", GRID))
    await host.on_candle(candle("65000"))
    sent = [o.order_id for o in store.requested(bot.id)]

    restarted = make_host(store)
    await restarted.load()
    await restarted.on_candle(candle("65000"))  # the ack was lost: redelivered
    await restarted.on_candle(candle("64000", minute=1))

    assert [o.order_id for o in store.requested(bot.id)] == sent


async def test_a_strategy_that_raises_puts_only_its_own_bot_in_error() -> None:
    store = FakeStore()
    host = make_host(store)
    broken = await started(host, await new_bot(host, "grid", GRID))
    healthy = await started(host, await new_bot(host, "grid", GRID))
    await raise_on_candle(host, broken, ValueError("boom"))
    await host.on_candle(candle("65000"))

    assert store.bots[broken.id].status is BotStatus.ERROR
    assert store.bots[broken.id].error == "the strategy raised ValueError: boom"
    assert store.requested(broken.id) == []
    assert store.bots[healthy.id].status is BotStatus.RUNNING and len(store.requested(healthy.id)) == 5
    changed = [m for _, m in store.sent if isinstance(m, BotStatusChanged) and m.bot_id == broken.id]
    assert changed[-1].status is BotStatus.ERROR


async def test_a_bot_in_error_starts_again_from_its_last_state() -> None:
    store = FakeStore()
    host = make_host(store)
    bot = await started(host, await new_bot(host, "grid", GRID))
    unit = await raise_on_candle(host, bot, RuntimeError("bad day"))
    await host.on_candle(candle("65000"))
    again = await host.start(unit)
    await host.on_candle(candle("65000", minute=1))

    assert again.status is BotStatus.RUNNING and again.error is None
    assert len(store.requested(bot.id)) == 5


async def test_dry_run_logs_each_order_it_would_send_and_sends_none() -> None:
    store = FakeStore()
    host = make_host(store)
    host.prices[("paper", "BTC/USDT")] = Decimal("65000")
    bot = await started(host, await new_bot(host, "rebalancer", REBALANCER, dry_run=True))

    assert store.requested() == []
    assert any(
        m.startswith("dry run: would buy 0.07") and m.endswith("BTC/USDT market")
        for m in store.messages(bot.id)
    )
    assert store.bots[bot.id].snapshot is not None
    assert store.bots[bot.id].snapshot["context"]["openOrders"] == []  # type: ignore[index]


async def test_a_halted_users_bot_sends_nothing_and_trades_again_after_the_release() -> None:
    store, halts = FakeStore(), Halts()
    host = make_host(store, halts)
    host.prices[("paper", "BTC/USDT")] = Decimal("65000")
    halts.halted[USER] = "drill"

    bot = await started(host, await new_bot(host, "rebalancer", REBALANCER))
    assert store.requested() == []
    assert any(m.startswith("order not sent (user halt: drill): buy") for m in store.messages(bot.id))

    del halts.halted[USER]
    unit = await host.unit(bot.id)
    assert unit is not None
    await host.run_now(unit)
    assert len(store.requested(bot.id)) == 1


async def test_bots_sharing_an_account_each_spend_only_their_own_allocation() -> None:
    store = FakeStore()
    host = make_host(store)
    host.prices[("paper", "BTC/USDT")] = Decimal("65000")
    all_in = {"targets": {"BTC": "1", "USDT": "0"}, "intervalSeconds": 3600, "driftThresholdPct": "1"}
    small = await started(host, await new_bot(host, "rebalancer", all_in, {"USDT": "1000"}))
    large = await started(host, await new_bot(host, "rebalancer", all_in, {"USDT": "3000"}))
    greedy = {**GRID, "quantityPerLevel": "1"}  # 60 000 USDT a level: more than it has
    grid = await started(host, await new_bot(host, "grid", greedy, {"USDT": "2000"}))
    await host.on_candle(candle("65000"))

    def cost(bot: BotRecord) -> Decimal:
        return sum(
            (o.quantity * (o.price or Decimal("65000") * Decimal("1.01")) for o in store.requested(bot.id)),
            Decimal(0),
        )

    assert Decimal(0) < cost(small) <= 1000
    assert Decimal(1000) < cost(large) <= 3000
    assert store.requested(grid.id) == []


async def test_fills_move_the_bots_own_balances_and_a_rejection_is_logged_plainly() -> None:
    store = FakeStore()
    host = make_host(store)
    host.prices[("paper", "BTC/USDT")] = Decimal("65000")
    bot = await started(host, await new_bot(host, "grid", GRID))
    await host.on_candle(candle("65000"))
    first, second, *_ = store.requested(bot.id)

    await host.on_fill(filled(first, "64000"))
    await host.on_fill(filled(first, "64000"))  # redelivered
    await host.on_closed(
        second.order_id, OrderStatus.REJECTED, "rejected by risk: MAX_POSITION position too large"
    )

    balances = store.bots[bot.id].snapshot["context"]["balances"]  # type: ignore[index]
    assert Decimal(balances["BTC"]) == Decimal("0.01")
    assert Decimal(balances["USDT"]) == Decimal("10000") - Decimal("640") - Decimal("0.1")
    assert store.orders[first.order_id]["status"] == OrderStatus.FILLED
    assert store.orders[second.order_id]["status"] == OrderStatus.REJECTED
    assert "rejected by risk: MAX_POSITION position too large" in store.messages(bot.id)
    assert store.bots[bot.id].error == "rejected by risk: MAX_POSITION position too large"
    # The filled buy became a sell one level up.
    sells = [o for o in store.requested(bot.id) if o.side is Side.SELL]
    assert len(sells) == 1 and sells[0].price == Decimal("65000")


async def test_stop_cancels_the_open_orders_and_can_close_the_position() -> None:
    store = FakeStore()
    host = make_host(store)
    host.prices[("paper", "BTC/USDT")] = Decimal("65000")
    bot = await started(host, await new_bot(host, "grid", GRID, {"USDT": "10000", "BTC": "0.5"}))
    await host.on_candle(candle("65000"))
    open_orders = {o.order_id for o in store.requested(bot.id)}
    unit = await host.unit(bot.id)
    assert unit is not None

    stopped = await host.stop(unit, cancel_open=True, close=True)

    cancels = {m.order_id for _, m in store.sent if isinstance(m, CancelOrder)}
    closing = [o for o in store.requested(bot.id) if o.order_id not in open_orders]
    assert stopped.status is BotStatus.STOPPED and stopped.next_run_at is None
    assert cancels == open_orders
    assert [(o.side, o.type.value) for o in closing] == [(Side.SELL, "Market")]


async def test_a_running_bot_takes_only_updatable_fields() -> None:
    store = FakeStore()
    host = make_host(store)
    host.prices[("paper", "BTC/USDT")] = Decimal("65000")
    bot = await started(host, await new_bot(host, "rebalancer", REBALANCER, dry_run=True))
    unit = await host.unit(bot.id)
    assert unit is not None

    updated = await host.update(unit, config={**REBALANCER, "driftThresholdPct": "2"})
    in_euros = {**REBALANCER, "targets": {"BTC": "0.5", "EUR": "0.5"}, "quote": "EUR"}
    with pytest.raises(BotRefused) as quote:
        await host.update(unit, config=in_euros)
    with pytest.raises(BotRefused) as allocation:
        await host.update(unit, allocation={"USDT": "1"})

    assert updated.config["driftThresholdPct"] == "2"
    assert (quote.value.code, quote.value.details) == ("BOT_RUNNING", {"fields": ["quote"]})
    assert allocation.value.code == "BOT_RUNNING"


async def test_a_replica_runs_only_the_bots_of_its_own_partitions() -> None:
    store = FakeStore()
    host = make_host(store)
    bot = await new_bot(host, "grid", GRID)
    other = Host(store, partitions=16, owned=[(host.partition(USER) + 1) % 16], clock=Clock())
    unit = await other.unit(bot.id)
    assert unit is not None

    with pytest.raises(BotRefused) as refused:
        await other.start(unit)

    assert (refused.value.code, refused.value.status) == ("BOT_NOT_OWNED", 503)
    assert store.bots[bot.id].status is BotStatus.STOPPED
