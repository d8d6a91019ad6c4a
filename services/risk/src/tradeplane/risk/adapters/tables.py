"""Tables of the `risk` schema: profiles, per-user state, decisions, seen fills, the kill switch, ceilings."""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    Identity,
    Index,
    SmallInteger,
    String,
    Table,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB
from tradeplane.runtime import columns as col
from tradeplane.runtime import service_metadata

metadata = service_metadata("risk")

profiles = Table(
    "profiles",
    metadata,
    col.user_id(primary_key=True),
    col.json_object("limits"),
    Column("timezone", String(64), nullable=False, server_default="UTC"),
    col.updated_at(),
)

states = Table(
    "states",
    metadata,
    col.user_id(primary_key=True),
    col.json_object("state"),
    col.money("last_realized", server_default="0"),
    col.money("equity", nullable=True),
    col.timestamp("pnl_at", nullable=True),
    col.timestamp("halted_until", nullable=True),
    col.updated_at(),
    Index("ix_risk_states_halted_until", "halted_until", postgresql_where=text("halted_until IS NOT NULL")),
)
"""`last_realized`: cumulative net realized PnL of the last PnlUpdated (deltas come from it);
`pnl_at`: when that update happened (older ones are ignored); `halted_until`: for the expiry sweep."""

decisions = Table(
    "decisions",
    metadata,
    col.uuid("order_id", primary_key=True),
    col.user_id(),
    Column("approved", Boolean, nullable=False),
    Column("code", String(40)),
    Column("reason", String(500)),
    col.timestamp("at", now=True),
)

fills_seen = Table(
    "fills_seen",
    metadata,
    col.uuid("order_id", primary_key=True),
    Column("fill_id", String(128), primary_key=True),
    col.timestamp("at", now=True),
)

halts = Table(
    "halts",
    metadata,
    Column("key", String(80), primary_key=True),
    Column("scope", String(10), nullable=False),
    col.user_id(nullable=True),
    Column("reason", String(500), nullable=False),
    Column("actor", String(200), nullable=False),
    col.uuid("event_id"),
    col.timestamp("since"),
)

halt_audit = Table(
    "halt_audit",
    metadata,
    Column("id", BigInteger, Identity(), primary_key=True),
    Column("action", String(20), nullable=False),
    Column("scope", String(10), nullable=False),
    col.user_id(nullable=True),
    Column("actor", String(200), nullable=False),
    Column("reason", String(500), nullable=False, server_default=""),
    col.timestamp("at", now=True),
    Index("ix_risk_halt_audit_user", "user_id", "id"),
)

ceilings = Table(
    "ceilings",
    metadata,
    Column("id", SmallInteger, primary_key=True, server_default="1"),
    Column("limits", JSONB, nullable=False),
    Column("updated_by", String(200), nullable=False),
    col.updated_at(),
    CheckConstraint("id = 1", name="ck_risk_ceilings_one_row"),
)
"""The platform ceilings an admin set, one row (none: the `TP_RISK_CEILINGS__*` settings apply)."""
