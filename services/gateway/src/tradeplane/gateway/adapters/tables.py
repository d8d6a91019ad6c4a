"""Tables of the `gateway` schema (SQLAlchemy Core), beside the runtime's outbox and inbox."""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Table,
    UniqueConstraint,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB
from tradeplane.runtime import columns as col
from tradeplane.runtime import service_metadata

SCHEMA = "gateway"
metadata = service_metadata(SCHEMA)


users = Table(
    "users",
    metadata,
    col.uuid("id", primary_key=True),
    Column("email", String(254), nullable=False, unique=True),
    Column("name", String(200), nullable=False, server_default=""),
    Column("password_hash", String(255), nullable=False),
    Column("role", String(16), nullable=False),
    Column("timezone", String(64), nullable=False, server_default="UTC"),
    Column("language", String(16), nullable=False, server_default="en"),
    Column("two_factor_enabled", Boolean, nullable=False, server_default=text("false")),
    col.created_at(),
    col.updated_at(),
    col.timestamp("last_login", nullable=True),
    col.timestamp("disabled_at", nullable=True),
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
    col.uuid("id", primary_key=True),
    col.user_id(ForeignKey(users.c.id, ondelete="CASCADE")),
    col.created_at(),
    col.timestamp("revoked_at", nullable=True),
    Column("revoked_reason", String(100)),
    col.timestamp("last_seen_at", now=True),
    Index("ix_gateway_sessions_user_id", "user_id"),
)
"""A login: the family of refresh tokens it rotates through; access tokens name it in `sid`."""

refresh_tokens = Table(
    "refresh_tokens",
    metadata,
    Column("token_hash", String(64), primary_key=True),
    col.uuid("session_id", ForeignKey(sessions.c.id, ondelete="CASCADE")),
    col.timestamp("issued_at", now=True),
    col.timestamp("expires_at"),
    col.timestamp("used_at", nullable=True),
    Index("ix_gateway_refresh_tokens_session_id", "session_id"),
)

orders = Table(
    "orders",
    metadata,
    col.uuid("order_id", primary_key=True),
    col.user_id(),
    col.account_id(),
    col.venue(),
    col.symbol(),
    Column("side", String(8), nullable=False),
    Column("type", String(16), nullable=False),
    col.money("quantity"),
    col.money("price", nullable=True),
    col.money("stop_price", nullable=True),
    Column("client_order_id", String(64), nullable=False),
    Column("status", String(16), nullable=False),
    col.money("filled_quantity", server_default=text("0")),
    col.money("fill_notional", server_default=text("0")),
    col.money("average_price", nullable=True),
    col.money("fee", server_default=text("0")),
    col.created_at(),
    col.updated_at(),
    col.timestamp("executed_at", nullable=True),
    Column("error", String(600)),
    Column("reject_reason", String(600)),
    Column("reject_code", String(32)),
    col.uuid("bot_id", nullable=True),
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
    col.uuid("event_id", primary_key=True),
    col.timestamp("occurred_at"),
    Column("producer", String(64), nullable=False),
    Column("actor", String(200), nullable=False),
    Column("action", String(100), nullable=False),
    Column("target", String(200), nullable=False, server_default=""),
    Column("reason", String(500), nullable=False, server_default=""),
    col.json_object("details"),
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
    col.user_id(ForeignKey(users.c.id, ondelete="CASCADE"), primary_key=True),
    Column("code_hash", String(64), primary_key=True),
    col.timestamp("used_at", nullable=True),
)
"""Two-factor recovery codes, as SHA-256 digests; each works once."""

login_failures = Table(
    "login_failures",
    metadata,
    Column("key", String(300), primary_key=True),
    Column("failures", Integer, nullable=False),
    col.timestamp("last_failure_at"),
    col.timestamp("locked_until", nullable=True),
)
"""Failed logins per account (`account:<email>`) and per IP (`ip:<address>`): backoff and locks."""

rate_counters = Table(
    "rate_counters",
    metadata,
    Column("key", String(300), primary_key=True),
    Column("count", Integer, nullable=False),
    col.timestamp("expires_at"),
    Index("ix_gateway_rate_counters_expires_at", "expires_at"),
    prefixes=["UNLOGGED"],
)
"""Fixed-window rate limit counters shared by every gateway worker (UNLOGGED: losing them in a crash
only forgives a minute of requests)."""

invites = Table(
    "invites",
    metadata,
    Column("code_hash", String(64), primary_key=True),
    col.uuid("created_by"),
    col.created_at(),
    col.timestamp("expires_at"),
    Column("email", String(254)),
    col.timestamp("used_at", nullable=True),
    col.uuid("used_by", nullable=True),
)
"""Invite codes (SHA-256 digests) for invite-only registration; each works once."""
