"""Turn platform events into Standard Webhooks payloads `{type, timestamp, data}`."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any
from uuid import UUID, uuid5

from tradeplane.contracts.alerts import AlertRaised
from tradeplane.contracts.base import Message
from tradeplane.contracts.events import (
    FillBooked,
    HaltEngaged,
    HaltReleased,
    RiskStateChanged,
    TradeClosed,
    UserDisabled,
    VenueError,
)
from tradeplane.contracts.orders import OrderCanceled, OrderRejected


class EventType(StrEnum):
    """The event names a webhook endpoint subscribes to (the `type` of the body)."""

    TRADE_ENTRY = "trade_entry"
    TRADE_EXIT = "trade_exit"
    ORDER_REJECTED = "order_rejected"
    ORDER_CANCELLED = "order_cancelled"
    ERROR = "error"
    RISK_STATE = "risk_state"
    KILLSWITCH = "killswitch"
    USER_DISABLED = "user_disabled"
    ALERT = "alert"
    """An alert the user's notification settings send to webhooks (`GET/PUT /api/settings/notifications`)."""


class NoticeType(StrEnum):
    """Messages the platform sends on its own, whatever the endpoint subscribes to."""

    TEST = "test"
    ENDPOINT_DISABLED = "endpoint_disabled"


WebhookType = EventType | NoticeType


@dataclass(frozen=True, slots=True)
class WebhookPayload:
    """One event ready to deliver; `body()` is the exact JSON object sent."""

    type: WebhookType
    event_id: UUID
    timestamp: datetime
    data: dict[str, Any]

    def body(self) -> dict[str, Any]:
        return {"type": self.type.value, "timestamp": iso_utc(self.timestamp), "data": self.data}


# Fixed forever: changing it would change every webhook id and break receivers' deduplication.
_WEBHOOK_ID_NAMESPACE = UUID("6f1c7f0e-4d0b-5a55-9a3e-2b8f5d1c9e47")


def webhook_id(endpoint_id: UUID, event_id: UUID) -> str:
    """The `webhook-id` of one event at one endpoint: the same on every attempt and redelivery."""
    return f"msg_{uuid5(_WEBHOOK_ID_NAMESPACE, f'{endpoint_id}/{event_id}').hex}"


def iso_utc(moment: datetime) -> str:
    if moment.tzinfo is None:
        raise ValueError("timestamps must be timezone-aware")
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _pick(message: Message, names: Iterable[str]) -> dict[str, Any]:
    # JSON mode renders Decimals as strings, UUIDs as text and datetimes as ISO-8601 UTC.
    dumped = message.model_dump(mode="json")
    return {"event_id": dumped["meta"]["event_id"]} | {name: dumped[name] for name in names}


def _payload(kind: EventType, message: Message, at: datetime, data: dict[str, Any]) -> WebhookPayload:
    # Every body names a user and a symbol (docs/api.md); events about no one symbol carry null.
    data = {"symbol": None} | data
    return WebhookPayload(type=kind, event_id=message.meta.event_id, timestamp=at, data=data)


_FILL_FIELDS = (
    "user_id", "account_id", "order_id", "fill_id", "venue", "symbol", "side", "quantity", "price",
    "fee", "fee_currency", "liquidity", "filled_quantity", "order_quantity", "filled_at",
)  # fmt: skip
_TRADE_FIELDS = (
    "user_id", "account_id", "trade_id", "symbol", "side", "quantity", "entry_price", "exit_price",
    "entry_at", "exit_at", "fees", "pnl_usd", "pnl_pct", "duration_seconds",
)  # fmt: skip


