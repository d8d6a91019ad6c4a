"""Kill switch, venue, market data, PnL, risk, user and audit events."""

from __future__ import annotations

import base64
from typing import Any, ClassVar, Self
from uuid import UUID

from pydantic import Field, model_validator

from .base import Message, Money, NonNegative, Quantity, UtcDatetime
from .enums import HaltScope, Role, TradingState, VenueErrorCategory
from .orders import SYMBOL_PATTERN, OrderFilled


class HaltEngaged(Message):
    """The kill switch is on, for everyone or for one user."""

    scope: HaltScope
    user_id: UUID | None = None
    reason: str = Field(min_length=1, max_length=500)
    actor: str = Field(min_length=1, max_length=200)
    actor_role: Role | None = None
    """The role the actor engaged it with; None in records older than this field, which count as an
    admin's: a halt not engaged by a trader on themselves is released only by an admin."""

    @model_validator(mode="after")
    def _user_matches_scope(self) -> Self:
        if (self.scope is HaltScope.USER) != (self.user_id is not None):
            raise ValueError("a user halt names exactly one user; a global halt names none")
        return self


class HaltReleased(Message):
    """The kill switch is off again (an explicit, audited command)."""

    scope: HaltScope
    user_id: UUID | None = None
    reason: str = Field(default="", max_length=500)
    actor: str = Field(min_length=1, max_length=200)


class HaltAck(Message):
    """An executor has stopped sending for a halt; `cancelled_orders` of its open orders are being
    cancelled, each then reported by its `OrderCanceled`."""

    halt_event_id: UUID
    executor: str
    scope: HaltScope
    user_id: UUID | None = None
    cancelled_orders: int = Field(ge=0)


class VenueError(Message):
    """A venue call failed; risk counts these per user to auto-disable broken accounts."""

    user_id: UUID
    account_id: UUID
    venue: str
    category: VenueErrorCategory
    message: str = Field(max_length=1000)
    order_id: UUID | None = None


class VenueSucceeded(Message):
    """A venue call succeeded; it resets the consecutive error count."""

    user_id: UUID
    account_id: UUID


class UserDisabled(Message):
    """Too many consecutive account-breaking errors: the user no longer trades."""

    user_id: UUID
    reason: str = Field(max_length=500)
    error_counts: dict[str, int] = Field(default_factory=dict)


class UserEnabled(Message):
    user_id: UUID
    actor: str


class Ticker(Message):
    """The latest prices of a symbol on a venue."""

    venue: str
    symbol: str = Field(pattern=SYMBOL_PATTERN)
    bid: Quantity
    ask: Quantity
    last: Quantity
    at: UtcDatetime


class PositionChanged(Message):
    user_id: UUID
    account_id: UUID
    symbol: str = Field(pattern=SYMBOL_PATTERN)
    quantity: Money
    """Signed: positive long, negative short, zero flat."""
    average_entry: NonNegative
    realized_pnl: Money
    unrealized_pnl: Money


class TradeClosed(Message):
    """A position went from open to flat (or a lot closed), with its result."""

    trade_id: UUID
    user_id: UUID
    account_id: UUID
    symbol: str = Field(pattern=SYMBOL_PATTERN)
    side: str = Field(pattern=r"^(long|short)$")
    quantity: Quantity
    entry_price: Quantity
    exit_price: Quantity
    entry_at: UtcDatetime
    exit_at: UtcDatetime
    fees: NonNegative
    pnl_usd: Money
    pnl_pct: Money
    duration_seconds: int = Field(ge=0)


class PnlUpdated(Message):
    """A user's running PnL figures changed.

    Version 2: `equity` is None while it is unknown (the balances of one of the user's accounts could
    not be read yet); version 1 always carried a number. Consumers accept both.
    """

    SCHEMA_VERSION: ClassVar[int] = 2
    user_id: UUID
    realized_pnl: Money
    unrealized_pnl: Money
    fees: Money
    equity: Money | None
    daily_pnl: Money
    weekly_pnl: Money


class RiskStateChanged(Message):
    """A user's trading state moved (Active / Reducing / Halted)."""

    user_id: UUID
    previous: TradingState
    current: TradingState
    reason_code: str
    reason: str = Field(max_length=500)


class AuditRecorded(Message):
    """Who did what, when and why: kill switch, releases, enables, settings changes."""

    actor: str
    action: str = Field(min_length=1, max_length=100)
    target: str = Field(default="", max_length=200)
    reason: str = Field(default="", max_length=500)
    details: dict[str, Any] = Field(default_factory=dict)


class DeadLettered(Message):
    """A message a consumer could not decode or process, with why."""

    original_subject: str
    consumer: str
    reason: str = Field(max_length=2000)
    payload: str
    """The original body, as text (base64 when it was not UTF-8)."""
    headers: dict[str, str] = Field(default_factory=dict)
    payload_base64: bool = False
    """True when `payload` is the base64 of a body that was not UTF-8 (replay decodes it)."""

    def original_body(self) -> bytes:
        return base64.b64decode(self.payload) if self.payload_base64 else self.payload.encode()


class FillBooked(Message):
    """pnl booked one fill: how much of a position it opened and closed, and what the closed part made."""

    fill: OrderFilled
    opened_quantity: NonNegative
    closed_quantity: NonNegative
    position_quantity: Money
    """The position after the fill. Signed: positive long, negative short, zero flat."""
    pnl_usd: Money
    """Net PnL of the closed part, its share of entry and exit fees deducted (0 when nothing closed)."""
    pnl_pct: Money
    """`pnl_usd` against the entry value of the closed part, in percent."""
    trade_id: UUID | None = None
    """The closed trade (TradeClosed) this fill completed by taking the position to flat."""

    @property
    def user_id(self) -> UUID:
        return self.fill.user_id


__all__ = [
    "AuditRecorded",
    "DeadLettered",
    "FillBooked",
    "HaltAck",
    "HaltEngaged",
    "HaltReleased",
    "PnlUpdated",
    "PositionChanged",
    "RiskStateChanged",
    "Ticker",
    "TradeClosed",
    "UserDisabled",
    "UserEnabled",
    "VenueError",
    "VenueSucceeded",
]
