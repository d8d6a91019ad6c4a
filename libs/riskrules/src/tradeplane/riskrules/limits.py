"""A user's risk profile: the caps every order is checked against, validated at the edge."""

from __future__ import annotations

import re
from datetime import time
from decimal import Decimal
from typing import Annotated, Any, Self

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainSerializer,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic.alias_generators import to_snake
from pydantic_core import InitErrorDetails, PydanticCustomError
from tradeplane.contracts import Quantity
from tradeplane.contracts.base import CamelModel
from tradeplane.contracts.orders import SYMBOL_PATTERN

_HHMM = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")
_SYMBOL = re.compile(SYMBOL_PATTERN)
_HUNDRED = Decimal(100)


def _no_bool(value: Any) -> Any:
    # bool is an int subclass; `true` would otherwise read as 1%.
    if isinstance(value, bool):
        raise ValueError("must be a number")
    return value


def _parse_hhmm(value: Any) -> Any:
    if isinstance(value, time):
        return value
    if not isinstance(value, str) or not _HHMM.match(value):
        raise ValueError("must be a time of day written HH:MM (00:00 to 23:59)")
    hours, minutes = value.split(":")
    return time(int(hours), int(minutes))


Percent = Annotated[
    Decimal,
    BeforeValidator(_no_bool),
    PlainSerializer(lambda d: format(d, "f"), return_type=str, when_used="always"),
]
"""A percentage written as percent numbers: 5 means 5%. Floats are fine here; money is not."""

Count = Annotated[int, Field(strict=True)]
ClockTime = Annotated[
    time,
    BeforeValidator(_parse_hhmm),
    PlainSerializer(lambda t: t.strftime("%H:%M"), return_type=str, when_used="always"),
]


class TradingHours(BaseModel):
    """A daily window in the user's timezone; `end` before `start` means it spans midnight."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    start: ClockTime
    end: ClockTime

    @model_validator(mode="after")
    def _not_empty(self) -> Self:
        if self.start == self.end:
            raise ValueError("tradingHours start and end must differ")
        return self

    def contains(self, local: time) -> bool:
        """Whether the local wall-clock time `local` is inside the window (start inclusive)."""
        at = local.replace(second=0, microsecond=0, tzinfo=None)
        if self.start < self.end:
            return self.start <= at < self.end
        return at >= self.start or at < self.end

    def __str__(self) -> str:
        return f"{self.start:%H:%M}-{self.end:%H:%M}"


class RiskLimits(CamelModel):
    """Per-user caps (seeds/000 §4). Percent fields are percent numbers; money is in USD.

    The ranges here bound every limit, an admin's included; the platform ceilings (`ceilings.py`)
    bound how far traders may loosen their own.
    """

    model_config = ConfigDict(serialize_by_alias=True, validate_default=True)

    max_position_pct: Percent = Field(default=Decimal(5), ge=2, le=100)
    max_order_notional: Quantity = Decimal(10_000)
    max_daily_loss_usd: Quantity = Decimal(100)
    max_daily_loss_pct: Percent = Field(default=Decimal(5), gt=0, le=100)
    max_weekly_loss_usd: Quantity = Decimal(500)
    max_drawdown_pct: Percent = Field(default=Decimal(15), ge=1, le=100)
    max_daily_trades: Count = Field(default=20, ge=1, le=10_000)
    circuit_breaker_daily_loss_pct: Percent = Field(default=Decimal(3), gt=0, le=100)
    max_orders_per_minute: Count = Field(default=60, ge=1, le=10_000)
    allowed_symbols: tuple[str, ...] | None = None
    trading_hours: TradingHours | None = None

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        problems = self._inconsistencies()
        if problems:
            # A ValidationError (not a ValueError) keeps the offending field in `loc` for the 422 details.
            raise ValidationError.from_exception_data(
                type(self).__name__,
                [
                    InitErrorDetails(
                        type=PydanticCustomError("inconsistent_limits", message),
                        loc=(field,),
                        input=format(getattr(self, to_snake(field)), "f"),
                    )
                    for field, message in problems
                ],
            )
        return self

    def _inconsistencies(self) -> list[tuple[str, str]]:
        """(camelCase field, message) for each pair of limits that contradict each other."""
        problems = []
        if self.max_weekly_loss_usd < self.max_daily_loss_usd:
            problems.append(
                (
                    "maxWeeklyLossUsd",
                    f"maxWeeklyLossUsd ({self.max_weekly_loss_usd}) must be at least "
                    f"maxDailyLossUsd ({self.max_daily_loss_usd})",
                )
            )
        if self.circuit_breaker_daily_loss_pct > self.max_daily_loss_pct:
            problems.append(
                (
                    "circuitBreakerDailyLossPct",
                    f"circuitBreakerDailyLossPct ({self.circuit_breaker_daily_loss_pct}) must not exceed "
                    f"maxDailyLossPct ({self.max_daily_loss_pct})",
                )
            )
        return problems

    @field_validator("allowed_symbols")
    @classmethod
    def _symbols_well_formed(cls, value: tuple[str, ...] | None) -> tuple[str, ...] | None:
        if value is None:
            return None
        if not value:
            raise ValueError("allowedSymbols must list at least one symbol (null allows every symbol)")
        bad = [symbol for symbol in value if not _SYMBOL.match(symbol)]
        if bad:
            raise ValueError(f"allowedSymbols entries must look like BTC/USDT, got {bad[:3]}")
        return tuple(dict.fromkeys(value))

    def allows_symbol(self, symbol: str) -> bool:
        return self.allowed_symbols is None or symbol in self.allowed_symbols

    def daily_loss_cap(self, day_start_equity: Decimal | None) -> Decimal:
        """The daily loss in USD that stops trading: the USD cap or the percent cap, whichever is lower."""
        if day_start_equity is None or day_start_equity <= 0:
            return self.max_daily_loss_usd
        return min(self.max_daily_loss_usd, day_start_equity * self.max_daily_loss_pct / _HUNDRED)

    def circuit_breaker_loss(self, day_start_equity: Decimal | None) -> Decimal | None:
        """The daily loss in USD that trips the circuit breaker; None while equity is unknown."""
        if day_start_equity is None or day_start_equity <= 0:
            return None
        return day_start_equity * self.circuit_breaker_daily_loss_pct / _HUNDRED

    def max_position_notional(self, equity: Decimal) -> Decimal:
        """The largest position, in USD, this equity allows in one symbol."""
        return max(equity, Decimal(0)) * self.max_position_pct / _HUNDRED
