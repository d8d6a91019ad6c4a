"""The pre-trade hot path against an in-memory store: what is decided, stored and emitted per order."""

from __future__ import annotations

from decimal import Decimal

from tradeplane.contracts import (
    OrderApproved,
    OrderRejected,
    RejectCode,
    subjects,
)
from tradeplane.risk.market import Prices
from tradeplane.risk.pretrade import PreTrade
from tradeplane.risk.profiles import Profiles
from tradeplane.riskrules import RiskState
from tradeplane.runtime.testing import ticker

from .fakes import USER, FakeDecisions, FakeEquity, FakeHalts, order_request

PARTITIONS = 4


def pretrade(
    store: FakeDecisions,
    halts: FakeHalts | None = None,
    prices: Prices | None = None,
    equity: FakeEquity | None = None,
) -> PreTrade:
    return PreTrade(
        store, PARTITIONS, Profiles(), halts or FakeHalts(), prices or Prices(), equity or FakeEquity()
    )


def btc_at(last: str) -> Prices:
    prices = Prices()
    prices.update(ticker("paper", "BTC/USDT", last))
    return prices


async def test_an_order_within_the_limits_is_approved_on_its_partition() -> None:
    store = FakeDecisions()
    order = order_request("0.01", "50000")

    await pretrade(store).handle(order)

    partition = subjects.partition_of(USER, PARTITIONS)
    [(subject, approved)] = store.committed.events
    assert subject == subjects.order_approved(partition, USER)
    assert isinstance(approved, OrderApproved)
    assert (approved.order_id, approved.quantity, approved.price) == (
        order.order_id,
        Decimal("0.01"),
        Decimal(50000),
    )
    assert approved.meta.causation_id == order.meta.event_id
    assert store.decisions[order.order_id] == (True, None, None)
    assert len(store.states[USER].recent_orders) == 1


async def test_an_order_over_the_notional_cap_is_rejected_with_its_code() -> None:
    store = FakeDecisions()
    store.limit(USER, max_order_notional="1000", max_position_pct="100")
    order = order_request("0.1", "50000")  # 5000 USDT

    await pretrade(store).handle(order)

    [(subject, rejected)] = store.committed.events
    assert subject == subjects.order_rejected(subjects.partition_of(USER, PARTITIONS), USER)
    assert isinstance(rejected, OrderRejected)
    assert rejected.code is RejectCode.MAX_ORDER_NOTIONAL
    assert store.decisions[order.order_id][:2] == (False, "MAX_ORDER_NOTIONAL")
    assert store.states.get(USER, RiskState()).recent_orders == ()


async def test_an_order_decided_before_changes_and_emits_nothing() -> None:
    store = FakeDecisions()
    order = order_request()
    check = pretrade(store)
    await check.handle(order)
    state, events = store.states[USER], list(store.committed.events)

    await check.handle(order)

    assert store.committed.events == events
    assert store.states[USER] == state
    assert len(store.decisions) == 1


async def test_a_market_order_is_judged_at_the_latest_price() -> None:
    store = FakeDecisions()
    store.limit(USER, max_order_notional="1000", max_position_pct="100")
    cheap, dear = order_request("0.01", None), order_request("0.03", None)

    check = pretrade(store, prices=btc_at("50000"))
    await check.handle(cheap)  # 500 USDT
    await check.handle(dear)  # 1500 USDT

    assert store.decisions[cheap.order_id] == (True, None, None)
    assert store.decisions[dear.order_id][:2] == (False, "MAX_ORDER_NOTIONAL")


async def test_a_market_order_without_a_known_price_is_rejected_as_invalid() -> None:
    store = FakeDecisions()

    await pretrade(store).handle(order_request("0.01", None))

    [rejected] = store.committed.of(OrderRejected)
    assert rejected.code is RejectCode.INVALID_ORDER
    assert "no market price known for BTC/USDT" in rejected.reason


async def test_a_halted_user_is_rejected_by_the_kill_switch_even_without_a_price() -> None:
    store = FakeDecisions()
    halts = FakeHalts(users={USER})

    await pretrade(store, halts).handle(order_request("0.01", None))
    await pretrade(store, halts).handle(order_request("0.01", "50000"))

    assert [r.code for r in store.committed.of(OrderRejected)] == [RejectCode.KILL_SWITCH] * 2


async def test_a_global_halt_rejects_every_user() -> None:
    store = FakeDecisions()

    await pretrade(store, FakeHalts(engaged_global=True)).handle(order_request())

    assert [r.code for r in store.committed.of(OrderRejected)] == [RejectCode.KILL_SWITCH]


async def test_equity_is_asked_only_while_no_pnl_update_told_it() -> None:
    store, equity = FakeDecisions(), FakeEquity(Decimal(10_000))
    check = pretrade(store, equity=equity)

    await check.handle(order_request())
    store.states[USER] = RiskState(equity=Decimal(20_000))
    await check.handle(order_request())

    assert equity.asked == [USER]


async def test_an_unknown_equity_rejects_the_order_until_balances_are_known() -> None:
    store = FakeDecisions()

    await pretrade(store, equity=FakeEquity(None)).handle(order_request())

    assert [r.code for r in store.committed.of(OrderRejected)] == [RejectCode.EQUITY_UNKNOWN]
