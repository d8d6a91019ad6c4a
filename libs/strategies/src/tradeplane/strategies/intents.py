"""What a strategy sends out (intents, cancels, log lines) and what comes back to it (fills)."""

from __future__ import annotations

from enum import StrEnum
from typing import Any, Self
from uuid import UUID, uuid5

from pydantic import BaseModel, ConfigDict, Field, model_validator
from tradeplane.contracts import NonNegative, OrderType, Quantity, Side, UtcDatetime
from tradeplane.contracts.orders import SYMBOL_PATTERN

INTENT_NAMESPACE = UUID("5b0f2d4e-6c1a-5e0b-9a57-3f1c2b7d8e90")
"""uuid5 namespace of intent ids; changing it would re-send every order of a restarted bot."""

RunKey = int | str
"""Names one run of a bot (one event dispatched to its strategy); the host keeps it across restarts."""


def intent_id(bot_id: UUID, run: RunKey, step: int) -> UUID:
    """The id of the `step`-th intent of `run`: the same after a restart, so no order is sent twice."""
    return uuid5(INTENT_NAMESPACE, f"{bot_id}/{run}/{step}")


def split_symbol(symbol: str) -> tuple[str, str]:
    """`"BTC/USDT"` → `("BTC", "USDT")`."""
    base, quote = symbol.split("/")
    return base, quote


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Intent(_Frozen):
    """An order a strategy wants: the bots service turns it into `OrderRequested` (order id = intent id)."""

    intent_id: UUID
    bot_id: UUID
    run: RunKey
    step: int = Field(ge=0)
    symbol: str = Field(pattern=SYMBOL_PATTERN)
    side: Side
    type: OrderType
    quantity: Quantity
    price: Quantity | None = None

    @model_validator(mode="after")
    def _price_fits_type(self) -> Self:
        if self.type is OrderType.LIMIT and self.price is None:
            raise ValueError("Limit intents need a price")
        if self.type is OrderType.MARKET and self.price is not None:
            raise ValueError("Market intents take no price")
        if self.type not in (OrderType.MARKET, OrderType.LIMIT):
            raise ValueError("strategies emit Market or Limit intents only")
        return self

    @property
    def base(self) -> str:
        return split_symbol(self.symbol)[0]

    @property
    def quote(self) -> str:
        return split_symbol(self.symbol)[1]


class Cancel(_Frozen):
    """The strategy asks to cancel one of its open intents."""

    intent_id: UUID


Action = Intent | Cancel


class Fill(_Frozen):
    """One execution of an intent, reported back by the host (venue, paper or backtest)."""

    intent_id: UUID
    quantity: Quantity
    price: Quantity
    fee: NonNegative = Field(default=0)  # type: ignore[assignment]
    fee_currency: str | None = None
    """Defaults to the quote asset."""
    at: UtcDatetime


class Market(_Frozen):
    """A venue's trading rules for one symbol; strategies round to the steps and skip orders below the
    minimums."""

    symbol: str = Field(pattern=SYMBOL_PATTERN)
    min_quantity: NonNegative = Field(default=0)  # type: ignore[assignment]
    min_notional: NonNegative = Field(default=0)  # type: ignore[assignment]
    quantity_step: Quantity | None = None
    price_step: Quantity | None = None


class LogLevel(StrEnum):
    DEBUG = "debug"
    INFO = "info"
    WARNING = "warning"
    ERROR = "error"


class LogEntry(_Frozen):
    """One line of a bot's log (`GET /api/bots/{id}/logs`): decisions, plans, refusals."""

    at: UtcDatetime
    level: LogLevel
    message: str
    data: dict[str, Any] = Field(default_factory=dict)
