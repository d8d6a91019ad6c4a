"""Closed trades: the aggregate of the lots closed between a position opening and going flat."""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import datetime
from decimal import Decimal
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

_TRADE_NAMESPACE = uuid5(NAMESPACE_URL, "tradeplane:pnl:trade")
_HUNDRED = Decimal(100)
_PCT_PLACES = Decimal("0.0001")


@dataclass(frozen=True, slots=True)
class ClosedTrade:
    """One round trip, open to flat; `pnl_usd` is net of every fee, in the quote currency.

    Prices are averages over the quantity the round trip closed. `entry_at` is the earliest opening
    fill and `exit_at` the latest closing fill (never before `entry_at`), in whatever order they arrived.
    """

    trade_id: UUID
    user_id: UUID
    account_id: UUID
    symbol: str
    side: str
    quantity: Decimal
    entry_price: Decimal
    exit_price: Decimal
    entry_at: datetime
    exit_at: datetime
    fees: Decimal
    pnl_usd: Decimal
    pnl_pct: Decimal

    @property
    def duration_seconds(self) -> int:
        return int((self.exit_at - self.entry_at).total_seconds())

    def as_dict(self) -> dict[str, Any]:
        """Every field and the duration: the columns of a stored trade and the fields of `TradeClosed`."""
        return {f.name: getattr(self, f.name) for f in fields(self)} | {
            "duration_seconds": self.duration_seconds
        }

    @property
    def is_win(self) -> bool:
        return self.pnl_usd > 0

    @property
    def is_loss(self) -> bool:
        return self.pnl_usd < 0


def trade_id_for(user_id: UUID, account_id: UUID, symbol: str, closing_fill_id: str) -> UUID:
    """Deterministic, so a replay of the same fills yields the same trade ids."""
    return uuid5(_TRADE_NAMESPACE, f"{user_id}:{account_id}:{symbol}:{closing_fill_id}")


class RoundTrip:
    """Running sums of the lots closed since the position last left flat."""

    __slots__ = ("entry_at", "entry_value", "exit_at", "exit_value", "fees", "gross", "long", "quantity")

    def __init__(self, long: bool, entry_at: datetime) -> None:
        self.long = long
        self.entry_at = entry_at
        self.exit_at = entry_at
        self.quantity = Decimal(0)
        self.entry_value = Decimal(0)
        self.exit_value = Decimal(0)
        self.gross = Decimal(0)
        self.fees = Decimal(0)

    def opened(self, at: datetime) -> None:
        if at < self.entry_at:
            self.entry_at = at

    def closed(
        self, quantity: Decimal, entry_value: Decimal, exit_value: Decimal, fees: Decimal, at: datetime
    ) -> None:
        if at > self.exit_at:
            self.exit_at = at
        self.quantity += quantity
        self.entry_value += entry_value
        self.exit_value += exit_value
        self.fees += fees
        self.gross += exit_value - entry_value if self.long else entry_value - exit_value

    def finish(self, trade_id: UUID, user_id: UUID, account_id: UUID, symbol: str) -> ClosedTrade:
        pnl = self.gross - self.fees
        return ClosedTrade(
            trade_id=trade_id,
            user_id=user_id,
            account_id=account_id,
            symbol=symbol,
            side="long" if self.long else "short",
            quantity=self.quantity,
            entry_price=self.entry_value / self.quantity,
            exit_price=self.exit_value / self.quantity,
            entry_at=self.entry_at,
            exit_at=self.exit_at,
            fees=self.fees,
            pnl_usd=pnl,
            pnl_pct=(pnl / self.entry_value * _HUNDRED).quantize(_PCT_PLACES),
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "long": self.long,
            "entry_at": self.entry_at.isoformat(),
            "exit_at": self.exit_at.isoformat(),
            "quantity": str(self.quantity),
            "entry_value": str(self.entry_value),
            "exit_value": str(self.exit_value),
            "gross": str(self.gross),
            "fees": str(self.fees),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> RoundTrip:
        trip = cls(bool(data["long"]), datetime.fromisoformat(data["entry_at"]))
        trip.exit_at = datetime.fromisoformat(data["exit_at"])
        trip.quantity = Decimal(data["quantity"])
        trip.entry_value = Decimal(data["entry_value"])
        trip.exit_value = Decimal(data["exit_value"])
        trip.gross = Decimal(data["gross"])
        trip.fees = Decimal(data["fees"])
        return trip
