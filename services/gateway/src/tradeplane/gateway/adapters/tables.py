"""Tables of the `gateway` schema (SQLAlchemy Core), beside the runtime's outbox and inbox."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    Numeric,
    String,
    Table,
    UniqueConstraint,
    Uuid,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB
from tradeplane.runtime import service_metadata

SCHEMA = "gateway"
metadata = service_metadata(SCHEMA)


def _created_at() -> Column[datetime]:
    return Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now())


users = Table(
    "users",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("email", String(254), nullable=False, unique=True),
    Column("name", String(200), nullable=False, server_default=""),
    Column("password_hash", String(255), nullable=False),
    Column("role", String(16), nullable=False),
    Column("timezone", String(64), nullable=False, server_default="UTC"),
    Column("language", String(16), nullable=False, server_default="en"),
    Column("two_factor_enabled", Boolean, nullable=False, server_default=text("false")),
    _created_at(),
    Column("updated_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("last_login", DateTime(timezone=True)),
    Column("disabled_at", DateTime(timezone=True)),
    Column("totp_secret", LargeBinary),
    Column("totp_pending", LargeBinary),
    Column("totp_last_step", BigInteger),
    Column("rate_limits", JSONB),
)
"""`totp_secret` (2FA on) and `totp_pending` (set up, not yet enabled) are sealed with the gateway's
keyring; `totp_last_step` is the last TOTP time step accepted (a code works once); `rate_limits` holds
an admin's per-user overrides (`{requestsPerMinute, tradingPerMinute, marketPerMinute}`)."""

sessions = Table(
    "sessions",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("user_id", Uuid, ForeignKey(users.c.id, ondelete="CASCADE"), nullable=False),
    _created_at(),
    Column("revoked_at", DateTime(timezone=True)),
    Column("revoked_reason", String(100)),
    Column("last_seen_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Index("ix_gateway_sessions_user_id", "user_id"),
)
"""A login: the family of refresh tokens it rotates through; access tokens name it in `sid`."""

refresh_tokens = Table(
    "refresh_tokens",
    metadata,
    Column("token_hash", String(64), primary_key=True),
    Column("session_id", Uuid, ForeignKey(sessions.c.id, ondelete="CASCADE"), nullable=False),
    Column("issued_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("expires_at", DateTime(timezone=True), nullable=False),
    Column("used_at", DateTime(timezone=True)),
    Index("ix_gateway_refresh_tokens_session_id", "session_id"),
)

orders = Table(
    "orders",
    metadata,
    Column("order_id", Uuid, primary_key=True),
    Column("user_id", Uuid, nullable=False),
    Column("account_id", Uuid, nullable=False),
    Column("venue", String(32), nullable=False),
    Column("symbol", String(41), nullable=False),
    Column("side", String(8), nullable=False),
    Column("type", String(16), nullable=False),
    Column("quantity", Numeric, nullable=False),
    Column("price", Numeric),
    Column("stop_price", Numeric),
    Column("client_order_id", String(64), nullable=False),
    Column("status", String(16), nullable=False),
    Column("filled_quantity", Numeric, nullable=False, server_default=text("0")),
    Column("fill_notional", Numeric, nullable=False, server_default=text("0")),
    Column("average_price", Numeric),
    Column("fee", Numeric, nullable=False, server_default=text("0")),
    _created_at(),
    Column("updated_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("executed_at", DateTime(timezone=True)),
    Column("error", String(600)),
    Column("reject_reason", String(600)),
    Column("reject_code", String(32)),
    Column("bot_id", Uuid),
    UniqueConstraint("user_id", "client_order_id", name="uq_gateway_orders_client_order_id"),
    Index("ix_gateway_orders_user_created", "user_id", "created_at"),
    Index(
        "ix_gateway_orders_user_bot_created",
        "user_id",
        "bot_id",
        "created_at",
        postgresql_where=text("bot_id IS NOT NULL"),
    ),
)
"""The user-facing view of orders, projected from the order lifecycle events; `bot_id` names the bot that
placed the order (null for orders placed by hand)."""

audit_log = Table(
    "audit_log",
    metadata,
    Column("event_id", Uuid, primary_key=True),
    Column("occurred_at", DateTime(timezone=True), nullable=False),
    Column("producer", String(64), nullable=False),
    Column("actor", String(200), nullable=False),
    Column("action", String(100), nullable=False),
    Column("target", String(200), nullable=False, server_default=""),
    Column("reason", String(500), nullable=False, server_default=""),
    Column("details", JSONB, nullable=False, server_default=text("'{}'::jsonb")),
    Column("chain", String(64), nullable=False),
    Column("seq", BigInteger, nullable=False),
    Column("prev_hash", String(64), nullable=False),
    Column("hash", String(64), nullable=False),
    Index("ix_gateway_audit_occurred", "occurred_at"),
    Index("ix_gateway_audit_actor", "actor"),
    Index("ix_gateway_audit_target", "target"),
    UniqueConstraint("chain", "seq", name="uq_gateway_audit_chain_seq"),
)
"""Append-only (a trigger refuses UPDATE, DELETE and TRUNCATE); each entry chained by hash to the one
before it in its chain, the service that published it (`audit_chain`)."""

audit_heads = Table(
    "audit_heads",
    metadata,
    Column("chain", String(64), primary_key=True),
    Column("seq", BigInteger, nullable=False),
    Column("hash", String(64), nullable=False),
)
"""Each chain's last entry: its row lock orders the writers of a chain (every replica, every worker),
and an entry cut off the end of a chain shows against it. A trigger lets it only move forward."""

recovery_codes = Table(
    "recovery_codes",
    metadata,
    Column("user_id", Uuid, ForeignKey(users.c.id, ondelete="CASCADE"), primary_key=True),
    Column("code_hash", String(64), primary_key=True),
    Column("used_at", DateTime(timezone=True)),
)
"""Two-factor recovery codes, as SHA-256 digests; each works once."""

login_failures = Table(
    "login_failures",
    metadata,
    Column("key", String(300), primary_key=True),
    Column("failures", Integer, nullable=False),
    Column("last_failure_at", DateTime(timezone=True), nullable=False),
    Column("locked_until", DateTime(timezone=True)),
)
"""Failed logins per account (`account:<email>`) and per IP (`ip:<address>`): backoff and locks."""

rate_counters = Table(
    "rate_counters",
    metadata,
    Column("key", String(300), primary_key=True),
    Column("count", Integer, nullable=False),
    Column("expires_at", DateTime(timezone=True), nullable=False),
    Index("ix_gateway_rate_counters_expires_at", "expires_at"),
    prefixes=["UNLOGGED"],
)
"""Fixed-window rate limit counters shared by every gateway worker (UNLOGGED: losing them in a crash
only forgives a minute of requests)."""

invites = Table(
    "invites",
    metadata,
    Column("code_hash", String(64), primary_key=True),
    Column("created_by", Uuid, nullable=False),
    _created_at(),
    Column("expires_at", DateTime(timezone=True), nullable=False),
    Column("email", String(254)),
    Column("used_at", DateTime(timezone=True)),
    Column("used_by", Uuid),
)
"""Invite codes (SHA-256 digests) for invite-only registration; each works once."""
