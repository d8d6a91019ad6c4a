"""FIFO lots of one (user, account, symbol): opening, closing, realized PnL and fee allocation."""

from __future__ import annotations

from collections import deque
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any, NamedTuple
from uuid import UUID

from tradeplane.contracts import Side

from .fills import Fill
from .trades import ClosedTrade, RoundTrip, trade_id_for

_ZERO = Decimal(0)
_BUY = Side.BUY
# Allocated fee parts are rounded to a fixed exponent so that part + remainder is exactly the whole.
_FEE_PLACES = Decimal("1e-12")


def allocate(amount: Decimal, part: Decimal, whole: Decimal) -> Decimal:
    """`amount * part / whole`, rounded to 12 decimal places (unrounded if too large to round)."""
    share = amount * part / whole
    try:
        return share.quantize(_FEE_PLACES)
    except InvalidOperation:
        return share


class PositionKey(NamedTuple):
    user_id: UUID
    account_id: UUID
    symbol: str


class Lot:
    """An open slice of the position: what is left of one opening fill, with its unallocated fee."""

    __slots__ = ("fee", "opened_at", "price", "quantity")

    def __init__(self, quantity: Decimal, price: Decimal, fee: Decimal, opened_at: datetime) -> None:
        self.quantity = quantity
        self.price = price
        self.fee = fee
        self.opened_at = opened_at

    def to_dict(self) -> dict[str, str]:
        return {
            "quantity": str(self.quantity),
            "price": str(self.price),
            "fee": str(self.fee),
            "opened_at": self.opened_at.isoformat(),
        }

    @classmethod
    def from_dict(cls, data: dict[str, str]) -> Lot:
        at = datetime.fromisoformat(data["opened_at"])
        return cls(Decimal(data["quantity"]), Decimal(data["price"]), Decimal(data["fee"]), at)


class Ledger:
    """The lots of one position, all on one side; `quantity` and `cost` are unsigned sums over them.

    Fills are applied in the order they are given (FIFO by arrival), not by their timestamps.
    """

    __slots__ = (
        "account_id",
        "cost",
        "fees",
        "fill_ids",
        "key",
        "long",
        "lots",
        "quantity",
        "quote",
        "realized",
        "symbol",
        "trip",
        "user_id",
    )

    def __init__(self, user_id: UUID, account_id: UUID, symbol: str) -> None:
        self.user_id = user_id
        self.account_id = account_id
        self.symbol = symbol
        self.key = PositionKey(user_id, account_id, symbol)
        self.quote = symbol.partition("/")[2]
        self.lots: deque[Lot] = deque()
        self.long = True
        self.quantity = _ZERO
        self.cost = _ZERO
        self.realized = _ZERO
        self.fees = _ZERO
        self.fill_ids: set[str] = set()
        self.trip: RoundTrip | None = None

    def book(self, fill: Fill, fee: Decimal) -> tuple[Decimal, ClosedTrade | None]:
        """Apply a new fill whose fee is already in the quote currency; return (gross realized, trade)."""
        self.fill_ids.add(fill.fill_id)
        self.fees += fee
        buy = fill.side is _BUY
        quantity = fill.quantity
        if not self.quantity or buy == self.long:
            self._open(buy, quantity, fill.price, fee, fill.at)
            return _ZERO, None
        closing = min(quantity, self.quantity)
        closing_fee = fee if closing == quantity else allocate(fee, closing, quantity)
        gross = self._close(closing, fill.price, closing_fee, fill.at)
        trade = self._finish(fill.fill_id) if not self.quantity else None
        if closing < quantity:
            self._open(buy, quantity - closing, fill.price, fee - closing_fee, fill.at)
        return gross, trade

    def _open(self, long: bool, quantity: Decimal, price: Decimal, fee: Decimal, at: datetime) -> None:
        if self.trip is None:
            self.long = long
            self.trip = RoundTrip(long, at)
        else:
            self.trip.opened(at)
        self.lots.append(Lot(quantity, price, fee, at))
        self.quantity += quantity
        self.cost += quantity * price

    def _close(self, quantity: Decimal, price: Decimal, closing_fee: Decimal, at: datetime) -> Decimal:
        left = quantity
        entry_value = _ZERO
        fees = closing_fee
        lots = self.lots
        while left:
            lot = lots[0]
            if lot.quantity <= left:
                lots.popleft()
                take, lot_fee = lot.quantity, lot.fee
            else:
                take, lot_fee = left, allocate(lot.fee, left, lot.quantity)
                lot.quantity -= take
                lot.fee -= lot_fee
            entry_value += take * lot.price
            fees += lot_fee
            left -= take
        exit_value = quantity * price
        self.quantity -= quantity
        self.cost = self.cost - entry_value if self.quantity else _ZERO
        gross = exit_value - entry_value if self.long else entry_value - exit_value
        self.realized += gross
        assert self.trip is not None
        self.trip.closed(quantity, entry_value, exit_value, fees, at)
        return gross

    def _finish(self, closing_fill_id: str) -> ClosedTrade:
        assert self.trip is not None
        trade_id = trade_id_for(self.user_id, self.account_id, self.symbol, closing_fill_id)
        trade = self.trip.finish(trade_id, self.user_id, self.account_id, self.symbol)
        self.trip = None
        return trade

    @property
    def open_fees(self) -> Decimal:
        return sum((lot.fee for lot in self.lots), _ZERO)

    def to_dict(self) -> dict[str, Any]:
        return {
            "user_id": str(self.user_id),
            "account_id": str(self.account_id),
            "symbol": self.symbol,
            "long": self.long,
            "quantity": str(self.quantity),
            "cost": str(self.cost),
            "realized": str(self.realized),
            "fees": str(self.fees),
            "lots": [lot.to_dict() for lot in self.lots],
            "fill_ids": sorted(self.fill_ids),
            "round_trip": self.trip.to_dict() if self.trip is not None else None,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Ledger:
        ledger = cls(UUID(data["user_id"]), UUID(data["account_id"]), data["symbol"])
        ledger.long = bool(data["long"])
        ledger.quantity = Decimal(data["quantity"])
        ledger.cost = Decimal(data["cost"])
        ledger.realized = Decimal(data["realized"])
        ledger.fees = Decimal(data["fees"])
        ledger.lots.extend(Lot.from_dict(lot) for lot in data["lots"])
        ledger.fill_ids.update(data["fill_ids"])
        trip = data["round_trip"]
        ledger.trip = RoundTrip.from_dict(trip) if trip is not None else None
        return ledger
