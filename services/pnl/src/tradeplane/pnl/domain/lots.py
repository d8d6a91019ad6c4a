"""FIFO lot accounting per (user, account, symbol): positions, realized PnL, fees and closed trades.

Ordering: fills are booked in the order the consumer applies them (FIFO by arrival), whatever their
timestamps. Redelivered fill ids are ignored. Whatever the order, with `fees` the total paid in the
quote currency, `realized_pnl + unrealized(mark) - fees` equals the cash flow of the fills plus the
position marked at `mark`, because both sides are exact sums over the same fills; only the split
between realized and unrealized depends on which lots arrival order closed first.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, NamedTuple
from uuid import UUID

from .fills import Fill, Rates, fee_in_quote
from .ledger import Ledger, PositionKey
from .trades import ClosedTrade

__all__ = ["Book", "BookResult", "Position", "PositionKey"]

_ZERO = Decimal(0)
_Index = tuple[int, int, str]


@dataclass(frozen=True, slots=True)
class Position:
    """A snapshot of one position; `realized_pnl` is gross, `fees` is every fee paid, in quote currency."""

    user_id: UUID
    account_id: UUID
    symbol: str
    quantity: Decimal
    """Signed: positive long, negative short, zero flat."""
    cost: Decimal
    """Sum of quantity * entry price over the open lots (unsigned)."""
    realized_pnl: Decimal
    fees: Decimal
    open_fees: Decimal
    """The part of `fees` that belongs to still-open lots (not yet in any closed trade)."""

    @property
    def average_entry(self) -> Decimal:
        return self.cost / abs(self.quantity) if self.quantity else _ZERO

    def unrealized(self, mark: Decimal) -> Decimal:
        """Gross unrealized PnL at `mark`, exact (no rounded average price involved)."""
        if not self.quantity:
            return _ZERO
        return self.quantity * mark - self.cost if self.quantity > 0 else self.cost + self.quantity * mark

    def net_pnl(self, mark: Decimal) -> Decimal:
        return self.realized_pnl + self.unrealized(mark) - self.fees


class BookResult(NamedTuple):
    """What one fill did: `applied` is False for an already-booked fill id (nothing changed)."""

    applied: bool
    key: PositionKey
    realized: Decimal
    """Gross PnL realized by this fill."""
    fee: Decimal
    """This fill's fee in the quote currency."""
    trade: ClosedTrade | None
    """Set when this fill took the position to flat."""


class Book:
    """Every position of every user; `apply` is idempotent per fill id within a position."""

    __slots__ = ("_ledgers", "_rates")

    def __init__(self, rates: Rates | None = None) -> None:
        self._rates = rates
        # Indexed by the UUIDs' integers: hashing a UUID runs Python code, hashing an int does not.
        self._ledgers: dict[_Index, Ledger] = {}

    def apply(self, fill: Fill) -> BookResult:
        """Book `fill`; raises `FeeConversionError` (changing nothing) when its fee cannot be converted."""
        index = (fill.user_id.int, fill.account_id.int, fill.symbol)
        ledger = self._ledgers.get(index)
        if ledger is None:
            fee = fee_in_quote(fill, self._rates)
            ledger = self._ledgers[index] = Ledger(fill.user_id, fill.account_id, fill.symbol)
        elif fill.fill_id in ledger.fill_ids:
            return BookResult(False, ledger.key, _ZERO, _ZERO, None)
        elif fill.fee_currency == ledger.quote:
            fee = fill.fee
        else:
            fee = fee_in_quote(fill, self._rates)
        realized, trade = ledger.book(fill, fee)
        return BookResult(True, ledger.key, realized, fee, trade)

    def position(self, key: PositionKey) -> Position:
        ledger = self._ledgers.get(_index(key))
        if ledger is None:
            return Position(key.user_id, key.account_id, key.symbol, _ZERO, _ZERO, _ZERO, _ZERO, _ZERO)
        return _position(ledger)

    def positions(self, user_id: UUID | None = None, account_id: UUID | None = None) -> Iterator[Position]:
        for ledger in self._ledgers.values():
            if (user_id is None or ledger.user_id == user_id) and (
                account_id is None or ledger.account_id == account_id
            ):
                yield _position(ledger)

    def state_of(self, key: PositionKey) -> dict[str, Any] | None:
        """One position's full state (lots, totals, seen fill ids) as JSON-ready data."""
        ledger = self._ledgers.get(_index(key))
        return ledger.to_dict() if ledger is not None else None

    def restore(self, state: dict[str, Any]) -> PositionKey:
        """Load one position saved by `state_of`, replacing any in memory."""
        ledger = Ledger.from_dict(state)
        self._ledgers[_index(ledger.key)] = ledger
        return ledger.key

    def to_dict(self) -> dict[str, Any]:
        return {"positions": [ledger.to_dict() for ledger in self._ledgers.values()]}

    @classmethod
    def from_dict(cls, data: dict[str, Any], rates: Rates | None = None) -> Book:
        book = cls(rates)
        for state in data["positions"]:
            book.restore(state)
        return book

    def __len__(self) -> int:
        return len(self._ledgers)


def _index(key: PositionKey) -> _Index:
    return key.user_id.int, key.account_id.int, key.symbol


def _position(ledger: Ledger) -> Position:
    # A flat short would otherwise read as Decimal("-0").
    quantity = ledger.quantity if ledger.long or not ledger.quantity else -ledger.quantity
    return Position(
        ledger.user_id,
        ledger.account_id,
        ledger.symbol,
        quantity,
        ledger.cost,
        ledger.realized,
        ledger.fees,
        ledger.open_fees,
    )
