"""Building blocks every message shares: the envelope `meta`, money types and the base model."""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Context, Decimal
from typing import Annotated, Any, ClassVar, Self
from uuid import UUID, uuid4

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    GetCoreSchemaHandler,
    GetJsonSchemaHandler,
)
from pydantic.alias_generators import to_camel
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import CoreSchema, core_schema

INTEGER_DIGITS = 30
"""At most this many digits before the decimal point: |amount| < 10**30."""
DECIMAL_PLACES = 40
"""At most this many digits after it (finer Decimals computed in Python are rounded to it)."""

_NON_FINITE = {"nan", "snan", "inf", "infinity"}
_PLACES_STEP = Decimal(1).scaleb(-DECIMAL_PLACES)
_WIDE = Context(prec=INTEGER_DIGITS + DECIMAL_PLACES + 2)


def decimal_pattern(
    *, signed: bool = False, positive: bool = False, integer_digits: int = INTEGER_DIGITS
) -> str:
    """The JSON Schema `pattern` of a bounded decimal string: plain notation, no exponent."""
    sign = "-?" if signed else ""
    nonzero = "(?![0.]+$)" if positive else ""
    return f"^{sign}{nonzero}[0-9]{{1,{integer_digits}}}(\\.[0-9]{{1,{DECIMAL_PLACES}}})?$"


def decimal_or_none(value: Any) -> Decimal | None:
    """A number a venue or library reported (string, int, float, Decimal), as a Decimal; None when it
    is missing, a bool, not a number or not finite. For reading others' data, never for our inputs."""
    if value is None or isinstance(value, bool):
        return None
    try:
        number = Decimal(str(value))
    except ArithmeticError:
        return None
    return number if number.is_finite() else None


def _as_text(value: Any) -> str:
    """The plain-notation text of `value`, refusing floats and anything unbounded before any arithmetic."""
    if isinstance(value, bool):
        raise ValueError("money and quantities must be numbers")
    if isinstance(value, float):
        # A float has already lost precision; money must arrive as a string, int or Decimal.
        raise ValueError("money and quantities must be strings or integers, not floats")
    if isinstance(value, str):
        if value.strip().lstrip("+-").lower() in _NON_FINITE:
            raise ValueError("must be a finite number")
        if len(value) > INTEGER_DIGITS + DECIMAL_PLACES + 2:
            raise ValueError(f"must have at most {INTEGER_DIGITS + DECIMAL_PLACES} digits")
        return value
    if isinstance(value, int):
        if value.bit_length() > 4 * INTEGER_DIGITS:
            raise ValueError(f"must have at most {INTEGER_DIGITS} digits before the decimal point")
        return str(value)
    if isinstance(value, Decimal):
        return format(_bounded(value), "f")
    raise ValueError('must be a decimal number written as a string, e.g. "12.5"')


def _bounded(value: Decimal) -> Decimal:
    # Only cheap inspections until the exponent is known to be small: formatting or quantizing
    # Decimal("1e100000000") allocates 100 MB.
    if not value.is_finite():
        raise ValueError("must be a finite number")
    if value.is_zero():
        return Decimal(0)
    if value.adjusted() >= INTEGER_DIGITS:
        raise ValueError(f"must have at most {INTEGER_DIGITS} digits before the decimal point")
    exponent = value.as_tuple().exponent
    if isinstance(exponent, int) and exponent < -DECIMAL_PLACES:
        value = value.quantize(_PLACES_STEP, context=_WIDE)
    return value


@dataclass(frozen=True, slots=True)
class BoundedDecimal:
    """Annotated metadata: a Decimal bounded in digits and exponent, checked before any arithmetic.

    Accepts plain-notation strings, integers and Decimals, never floats, NaN or Infinity, and
    serializes as a string. Its JSON Schema is the string pattern it enforces, so the OpenAPI
    document tells clients the exact rule.
    """

    signed: bool = False
    positive: bool = False
    integer_digits: int = INTEGER_DIGITS

    @property
    def pattern(self) -> str:
        return decimal_pattern(signed=self.signed, positive=self.positive, integer_digits=self.integer_digits)

    def validate(self, value: Any) -> Decimal:
        text = _as_text(value)
        if not _shape(self.integer_digits).fullmatch(text):
            raise ValueError(
                f'must be a decimal string like "12.5" (no exponent), with at most '
                f"{self.integer_digits} digits before the decimal point and {DECIMAL_PLACES} after it"
            )
        number = Decimal(text)
        if number.is_zero():
            number = abs(number)  # "-0" is zero, and serializes as "0"
        if self.positive and number <= 0:
            raise ValueError("must be greater than zero")
        if not self.signed and number < 0:
            raise ValueError("must not be negative")
        return number

    def __get_pydantic_core_schema__(self, source: Any, handler: GetCoreSchemaHandler) -> CoreSchema:
        return core_schema.no_info_before_validator_function(
            self.validate,
            handler(source),
            serialization=core_schema.plain_serializer_function_ser_schema(
                _plain, return_schema=core_schema.str_schema(), when_used="always"
            ),
        )

    def __get_pydantic_json_schema__(
        self, schema: CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        return {"type": "string", "pattern": self.pattern}


@functools.cache
def _shape(integer_digits: int) -> re.Pattern[str]:
    return re.compile(decimal_pattern(signed=True, integer_digits=integer_digits))


def _plain(value: Decimal) -> str:
    return format(value, "f")


def _utc(value: datetime) -> datetime:
    return value.astimezone(UTC)


Money = Annotated[Decimal, BoundedDecimal(signed=True)]
"""A signed exact amount (PnL, balances). Serialized as a string."""
Quantity = Annotated[Decimal, BoundedDecimal(positive=True)]
"""A strictly positive exact amount (order quantity, price). Serialized as a string."""
NonNegative = Annotated[Decimal, BoundedDecimal()]
"""A zero-or-positive exact amount (fees, filled quantity). Serialized as a string."""
UtcDatetime = Annotated[AwareDatetime, AfterValidator(_utc)]
"""A timezone-aware instant, normalised to UTC."""


def utcnow() -> datetime:
    return datetime.now(UTC)


class CamelModel(BaseModel):
    """Base of API-facing models: immutable, unknown fields refused, camelCase in JSON and snake_case
    also accepted. A subclass's own `model_config` adds to this one."""

    model_config = ConfigDict(
        frozen=True,
        extra="forbid",
        alias_generator=to_camel,
        validate_by_name=True,
        validate_by_alias=True,
    )


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
