"""What one fill did to its position: the quantity it opened, the quantity it closed and what that made."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from .ledger import allocate
from .lots import Position

_ZERO = Decimal(0)
_HUNDRED = Decimal(100)
_PCT_PLACES = Decimal("0.0001")


@dataclass(frozen=True, slots=True)
class FillEffect:
    opened: Decimal
    closed: Decimal
    pnl_usd: Decimal
    """Net PnL of the closed part: gross, less its share of the entry fees and of this fill's fee."""
    pnl_pct: Decimal
    """`pnl_usd` against the entry value of the closed part, in percent (0 when nothing closed)."""


def effect_of(
    before: Position, after: Position, buy: bool, quantity: Decimal, fee: Decimal, realized: Decimal
) -> FillEffect:
    """The effect of a fill of `quantity` (fee in quote currency, `realized` gross PnL) from `before` to
    `after`."""
    held = abs(before.quantity)
    if not held or buy == (before.quantity > 0):
        return FillEffect(quantity, _ZERO, _ZERO, _ZERO)
    closed = min(quantity, held)
    # Whatever stays open after a close to flat (a reversal) is new lots, not the closed ones.
    remaining = _ZERO if closed == held else after.cost
    remaining_fees = _ZERO if closed == held else after.open_fees
    entry_value = before.cost - remaining
    exit_fee = fee if closed == quantity else allocate(fee, closed, quantity)
    pnl = realized - (before.open_fees - remaining_fees) - exit_fee
    pct = (pnl / entry_value * _HUNDRED).quantize(_PCT_PLACES) if entry_value else _ZERO
    return FillEffect(quantity - closed, closed, pnl, pct)
