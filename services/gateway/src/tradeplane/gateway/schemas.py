"""Request and response bodies of the public API (camelCase JSON), separate from the tables.

Request bodies refuse unknown fields; amounts are Decimal and refuse JSON floats (send strings).
"""

from __future__ import annotations

import re
from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any, ClassVar, Generic, Literal, Self, TypeVar
from uuid import UUID
from zoneinfo import ZoneInfo, available_timezones

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    PlainSerializer,
    StringConstraints,
    ValidationError,
    WithJsonSchema,
    model_validator,
)
from pydantic.alias_generators import to_camel
from pydantic_core import InitErrorDetails, PydanticCustomError
from tradeplane.contracts import (
    HaltScope,
    NonNegative,
    OrderStatus,
    OrderType,
    Quantity,
    RejectCode,
    Role,
    Side,
)
from tradeplane.contracts.base import DECIMAL_PLACES, BoundedDecimal, CamelModel
from tradeplane.contracts.orders import SYMBOL_PATTERN

T = TypeVar("T")

_EMAIL = re.compile(
    r"^[^@\s\x00-\x1f\x7f]{1,64}@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
    r"(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+$"
)
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def _email(value: str) -> str:
    # Deliberately loose: operators use internal domains (`admin@tradeplane.local`) that strict
    # validators refuse as special-use names.
    value = value.strip().lower()
    if len(value) > 254 or not _EMAIL.match(value):
        raise ValueError("not a valid email address")
    return value


def _plain_text(value: str) -> str:
    if _CONTROL.search(value):
        raise ValueError("must not contain control characters")
    return value.strip()


def _timezone(value: str) -> str:
    try:
        ZoneInfo(value)
    except (ValueError, KeyError, OSError):
        raise ValueError("not a known IANA timezone (e.g. Europe/Paris)") from None
    return value


def _decimal_text(value: Decimal) -> str:
    return format(value.normalize(), "f") if value else "0"


_PRINTABLE = r"[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f]"
Email = Annotated[
    str,
    StringConstraints(max_length=320),
    AfterValidator(_email),
    WithJsonSchema({"type": "string", "maxLength": 254, "pattern": _EMAIL.pattern}),
]
Text = Annotated[
    str, StringConstraints(max_length=200, pattern=f"^{_PRINTABLE}*$"), AfterValidator(_plain_text)
]
Reason = Annotated[
    str,
    StringConstraints(
        min_length=1, max_length=500, pattern=rf"^{_PRINTABLE}*[^\s\x00-\x1f\x7f]{_PRINTABLE}*$"
    ),
    AfterValidator(_plain_text),
]
"""Free text that is not blank once trimmed."""
Timezone = Annotated[
    str,
    StringConstraints(min_length=1, max_length=64),
    AfterValidator(_timezone),
    WithJsonSchema({"type": "string", "enum": sorted(available_timezones())}),
]
Key = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_\-:.]{1,64}$")]
"""A client order id or an Idempotency-Key."""
Symbol = Annotated[str, StringConstraints(pattern=SYMBOL_PATTERN)]
OrderAmount = Annotated[Decimal, BoundedDecimal(positive=True, integer_digits=15)]
"""A quantity or price of an order: positive, below 10**15."""
Currency = Annotated[str, StringConstraints(pattern=r"^[A-Z0-9]{1,16}$")]
DecimalOut = Annotated[Decimal, PlainSerializer(_decimal_text, return_type=str)]


class _Percent(BoundedDecimal):
    """A percentage above 0 and at most 100 (percent numbers: 5 means 5%)."""

    @property
    def pattern(self) -> str:
        places = f"(\\.[0-9]{{1,{DECIMAL_PLACES}}})?"
        return f"^(?![0.]+$)(100(\\.0{{1,{DECIMAL_PLACES}}})?|[0-9]{{1,2}}{places})$"

    def validate(self, value: Any) -> Decimal:
        number = super().validate(value)
        if number > 100:
            raise ValueError("must be a percentage of at most 100")
        return number


Percent = Annotated[Decimal, _Percent(positive=True, integer_digits=3)]
HHMM = Annotated[str, StringConstraints(pattern=r"^([01][0-9]|2[0-3]):[0-5][0-9]$")]


def field_error(model: str, field: str, message: str) -> ValidationError:
    """A validation error located at `field`, so the 422 names the offending field."""
    return ValidationError.from_exception_data(
        model, [InitErrorDetails(type=PydanticCustomError("invalid", message), loc=(field,), input=None)]
    )


class Body(CamelModel):
    """A request body: camelCase (snake_case also accepted), unknown fields refused."""

    NULL_MEANS: ClassVar[frozenset[str]] = frozenset()
    """Fields (camelCase) where an explicit null means something; elsewhere null is as if left out."""

    def params(self) -> dict[str, Any]:
        """The fields the caller set, as camelCase JSON for a query to the owning service."""
        dumped = self.model_dump(mode="json", by_alias=True, exclude_unset=True)
        return {k: v for k, v in dumped.items() if v is not None or k in self.NULL_MEANS}


