"""Properties of paper matching over random sequences of orders, ticks and cancels."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st
from tradeplane.contracts import OrderType, Side
from tradeplane.paper.book import PaperFill, PaperOrder, PaperUpdate
from tradeplane.paper.engine import PaperEngine
from tradeplane.paper.feed import Tick

from .builders import at, btc_tick, make_engine

START_USDT, START_BTC = Decimal("150000"), Decimal("1.5")

prices = st.integers(min_value=40_000, max_value=90_000).map(Decimal)
quantities = st.integers(min_value=10, max_value=300_000).map(lambda n: Decimal(n) / 100_000)


@dataclass(frozen=True)
class Submit:
    side: Side
    type: OrderType
    quantity: Decimal
    price: Decimal
    stop_price: Decimal


@dataclass(frozen=True)
class NewTick:
    last: Decimal
    half_spread_cents: int


@dataclass(frozen=True)
class Cancel:
    n: int


Step = Submit | NewTick | Cancel

steps_strategy = st.lists(
    st.one_of(
        st.builds(
            Submit, st.sampled_from(list(Side)), st.sampled_from(list(OrderType)), quantities, prices, prices
        ),
        st.builds(NewTick, prices, st.integers(min_value=1, max_value=2000)),
        st.builds(Cancel, st.integers(min_value=0, max_value=20)),
    ),
    min_size=1,
    max_size=40,
)


def submitted(n: int, step: Submit) -> PaperOrder:
    needs_price = step.type in (OrderType.LIMIT, OrderType.STOP_LIMIT)
    needs_stop = step.type in (OrderType.STOP, OrderType.STOP_LIMIT)
    return PaperOrder(
        f"o{n}",
        "BTC/USDT",
        step.side,
        step.type,
        step.quantity,
        step.price if needs_price else None,
        step.stop_price if needs_stop else None,
    )


def run(steps: list[Step]) -> tuple[PaperEngine, list[PaperUpdate]]:
    engine = make_engine(usdt=str(START_USDT), btc=str(START_BTC), liquidity="40000")
    engine.on_tick(btc_tick(0, "64999.00", "65001.00"))
    updates: list[PaperUpdate] = []
    for second, step in enumerate(steps, start=1):
        if isinstance(step, Submit):
            updates.append(engine.submit(submitted(second, step), at(second)))
        elif isinstance(step, NewTick):
            half = Decimal(step.half_spread_cents) / 100
            tick = Tick("BTC/USDT", step.last - half, step.last + half, step.last, at(second))
            updates.extend(engine.on_tick(tick))
        elif (cancelled := engine.cancel(f"o{step.n}")) is not None:
            updates.append(cancelled)
    return engine, updates


def all_fills(updates: list[PaperUpdate]) -> list[PaperFill]:
    return [fill for update in updates for fill in update.fills]


@settings(max_examples=150, deadline=None)
@given(steps_strategy)
def test_balances_never_go_negative_and_reservations_fit_in_them(steps: list[Step]) -> None:
    engine, _ = run(steps)

    for currency in ("USDT", "BTC"):
        assert engine.account.balance(currency) >= 0
        assert 0 <= engine.reserved(currency) <= engine.account.balance(currency)


@settings(max_examples=150, deadline=None)
@given(steps_strategy)
def test_fills_never_exceed_the_order_quantity(steps: list[Step]) -> None:
    _, updates = run(steps)

    filled: dict[str, Decimal] = defaultdict(Decimal)
    for fill in all_fills(updates):
        filled[fill.order_id] += fill.quantity
        assert filled[fill.order_id] == fill.filled_quantity <= fill.order_quantity


@settings(max_examples=150, deadline=None)
@given(steps_strategy)
def test_fill_ids_are_unique(steps: list[Step]) -> None:
    _, updates = run(steps)

    ids = [fill.fill_id for fill in all_fills(updates)]
    assert len(ids) == len(set(ids))


@settings(max_examples=150, deadline=None)
@given(steps_strategy)
def test_balances_move_by_exactly_the_fills(steps: list[Step]) -> None:
    engine, updates = run(steps)

    base, quote = START_BTC, START_USDT
    for fill in all_fills(updates):
        sign = 1 if fill.side is Side.BUY else -1
        base += sign * fill.quantity
        quote -= sign * fill.quantity * fill.price + fill.fee
    assert (engine.account.balance("BTC"), engine.account.balance("USDT")) == (base, quote)


@settings(max_examples=100, deadline=None)
@given(steps_strategy)
def test_stored_state_restores_the_same_engine(steps: list[Step]) -> None:
    engine, _ = run(steps)

    assert PaperEngine.from_dict(engine.to_dict()).to_dict() == engine.to_dict()
