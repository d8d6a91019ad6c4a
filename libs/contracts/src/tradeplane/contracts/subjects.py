"""Every subject the platform uses, built here so that no service spells one by hand.

Per-user subjects end in `<partition>.<user_id>`: executors subscribe to their partitions with
`tp.order.approved.<partition>.*`, and analysts can filter by user with a trailing wildcard.
"""

from __future__ import annotations

import hashlib
from typing import Protocol
from uuid import UUID

PREFIX = "tp"


def partition_of(user_id: UUID, partitions: int) -> int:
    """The partition a user belongs to: stable across processes and Python versions."""
    if partitions < 1:
        raise ValueError("partitions must be at least 1")
    digest = hashlib.blake2b(user_id.bytes, digest_size=8).digest()
    return int.from_bytes(digest, "big") % partitions


class PartitionSubject(Protocol):
    def __call__(self, partition: int, user_id: UUID) -> str: ...


class UserSubject(Protocol):
    def __call__(self, user_id: UUID) -> str: ...


def _per_partition(kind: str) -> PartitionSubject:
    """The builder of `tp.<kind>.<partition>.<user_id>` (an executor's partition, then the user)."""

    def subject(partition: int, user_id: UUID) -> str:
        return f"{PREFIX}.{kind}.{partition}.{user_id}"

    return subject


def _per_user(kind: str) -> UserSubject:
    """The builder of `tp.<kind>.<user_id>`."""

    def subject(user_id: UUID) -> str:
        return f"{PREFIX}.{kind}.{user_id}"

    return subject


order_requested = _per_partition("order.requested")
order_approved = _per_partition("order.approved")
order_rejected = _per_partition("order.rejected")
order_accepted = _per_partition("order.accepted")
order_filled = _per_partition("order.filled")
order_canceled = _per_partition("order.canceled")
order_failed = _per_partition("order.failed")
order_cancel = _per_partition("order.cancel")
"""Command subject: cancel one order (consumed by the partition's executor)."""
venue_error = _per_partition("venue.error")
venue_ok = _per_partition("venue.ok")


def halt_engaged(user_id: UUID | None = None) -> str:
    return f"{PREFIX}.halt.engaged.{'global' if user_id is None else f'user.{user_id}'}"


def halt_released(user_id: UUID | None = None) -> str:
    return f"{PREFIX}.halt.released.{'global' if user_id is None else f'user.{user_id}'}"


def halt_ack(executor: str) -> str:
    return f"{PREFIX}.halt.ack.{executor}"


def heartbeat(service: str) -> str:
    """Core NATS (not stored): a service says it is alive."""
    return f"{PREFIX}.heartbeat.{service}"


def ticker(venue: str, symbol: str) -> str:
    return f"{PREFIX}.market.ticker.{venue}.{symbol_token(symbol)}"


def candle(venue: str, symbol: str, timeframe: str) -> str:
    """A closed candle: `tp.market.candle.<venue>.<BTC-USDT>.<1m>`."""
    return f"{PREFIX}.market.candle.{venue}.{symbol_token(symbol)}.{timeframe}"


position_changed = _per_user("position.changed")
trade_closed = _per_user("trade.closed")
fill_booked = _per_user("trade.booked")
pnl_updated = _per_user("pnl.updated")
bot_status = _per_user("bot.status")
"""A bot of `user_id` changed status (`BotStatusChanged`)."""
bot_log = _per_user("bot.log")
"""A bot of `user_id` logged a line (`BotLogged`)."""
risk_state = _per_user("risk.state")


def alert_raised(user_id: UUID | None) -> str:
    """An alert for `user_id` (`AlertRaised`), or for the platform's admins when None."""
    return f"{PREFIX}.risk.alert.{'platform' if user_id is None else user_id}"


user_disabled = _per_user("user.disabled")
user_enabled = _per_user("user.enabled")