class Out(BaseModel):
    model_config = ConfigDict(alias_generator=to_camel, serialize_by_alias=True, validate_by_name=True)


# Auth


Language = Annotated[str, StringConstraints(pattern=r"^[A-Za-z]{2,3}([_-][A-Za-z0-9]{2,8})?$")]
Password = Annotated[str, StringConstraints(min_length=1, max_length=1024)]


OneTimeCode = Annotated[str, StringConstraints(min_length=1, max_length=32, strip_whitespace=True)]
"""A 6-digit TOTP code, or a recovery code (`k7m2p-q9xw4`)."""


class RegisterRequest(Body):
    email: Email
    password: Password
    name: Text = ""
    timezone: Timezone = "UTC"
    language: Language = "en"
    invite_code: Annotated[str, StringConstraints(min_length=1, max_length=64)] | None = None
    """Required when registration is invite-only (TP_REGISTRATION=invite)."""


class ProfileUpdate(Body):
    name: Text | None = None
    timezone: Timezone | None = None
    language: Language | None = None


class PasswordChange(Body):
    current_password: Password
    new_password: Password


class LoginRequest(Body):
    model_config = ConfigDict(
        json_schema_extra={
            "anyOf": [
                {"required": [name], "properties": {name: {"type": "string"}}}
                for name in ("email", "username")
            ]
        }
    )

    email: Annotated[str, StringConstraints(min_length=1, max_length=320)] | None = None
    username: Annotated[str, StringConstraints(min_length=1, max_length=320)] | None = None
    password: Password
    otp: OneTimeCode | None = None
    """With 2FA on: the authenticator's current code, or one of the recovery codes."""

    @model_validator(mode="after")
    def _one_login(self) -> Self:
        if not (self.email or self.username):
            raise field_error("LoginRequest", "email", "email (or username) is required")
        return self

    @property
    def login(self) -> str:
        return (self.email or self.username or "").strip().lower()


class RefreshRequest(Body):
    refresh_token: str = Field(min_length=1, max_length=200)


class LogoutRequest(Body):
    refresh_token: str | None = Field(default=None, min_length=1, max_length=200)


class UserOut(Out):
    id: UUID
    email: str
    name: str
    role: Role
    timezone: str
    language: str
    two_factor_enabled: bool
    created_at: datetime
    last_login: datetime | None


class TokenPair(BaseModel):
    """The login and refresh answer; snake_case like OAuth 2 token responses."""

    access_token: str
    refresh_token: str
    token_type: Literal["bearer"] = "bearer"
    expires_in: int
    user: UserOut


class SessionOut(Out):
    user: UserOut
    session_id: UUID
    expires_at: datetime


class UserCreated(Out):
    user: UserOut


class RoleUpdate(Body):
    role: Role


class TwoFactorCode(Body):
    code: OneTimeCode


class TwoFactorSetup(Out):
    secret: str
    otpauth_url: str


class RecoveryCodes(Out):
    recovery_codes: list[str]


PerMinute = Annotated[int, Field(ge=1, le=1_000_000)]


class RateLimitsUpdate(Body):
    """One user's limits (requests a minute); a field left out or null goes back to the default."""

    requests_per_minute: PerMinute | None = None
    trading_per_minute: PerMinute | None = None
    market_per_minute: PerMinute | None = None


class InviteCreate(Body):
    email: Email | None = None
    """Only this address may use the invite (any address when left out)."""
    expires_in_days: int = Field(default=7, ge=1, le=90)


# Orders


def _prices_by_type() -> dict[str, Any]:
    """Which of price and stopPrice each order type needs (a string) or refuses (absent or null)."""
    needs = {
        OrderType.MARKET: (False, False),
        OrderType.LIMIT: (True, False),
        OrderType.STOP: (False, True),
        OrderType.STOP_LIMIT: (True, True),
    }

    def branch(kind: OrderType, price: bool, stop: bool) -> dict[str, Any]:
        fields = {"price": price, "stopPrice": stop}
        return {
            "properties": {"type": {"const": kind.value}}
            | {name: {"type": "string" if needed else "null"} for name, needed in fields.items()},
            "required": [name for name, needed in fields.items() if needed],
        }

    return {"oneOf": [branch(kind, *fields) for kind, fields in needs.items()]}


