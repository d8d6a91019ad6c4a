"""Builders shared by the execution unit tests: times, ticks, orders and paper engines."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

from tradeplane.contracts import OrderType, Side
from tradeplane.paper.book import PaperAccount, PaperOrder, PaperSettings
from tradeplane.paper.engine import PaperEngine
from tradeplane.paper.feed import Tick

T0 = datetime(2025, 1, 6, 12, 0, tzinfo=UTC)


def at(seconds: int) -> datetime:
    return T0 + timedelta(seconds=seconds)


def btc_tick(second: int, bid: str, ask: str, last: str | None = None) -> Tick:
    mid = last if last is not None else str((Decimal(bid) + Decimal(ask)) / 2)
    return Tick("BTC/USDT", Decimal(bid), Decimal(ask), Decimal(mid), at(second))


def order(
    order_id: str,
    side: Side,
    type: OrderType,
    quantity: str,
    price: str | None = None,
    stop_price: str | None = None,
    symbol: str = "BTC/USDT",
) -> PaperOrder:
    return PaperOrder(
        order_id=order_id,
        symbol=symbol,
        side=side,
        type=type,
        quantity=Decimal(quantity),
        price=None if price is None else Decimal(price),
        stop_price=None if stop_price is None else Decimal(stop_price),
    )


def make_engine(usdt: str = "100000", btc: str = "0", liquidity: str = "50000") -> PaperEngine:
    account = PaperAccount({"USDT": Decimal(usdt), "BTC": Decimal(btc)})
    return PaperEngine(account, settings=PaperSettings(liquidity_per_tick=Decimal(liquidity)))