def audit(service: str, action: str) -> str:
    """An audit entry `service` records (`tp.audit.<service>.<action>`): each service may publish only
    under its own name (permissions), so the subject says who vouches for the entry."""
    return f"{PREFIX}.audit.{token(service)}.{token(action)}"


def audit_of(service: str) -> str:
    """Every audit entry of one service."""
    return f"{PREFIX}.audit.{token(service)}.>"


def dead_letter(consumer: str, original_subject: str) -> str:
    return f"{PREFIX}.dlq.{token(consumer)}.{original_subject}"


def query(service: str, name: str) -> str:
    """Core NATS request/reply subject for a read served by `service` (any replica)."""
    return f"{PREFIX}.query.{service}.{name}"


def health(service: str) -> str:
    return f"{PREFIX}.health.{service}"


SESSIONS_REVOKED = f"{PREFIX}.gateway.sessions.revoked"
"""Core NATS (no stream): the gateway tells its other workers to drop cached session checks of a user
(`{userId}`) or of one session (`{userId, sessionId}`)."""


def symbol_token(symbol: str) -> str:
    """`BTC/USDT` → `BTC-USDT`: a subject token may not contain `/` or `.`."""
    return symbol.replace("/", "-").replace(".", "_")


def token(text: str) -> str:
    return "".join(c if c.isalnum() or c in "-_" else "_" for c in text) or "_"


# Wildcards for subscribers.
ALL_ORDER_REQUESTED = f"{PREFIX}.order.requested.>"
ALL_ORDER_EVENTS = f"{PREFIX}.order.>"
ALL_HALTS = f"{PREFIX}.halt.>"
ALL_HALT_CHANGES = f"{PREFIX}.halt.*.>"
ALL_HALT_ACKS = f"{PREFIX}.halt.ack.*"
ALL_FILLS = f"{PREFIX}.order.filled.>"
ALL_ORDER_ACCEPTED = f"{PREFIX}.order.accepted.>"
ALL_ORDER_CANCELED = f"{PREFIX}.order.canceled.>"
ALL_ORDER_REJECTED = f"{PREFIX}.order.rejected.>"
ALL_ORDER_FAILED = f"{PREFIX}.order.failed.>"
ALL_HALTS_ENGAGED = f"{PREFIX}.halt.engaged.>"
ALL_HALTS_RELEASED = f"{PREFIX}.halt.released.>"
ALL_TICKERS = f"{PREFIX}.market.ticker.>"
ALL_CANDLES = f"{PREFIX}.market.candle.>"
ALL_VENUE = f"{PREFIX}.venue.>"
ALL_VENUE_ERRORS = f"{PREFIX}.venue.error.>"
ALL_VENUE_OK = f"{PREFIX}.venue.ok.>"
ALL_FILLS_BOOKED = f"{PREFIX}.trade.booked.>"
ALL_PNL_UPDATED = f"{PREFIX}.pnl.updated.*"
ALL_USER = f"{PREFIX}.user.>"
ALL_USER_DISABLED = f"{PREFIX}.user.disabled.>"
ALL_USER_ENABLED = f"{PREFIX}.user.enabled.>"
ALL_TRADES_CLOSED = f"{PREFIX}.trade.closed.>"
ALL_RISK_STATE = f"{PREFIX}.risk.state.>"
ALL_ALERTS = f"{PREFIX}.risk.alert.>"
ALL_AUDIT = f"{PREFIX}.audit.>"
ALL_BOT_EVENTS = f"{PREFIX}.bot.>"


def approved_for_partition(partition: int) -> str:
    return f"{PREFIX}.order.approved.{partition}.*"


def cancel_for_partition(partition: int) -> str:
    return f"{PREFIX}.order.cancel.{partition}.*"


backtest_progress = _per_user("backtest.progress")
"""A backtest job of the user moved (status or progress): `tp.backtest.progress.<user>`."""
backtest_done = _per_user("backtest.done")
"""A backtest job of the user finished (Done, Failed or Cancelled): `tp.backtest.done.<user>`."""


ALL_BACKTESTS = f"{PREFIX}.backtest.>"
