"""`tradeplane tail`: the platform's events as they happen, one compact line each, from core NATS.

Every JetStream-stored event is also an ordinary NATS message, so a plain subscription to `tp.>`
sees them all without creating a consumer (nothing is left behind on the server). Heartbeats,
health pings, queries and market ticks are skipped unless asked for by type or with `--all`.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

import nats
from nats.aio.client import Client as NATS

SUBJECT = "tp.>"
NOISE = frozenset({"heartbeat", "health", "query", "market"})
KEY_FIELDS = (
    "symbol",
    "side",
    "type",
    "quantity",
    "price",
    "filled_quantity",
    "fee",
    "fee_currency",
    "code",
    "category",
    "reason",
    "message",
    "scope",
    "executor",
    "cancelled_orders",
    "realized_pnl",
    "unrealized_pnl",
    "equity",
    "pnl_usd",
    "previous",
    "current",
    "action",
    "actor",
    "target",
    "consumer",
    "original_subject",
)
MAX_TEXT = 80
Event = Mapping[str, Any]


def tokens(subject: str) -> list[str]:
    """The subject's tokens after the `tp` prefix."""
    parts = subject.split(".")
    return parts[1:] if parts[:1] == ["tp"] else parts


def _is_uuid(text: str) -> bool:
    try:
        UUID(text)
    except ValueError:
        return False
    return True


def event_type(subject: str) -> str:
    """`tp.order.filled.3.<user>` → `order.filled`: the subject without its partition and user."""
    parts = tokens(subject)
    if parts and _is_uuid(parts[-1]):
        parts = parts[:-1]
        if parts and parts[-1].isdigit():
            parts = parts[:-1]
    return ".".join(parts)


def decode(data: bytes) -> Event | None:
    try:
        event = json.loads(data)
    except (UnicodeDecodeError, ValueError):
        return None
    return event if isinstance(event, dict) else None


@dataclass(frozen=True)
class TailFilter:
    """Which events to show: those of one user and/or whose type starts with one of `types`."""

    user: UUID | None = None
    types: tuple[str, ...] = ()
    everything: bool = False

    def accepts(self, subject: str, event: Event | None) -> bool:
        parts = tokens(subject)
        if self.types:
            if not any(_starts_with(parts, wanted) for wanted in self.types):
                return False
        elif not self.everything and parts[:1] and parts[0] in NOISE:
            return False
        return self.user is None or _mentions(self.user, parts, event)


def _starts_with(parts: list[str], wanted: str) -> bool:
    """Whole tokens only: `order.fill` does not match `order.filled`."""
    prefix = tokens(wanted) if wanted.startswith("tp.") else wanted.split(".")
    return parts[: len(prefix)] == prefix


def _mentions(user: UUID, parts: list[str], event: Event | None) -> bool:
    if str(user) in parts:
        return True
    return event is not None and str(event.get("user_id")) == str(user)


def format_line(subject: str, event: Event | None, size: int, received: datetime) -> str:
    """`12:00:01.250  order.filled  user=1b2c3d4e  order=5f6a7b8c  symbol=BTC/USDT ...`"""
    when = _occurred_at(event) or received
    parts = [when.astimezone(UTC).strftime("%H:%M:%S.%f")[:-3], event_type(subject)]
    user = (event or {}).get("user_id") or next((t for t in tokens(subject) if _is_uuid(t)), None)
    if user:
        parts.append(f"user={str(user)[:8]}")
    if event is None:
        return "  ".join([*parts, f"<{size} bytes, not JSON>"])
    if event.get("order_id"):
        parts.append(f"order={str(event['order_id'])[:8]}")
    parts += [f"{key}={_value(event[key])}" for key in KEY_FIELDS if event.get(key) not in (None, "", {})]
    return "  ".join(parts)


def _occurred_at(event: Event | None) -> datetime | None:
    meta = (event or {}).get("meta")
    raw = meta.get("occurred_at") if isinstance(meta, dict) else None
    try:
        when = datetime.fromisoformat(raw) if isinstance(raw, str) else None
    except ValueError:
        return None
    return when if when is not None and when.tzinfo is not None else None


def _value(value: Any) -> str:
    text = value if isinstance(value, str) else json.dumps(value, separators=(",", ":"))
    if len(text) > MAX_TEXT:
        text = text[: MAX_TEXT - 1] + "…"
    return json.dumps(text, ensure_ascii=False) if any(c.isspace() for c in text) else text


async def tail(
    url: str,
    accept: TailFilter,
    write: Callable[[str], None],
    *,
    subscribed: asyncio.Event | None = None,
    credentials: tuple[str, str] | None = None,
) -> None:
    """Print matching events until cancelled (Ctrl-C); the connection is closed on the way out."""
    client = await _connect(url, credentials)
    try:
        subscription = await client.subscribe(SUBJECT)
        await client.flush()
        if subscribed is not None:
            subscribed.set()
        async for msg in subscription.messages:
            event = decode(msg.data)
            if accept.accepts(msg.subject, event):
                write(format_line(msg.subject, event, len(msg.data), datetime.now(UTC)))
    finally:
        await client.close()


async def _connect(url: str, credentials: tuple[str, str] | None) -> NATS:
    """Fail fast when NATS is not there at all; once connected, ride out server restarts."""
    user, password = credentials or (None, None)

    async def quiet(error: Exception) -> None:
        return None

    client = await nats.connect(
        url,
        name="tradeplane-tail",
        user=user,
        password=password,
        connect_timeout=3,
        max_reconnect_attempts=2,
        reconnect_time_wait=0.5,
        error_cb=quiet,
    )
    client.options["max_reconnect_attempts"] = -1
    return client
