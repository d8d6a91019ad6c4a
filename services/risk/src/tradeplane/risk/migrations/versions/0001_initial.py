"""Initial risk schema: outbox, inbox, profiles, states, decisions, seen fills, halts and their audit.

Create Date: 2026-01-20
"""

import sqlalchemy as sa
from alembic import op
from tradeplane.runtime import columns as col
from tradeplane.runtime.migrations import create_outbox_and_inbox, create_partial_index

revision = "0001"
down_revision = None

SCHEMA = "risk"


def _user_tables() -> None:
    op.create_table(
        "profiles",
        col.user_id(primary_key=True),
        col.json_object("limits"),
        sa.Column("timezone", sa.String(64), nullable=False, server_default="UTC"),
        col.updated_at(),
        schema=SCHEMA,
    )
    op.create_table(
        "states",
        col.user_id(primary_key=True),
        col.json_object("state"),
        col.money("last_realized", server_default="0"),
        col.money("equity", nullable=True),
        col.timestamp("pnl_at", nullable=True),
        col.timestamp("halted_until", nullable=True),
        col.updated_at(),
        schema=SCHEMA,
    )
    create_partial_index(
        SCHEMA, "ix_risk_states_halted_until", "states", ["halted_until"], "halted_until IS NOT NULL"
    )


def _order_tables() -> None:
    op.create_table(
        "decisions",
        col.uuid("order_id", primary_key=True),
        col.user_id(),
        sa.Column("approved", sa.Boolean(), nullable=False),
        sa.Column("code", sa.String(40)),
        sa.Column("reason", sa.String(500)),
        col.timestamp("at", now=True),
        schema=SCHEMA,
    )
    op.create_table(
        "fills_seen",
        col.uuid("order_id", primary_key=True),
        sa.Column("fill_id", sa.String(128), primary_key=True),
        col.timestamp("at", now=True),
        schema=SCHEMA,
    )


def _halt_tables() -> None:
    op.create_table(
        "halts",
        sa.Column("key", sa.String(80), primary_key=True),
        sa.Column("scope", sa.String(10), nullable=False),
        col.user_id(nullable=True),
        sa.Column("reason", sa.String(500), nullable=False),
        sa.Column("actor", sa.String(200), nullable=False),
        col.uuid("event_id"),
        col.timestamp("since"),
        schema=SCHEMA,
    )
    op.create_table(
        "halt_audit",
        sa.Column("id", sa.BigInteger(), sa.Identity(), primary_key=True),
        sa.Column("action", sa.String(20), nullable=False),
        sa.Column("scope", sa.String(10), nullable=False),
        col.user_id(nullable=True),
        sa.Column("actor", sa.String(200), nullable=False),
        sa.Column("reason", sa.String(500), nullable=False, server_default=""),
        col.timestamp("at", now=True),
        schema=SCHEMA,
    )
    op.create_index("ix_risk_halt_audit_user", "halt_audit", ["user_id", "id"], schema=SCHEMA)


def upgrade() -> None:
    create_outbox_and_inbox(SCHEMA)
    _user_tables()
    _order_tables()
    _halt_tables()


def downgrade() -> None:
    for table in ("halt_audit", "halts", "fills_seen", "decisions", "states", "profiles"):
        op.drop_table(table, schema=SCHEMA)
    op.drop_table("processed_messages", schema=SCHEMA)
    op.drop_table("outbox", schema=SCHEMA)