def fill_booked(event: FillBooked) -> WebhookPayload | None:
    """A fill that opened (part of) a position is an entry; one that reduced it, without closing it, an exit.

    The fill that takes a position to flat is the trade's exit, sent from its TradeClosed with the
    whole trade's PnL; one that also opens the other side (a reversal) is an entry as well.
    """
    fill = event.fill
    data = _pick(fill, _FILL_FIELDS) | {
        "event_id": str(event.meta.event_id),
        "position_quantity": format(event.position_quantity, "f"),
    }
    if event.opened_quantity:
        data["quantity"] = format(event.opened_quantity, "f")
        return _payload(EventType.TRADE_ENTRY, event, fill.filled_at, data)
    if event.trade_id is not None or not event.closed_quantity:
        return None
    data |= {
        "trade_id": None,
        "partial": True,
        "pnl_usd": format(event.pnl_usd, "f"),
        "pnl_pct": format(event.pnl_pct, "f"),
    }
    return _payload(EventType.TRADE_EXIT, event, fill.filled_at, data)


def trade_exit(event: TradeClosed) -> WebhookPayload:
    data = _pick(event, _TRADE_FIELDS) | {"partial": False}
    return _payload(EventType.TRADE_EXIT, event, event.exit_at, data)


def order_rejected(event: OrderRejected, symbol: str | None = None) -> WebhookPayload:
    data = _pick(event, ("user_id", "account_id", "order_id", "code", "reason")) | {"symbol": symbol}
    return _payload(EventType.ORDER_REJECTED, event, event.meta.occurred_at, data)


def order_cancelled(event: OrderCanceled, symbol: str | None = None) -> WebhookPayload:
    data = _pick(event, ("user_id", "account_id", "order_id", "reason", "filled_quantity"))
    return _payload(EventType.ORDER_CANCELLED, event, event.meta.occurred_at, data | {"symbol": symbol})


def error(event: VenueError, symbol: str | None = None) -> WebhookPayload:
    data = _pick(event, ("user_id", "account_id", "venue", "category", "message", "order_id"))
    return _payload(EventType.ERROR, event, event.meta.occurred_at, data | {"symbol": symbol})


def risk_state(event: RiskStateChanged) -> WebhookPayload:
    data = _pick(event, ("user_id", "previous", "current", "reason_code", "reason"))
    return _payload(EventType.RISK_STATE, event, event.meta.occurred_at, data)


def killswitch(event: HaltEngaged | HaltReleased) -> WebhookPayload:
    # Not the actor: a global halt reaches every user, who need not learn which operator pulled it.
    data = _pick(event, ("user_id", "scope", "reason"))
    data["engaged"] = isinstance(event, HaltEngaged)
    return _payload(EventType.KILLSWITCH, event, event.meta.occurred_at, data)


def user_disabled(event: UserDisabled) -> WebhookPayload:
    data = _pick(event, ("user_id", "reason", "error_counts"))
    return _payload(EventType.USER_DISABLED, event, event.meta.occurred_at, data)


def alert(event: AlertRaised) -> WebhookPayload | None:
    """Only the alerts the user's notification settings route to webhooks (never platform alerts)."""
    if not event.webhook or event.user_id is None:
        return None
    data = _pick(event, ("user_id", "alert_id", "type", "category", "severity", "title", "message"))
    data |= _pick(event, ("venue", "bot_id", "metadata"))
    return _payload(EventType.ALERT, event, event.meta.occurred_at, data)


_BUILDERS: dict[type[Message], Callable[[Any], WebhookPayload | None]] = {
    FillBooked: fill_booked,
    TradeClosed: trade_exit,
    RiskStateChanged: risk_state,
    HaltEngaged: killswitch,
    HaltReleased: killswitch,
    UserDisabled: user_disabled,
    AlertRaised: alert,
}
# These events do not carry the symbol; the caller may know it from the order.
_BUILDERS_WITH_SYMBOL: dict[type[Message], Callable[[Any, str | None], WebhookPayload]] = {
    OrderRejected: order_rejected,
    OrderCanceled: order_cancelled,
    VenueError: error,
}


def to_payload(message: Message, *, symbol: str | None = None) -> WebhookPayload | None:
    """The webhook payload for a platform event, or None when no webhook event matches it."""
    if (build_with_symbol := _BUILDERS_WITH_SYMBOL.get(type(message))) is not None:
        return build_with_symbol(message, symbol)
    build = _BUILDERS.get(type(message))
    return build(message) if build is not None else None
