"""A paper engine reloaded from its stored state remembers the last tick it used."""

from __future__ import annotations

from decimal import Decimal

from tradeplane.contracts import OrderStatus, OrderType, Side
from tradeplane.paper.engine import PaperEngine

from .builders import at, btc_tick, make_engine, order


def test_reloaded_engine_prices_a_market_order_without_a_new_tick() -> None:
    engine = make_engine()
    engine.on_tick(btc_tick(0, "64999.00", "65001.00"))

    restored = PaperEngine.from_dict(engine.to_dict())
    update = restored.submit(order("m1", Side.BUY, OrderType.MARKET, "0.01"), at(1))

    assert update.status is OrderStatus.FILLED
    assert update.fills[0].price == Decimal("65001.00")


def test_reloaded_engine_does_not_match_the_same_tick_twice() -> None:
    engine = make_engine(liquidity="1000")
    tick = btc_tick(0, "64999.00", "65001.00")
    engine.on_tick(tick)
    engine.submit(order("big", Side.BUY, OrderType.MARKET, "0.1"), at(1))

    restored = PaperEngine.from_dict(engine.to_dict())

    assert restored.on_tick(tick) == []


def test_state_stored_before_ticks_were_kept_still_loads() -> None:
    stored = {"balances": {"USDT": "10"}, "orders": []}

    assert PaperEngine.from_dict(stored).to_dict()["ticks"] == {}
