"""A bot's performance from its own fills: average-cost lots per symbol, in the quote currency.

A sell closes (part of) the position at its average cost: that is one trade, won when it realized more
than zero. Fees paid in the base asset count at the fill's price. Unrealized PnL values what is still
held at the last price known.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Protocol

ZERO = Decimal(0)


class BotFill(Protocol):
    """A fill of one of the bot's orders (a `bot_fills` row)."""

    @property
    def symbol(self) -> str: ...
    @property
    def side(self) -> str: ...
    @property
    def quantity(self) -> Decimal: ...
    @property
    def price(self) -> Decimal: ...
    @property
    def fee(self) -> Decimal: ...
    @property
    def fee_currency(self) -> str: ...
    @property
    def filled_at(self) -> datetime: ...


@dataclass
class _Lot:
    quantity: Decimal = ZERO
    cost: Decimal = ZERO


@dataclass
class Performance:
    realized: Decimal = ZERO
    unrealized: Decimal = ZERO
    fees: Decimal = ZERO
    trades: list[Decimal] = field(default_factory=list)
    """Realized PnL of each closing sell, in order."""
    fills_last_24h: int = 0
    open_positions: int = 0
    invested: Decimal = ZERO
    """Quote spent on buys: the base of the return percentage."""

    @property
    def net(self) -> Decimal:
        return self.realized + self.unrealized - self.fees

    @property
    def wins(self) -> list[Decimal]:
        return [t for t in self.trades if t > 0]

    @property
    def losses(self) -> list[Decimal]:
        return [t for t in self.trades if t < 0]

    @property
    def win_rate(self) -> Decimal | None:
        return None if not self.trades else Decimal(len(self.wins)) * 100 / len(self.trades)

    @property
    def profit_factor(self) -> Decimal | None:
        lost = -sum(self.losses, ZERO)
        return None if lost == 0 else sum(self.wins, ZERO) / lost


def performance(fills: Iterable[BotFill], prices: Mapping[str, Decimal], now: datetime) -> Performance:
    """Replay `fills` (oldest first); `prices` are the last known prices by symbol."""
    lots: dict[str, _Lot] = {}
    result = Performance()
    for fill in fills:
        base = fill.symbol.split("/")[0]
        lot = lots.setdefault(fill.symbol, _Lot())
        result.fees += fill.fee * fill.price if fill.fee_currency == base else fill.fee
        if now - fill.filled_at <= timedelta(hours=24):
            result.fills_last_24h += 1
        if fill.side == "Buy":
            lot.quantity += fill.quantity
            lot.cost += fill.quantity * fill.price
            result.invested += fill.quantity * fill.price
            continue
        closed = min(fill.quantity, lot.quantity)
        if closed <= 0:
            continue
        average = lot.cost / lot.quantity
        pnl = closed * (fill.price - average)
        lot.cost -= closed * average
        lot.quantity -= closed
        result.realized += pnl
        result.trades.append(pnl)
    for symbol, lot in lots.items():
        if lot.quantity > 0:
            result.open_positions += 1
            price = prices.get(symbol)
            if price is not None:
                result.unrealized += lot.quantity * price - lot.cost
    return result
