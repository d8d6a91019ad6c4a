"""Building blocks every message shares: the envelope `meta`, money types and the base model."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Annotated, Any, ClassVar, Self
from uuid import UUID, uuid4

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainSerializer,
)


def _no_float(value: Any) -> Any:
    # A float has already lost precision; money must arrive as a string, int or Decimal.
    if isinstance(value, float):
        raise ValueError("money and quantities must be strings or integers, not floats")
    if isinstance(value, bool):
        raise ValueError("money and quantities must be numbers")
    return value


def _finite(value: Decimal) -> Decimal:
    if not value.is_finite():
        raise ValueError("must be a finite number")
    return value


def _positive(value: Decimal) -> Decimal:
    if value <= 0:
        raise ValueError("must be greater than zero")
    return value


def _non_negative(value: Decimal) -> Decimal:
    if value < 0:
        raise ValueError("must not be negative")
    return value


def _utc(value: datetime) -> datetime:
    return value.astimezone(UTC)


_as_str = PlainSerializer(lambda d: format(d, "f"), return_type=str, when_used="always")

Money = Annotated[Decimal, BeforeValidator(_no_float), AfterValidator(_finite), _as_str]
"""A signed exact amount (PnL, balances). Serialized as a string."""
Quantity = Annotated[
    Decimal, BeforeValidator(_no_float), AfterValidator(_finite), AfterValidator(_positive), _as_str
]
"""A strictly positive exact amount (order quantity, price). Serialized as a string."""
NonNegative = Annotated[
    Decimal, BeforeValidator(_no_float), AfterValidator(_finite), AfterValidator(_non_negative), _as_str
]
"""A zero-or-positive exact amount (fees, filled quantity). Serialized as a string."""
UtcDatetime = Annotated[AwareDatetime, AfterValidator(_utc)]
"""A timezone-aware instant, normalised to UTC."""


def utcnow() -> datetime:
    return datetime.now(UTC)


class Contract(BaseModel):
    """Base of every contract model: immutable, strict about unknown fields."""

    model_config = ConfigDict(frozen=True, extra="forbid", use_enum_values=False)


class Meta(Contract):
    """The envelope every bus message carries; `event_id` doubles as the `Nats-Msg-Id` header."""

    event_id: UUID = Field(default_factory=uuid4)
    occurred_at: UtcDatetime = Field(default_factory=utcnow)
    correlation_id: UUID | None = None
    causation_id: UUID | None = None
    schema_version: int = Field(default=1, ge=1)
    producer: str = Field(min_length=1, max_length=64)


class Message(Contract):
    """A bus message: `meta` plus the payload fields of the subclass."""

    SCHEMA_VERSION: ClassVar[int] = 1
    meta: Meta

    def caused(self, message_type: type[Self] | type[Message], producer: str, **fields: Any) -> Any:
        """Build a follow-up message that keeps this one's correlation id and names it as the cause."""
        meta = Meta(
            producer=producer,
            correlation_id=self.meta.correlation_id or self.meta.event_id,
            causation_id=self.meta.event_id,
            schema_version=message_type.SCHEMA_VERSION,
        )
        return message_type(meta=meta, **fields)


def new_meta(producer: str, correlation_id: UUID | None = None) -> Meta:
    """Meta for a message that starts a new flow (or continues `correlation_id`)."""
    return Meta(producer=producer, correlation_id=correlation_id)
