"""Tables of the `risk` schema: profiles, per-user state, decisions, seen fills, the kill switch, ceilings."""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    DateTime,
    Identity,
    Index,
    Numeric,
    SmallInteger,
    String,
    Table,
    Uuid,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB
from tradeplane.runtime import service_metadata

metadata = service_metadata("risk")

profiles = Table(
    "profiles",
    metadata,
    Column("user_id", Uuid, primary_key=True),
    Column("limits", JSONB, nullable=False, server_default=text("'{}'::jsonb")),
    Column("timezone", String(64), nullable=False, server_default="UTC"),
    Column("updated_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
)

states = Table(
    "states",
    metadata,
    Column("user_id", Uuid, primary_key=True),
    Column("state", JSONB, nullable=False, server_default=text("'{}'::jsonb")),
    Column("last_realized", Numeric, nullable=False, server_default="0"),
    Column("equity", Numeric),
    Column("pnl_at", DateTime(timezone=True)),
    Column("halted_until", DateTime(timezone=True)),
    Column("updated_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Index("ix_risk_states_halted_until", "halted_until", postgresql_where=text("halted_until IS NOT NULL")),
)
"""`last_realized`: cumulative net realized PnL of the last PnlUpdated (deltas come from it);
`pnl_at`: when that update happened (older ones are ignored); `halted_until`: for the expiry sweep."""

decisions = Table(
    "decisions",
    metadata,
    Column("order_id", Uuid, primary_key=True),
    Column("user_id", Uuid, nullable=False),
    Column("approved", Boolean, nullable=False),
    Column("code", String(40)),
    Column("reason", String(500)),
    Column("at", DateTime(timezone=True), nullable=False, server_default=func.now()),
)

fills_seen = Table(
    "fills_seen",
    metadata,
    Column("order_id", Uuid, primary_key=True),
    Column("fill_id", String(128), primary_key=True),
    Column("at", DateTime(timezone=True), nullable=False, server_default=func.now()),
)

halts = Table(
    "halts",
    metadata,
    Column("key", String(80), primary_key=True),
    Column("scope", String(10), nullable=False),
    Column("user_id", Uuid),
    Column("reason", String(500), nullable=False),
    Column("actor", String(200), nullable=False),
    Column("event_id", Uuid, nullable=False),
    Column("since", DateTime(timezone=True), nullable=False),
)

halt_audit = Table(
    "halt_audit",
    metadata,
    Column("id", BigInteger, Identity(), primary_key=True),
    Column("action", String(20), nullable=False),
    Column("scope", String(10), nullable=False),
    Column("user_id", Uuid),
    Column("actor", String(200), nullable=False),
    Column("reason", String(500), nullable=False, server_default=""),
    Column("at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Index("ix_risk_halt_audit_user", "user_id", "id"),
)

ceilings = Table(
    "ceilings",
    metadata,
    Column("id", SmallInteger, primary_key=True, server_default="1"),
    Column("limits", JSONB, nullable=False),
    Column("updated_by", String(200), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    CheckConstraint("id = 1", name="ck_risk_ceilings_one_row"),
)
"""The platform ceilings an admin set, one row (none: the `TP_RISK_CEILINGS__*` settings apply)."""