class PlaceOrder(Body):
    model_config = ConfigDict(json_schema_extra=_prices_by_type())

    venue_id: UUID
    symbol: Symbol
    side: Side
    type: OrderType
    quantity: OrderAmount
    price: OrderAmount | None = None
    stop_price: OrderAmount | None = None
    client_order_id: Key | None = None

    @model_validator(mode="after")
    def _prices_fit_type(self) -> Self:
        needs_price = self.type in (OrderType.LIMIT, OrderType.STOP_LIMIT)
        needs_stop = self.type in (OrderType.STOP, OrderType.STOP_LIMIT)
        if needs_price and self.price is None:
            raise field_error("PlaceOrder", "price", f"{self.type} orders need a price")
        if not needs_price and self.price is not None:
            raise field_error("PlaceOrder", "price", f"{self.type} orders take no price")
        if needs_stop and self.stop_price is None:
            raise field_error("PlaceOrder", "stopPrice", f"{self.type} orders need a stopPrice")
        if not needs_stop and self.stop_price is not None:
            raise field_error("PlaceOrder", "stopPrice", f"{self.type} orders take no stopPrice")
        return self


class OrderOut(Out):
    id: UUID
    venue_id: UUID
    venue: str
    symbol: str
    side: Side
    type: OrderType
    status: OrderStatus
    quantity: DecimalOut
    price: DecimalOut | None
    stop_price: DecimalOut | None
    client_order_id: str
    filled_quantity: DecimalOut
    average_price: DecimalOut | None
    fee: DecimalOut
    created_at: datetime
    updated_at: datetime
    executed_at: datetime | None
    error: str | None
    reject_reason: str | None
    reject_code: RejectCode | None
    """Why a Rejected order was refused (by risk, or by its venue); `rejectReason`/`error` say it in words."""
    bot_id: UUID | None
    """The bot that placed the order; null for an order placed by hand."""


class OrderAccepted(Out):
    order: OrderOut


# Proxied resources


class ConnectVenue(Body):
    venue: Annotated[str, StringConstraints(pattern=r"^[a-z0-9_]{1,32}$")]
    label: Text | None = None
    api_key: Annotated[str, StringConstraints(min_length=1, max_length=512)] | None = None
    secret: Annotated[str, StringConstraints(min_length=1, max_length=2048)] | None = None
    password: Annotated[str, StringConstraints(min_length=1, max_length=512)] | None = None
    sandbox: bool | None = None
    initial_balances: dict[Currency, NonNegative] | None = Field(default=None, max_length=50)


class TradingWindow(Body):
    """Daily trading hours in the user's timezone; `end` before `start` spans midnight."""

    start: HHMM
    end: HHMM


class RiskCeilings(Body):
    """The numeric risk limits; as platform ceilings, the loosest a trader may set themselves."""

    max_position_pct: Percent | None = None
    max_order_notional: Quantity | None = None
    max_daily_loss_usd: Quantity | None = None
    max_daily_loss_pct: Percent | None = None
    max_weekly_loss_usd: Quantity | None = None
    max_drawdown_pct: Percent | None = None
    max_daily_trades: int | None = Field(default=None, strict=True, ge=1, le=10_000)
    circuit_breaker_daily_loss_pct: Percent | None = None
    max_orders_per_minute: int | None = Field(default=None, strict=True, ge=1, le=10_000)


class TradingLimits(RiskCeilings):
    """Risk limits; the risk service refuses values beyond the platform's ceilings (422)."""

    NULL_MEANS = frozenset({"allowedSymbols", "tradingHours"})
    """null allows every symbol, at any time of day."""

    allowed_symbols: list[Symbol] | None = Field(default=None, min_length=1, max_length=500)
    trading_hours: TradingWindow | None = None


class KillSwitchCommand(Body):
    scope: HaltScope
    user_id: UUID | None = None
    reason: Reason


WebhookEvent = Literal[
    "trade_entry",
    "trade_exit",
    "order_rejected",
    "order_cancelled",
    "error",
    "risk_state",
    "killswitch",
    "user_disabled",
    "alert",
]
"""The event types the notifier delivers (it checks them too)."""
WebhookUrl = Annotated[str, StringConstraints(min_length=1, max_length=2048), AfterValidator(_plain_text)]


class WebhookCreate(Body):
    url: WebhookUrl
    events: list[WebhookEvent] = Field(min_length=1, max_length=32)
    enabled: bool = True


class WebhookUpdate(Body):
    url: WebhookUrl | None = None
    events: list[WebhookEvent] | None = Field(default=None, min_length=1, max_length=32)
    enabled: bool | None = None


# Envelopes, for the OpenAPI document


class Pagination(BaseModel):
    page: int
    pageSize: int
    totalPages: int
    totalItems: int


class Ok(BaseModel, Generic[T]):
    success: Literal[True] = True
    data: T
    timestamp: datetime


class Page(BaseModel, Generic[T]):
    success: Literal[True] = True
    data: list[T]
    pagination: Pagination
    timestamp: datetime


class ErrorDetail(BaseModel):
    code: str
    message: str
    details: dict[str, Any] = Field(default_factory=dict)


class ErrorBody(BaseModel):
    success: Literal[False] = False
    error: ErrorDetail
    timestamp: datetime


ERRORS: dict[int | str, dict[str, Any]] = {
    status: {"model": ErrorBody} for status in (400, 401, 403, 404, 409, 422, 429, 503)
}
