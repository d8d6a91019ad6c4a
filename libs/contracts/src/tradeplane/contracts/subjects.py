"""Every subject the platform uses, built here so that no service spells one by hand.

Per-user subjects end in `<partition>.<user_id>`: executors subscribe to their partitions with
`tp.order.approved.<partition>.*`, and analysts can filter by user with a trailing wildcard.
"""

from __future__ import annotations

import hashlib
from uuid import UUID

PREFIX = "tp"


def partition_of(user_id: UUID, partitions: int) -> int:
    """The partition a user belongs to: stable across processes and Python versions."""
    if partitions < 1:
        raise ValueError("partitions must be at least 1")
    digest = hashlib.blake2b(user_id.bytes, digest_size=8).digest()
    return int.from_bytes(digest, "big") % partitions


def _user(kind: str, partition: int, user_id: UUID) -> str:
    return f"{PREFIX}.{kind}.{partition}.{user_id}"


def order_requested(partition: int, user_id: UUID) -> str:
    return _user("order.requested", partition, user_id)


def order_approved(partition: int, user_id: UUID) -> str:
    return _user("order.approved", partition, user_id)


def order_rejected(partition: int, user_id: UUID) -> str:
    return _user("order.rejected", partition, user_id)


def order_accepted(partition: int, user_id: UUID) -> str:
    return _user("order.accepted", partition, user_id)


def order_filled(partition: int, user_id: UUID) -> str:
    return _user("order.filled", partition, user_id)


def order_canceled(partition: int, user_id: UUID) -> str:
    return _user("order.canceled", partition, user_id)


def order_failed(partition: int, user_id: UUID) -> str:
    return _user("order.failed", partition, user_id)


def order_cancel(partition: int, user_id: UUID) -> str:
    """Command subject: cancel one order (consumed by the partition's executor)."""
    return _user("order.cancel", partition, user_id)


def venue_error(partition: int, user_id: UUID) -> str:
    return _user("venue.error", partition, user_id)


def venue_ok(partition: int, user_id: UUID) -> str:
    return _user("venue.ok", partition, user_id)


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


def position_changed(user_id: UUID) -> str:
    return f"{PREFIX}.position.changed.{user_id}"


def trade_closed(user_id: UUID) -> str:
    return f"{PREFIX}.trade.closed.{user_id}"


def fill_booked(user_id: UUID) -> str:
    return f"{PREFIX}.trade.booked.{user_id}"


def pnl_updated(user_id: UUID) -> str:
    return f"{PREFIX}.pnl.updated.{user_id}"


def bot_status(user_id: UUID) -> str:
    """A bot of `user_id` changed status (`BotStatusChanged`)."""
    return f"{PREFIX}.bot.status.{user_id}"


def bot_log(user_id: UUID) -> str:
    """A bot of `user_id` logged a line (`BotLogged`)."""
    return f"{PREFIX}.bot.log.{user_id}"


def risk_state(user_id: UUID) -> str:
    return f"{PREFIX}.risk.state.{user_id}"


def alert_raised(user_id: UUID | None) -> str:
    """An alert for `user_id` (`AlertRaised`), or for the platform's admins when None."""
    return f"{PREFIX}.risk.alert.{'platform' if user_id is None else user_id}"


def user_disabled(user_id: UUID) -> str:
    return f"{PREFIX}.user.disabled.{user_id}"


def user_enabled(user_id: UUID) -> str:
    return f"{PREFIX}.user.enabled.{user_id}"


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


def backtest_progress(user_id: UUID) -> str:
    """A backtest job of the user moved (status or progress): `tp.backtest.progress.<user>`."""
    return f"{PREFIX}.backtest.progress.{user_id}"


def backtest_done(user_id: UUID) -> str:
    """A backtest job of the user finished (Done, Failed or Cancelled): `tp.backtest.done.<user>`."""
    return f"{PREFIX}.backtest.done.{user_id}"


ALL_BACKTESTS = f"{PREFIX}.backtest.>"
