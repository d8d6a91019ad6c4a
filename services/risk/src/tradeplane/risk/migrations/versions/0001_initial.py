"""Initial risk schema: outbox, inbox, profiles, states, decisions, seen fills, halts and their audit.

Create Date: 2026-01-20
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql
from tradeplane.runtime.migrations import create_outbox_and_inbox

revision = "0001"
down_revision = None

SCHEMA = "risk"


def _now() -> sa.Column:  # type: ignore[type-arg]
    return sa.Column("at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now())


def _user_tables() -> None:
    op.create_table(
        "profiles",
        sa.Column("user_id", sa.Uuid(), primary_key=True),
        sa.Column("limits", postgresql.JSONB(), nullable=False, server_default=sa.text("'{}'::jsonb")),
        sa.Column("timezone", sa.String(64), nullable=False, server_default="UTC"),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        schema=SCHEMA,
    )
    op.create_table(
        "states",
        sa.Column("user_id", sa.Uuid(), primary_key=True),
        sa.Column("state", postgresql.JSONB(), nullable=False, server_default=sa.text("'{}'::jsonb")),
        sa.Column("last_realized", sa.Numeric(), nullable=False, server_default="0"),
        sa.Column("equity", sa.Numeric()),
        sa.Column("pnl_at", sa.DateTime(timezone=True)),
        sa.Column("halted_until", sa.DateTime(timezone=True)),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        schema=SCHEMA,
    )
    op.create_index(
        "ix_risk_states_halted_until",
        "states",
        ["halted_until"],
        schema=SCHEMA,
        postgresql_where=sa.text("halted_until IS NOT NULL"),
    )


def _order_tables() -> None:
    op.create_table(
        "decisions",
        sa.Column("order_id", sa.Uuid(), primary_key=True),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("approved", sa.Boolean(), nullable=False),
        sa.Column("code", sa.String(40)),
        sa.Column("reason", sa.String(500)),
        _now(),
        schema=SCHEMA,
    )
    op.create_table(
        "fills_seen",
        sa.Column("order_id", sa.Uuid(), primary_key=True),
        sa.Column("fill_id", sa.String(128), primary_key=True),
        _now(),
        schema=SCHEMA,
    )


def _halt_tables() -> None:
    op.create_table(
        "halts",
        sa.Column("key", sa.String(80), primary_key=True),
        sa.Column("scope", sa.String(10), nullable=False),
        sa.Column("user_id", sa.Uuid()),
        sa.Column("reason", sa.String(500), nullable=False),
        sa.Column("actor", sa.String(200), nullable=False),
        sa.Column("event_id", sa.Uuid(), nullable=False),
        sa.Column("since", sa.DateTime(timezone=True), nullable=False),
        schema=SCHEMA,
    )
    op.create_table(
        "halt_audit",
        sa.Column("id", sa.BigInteger(), sa.Identity(), primary_key=True),
        sa.Column("action", sa.String(20), nullable=False),
        sa.Column("scope", sa.String(10), nullable=False),
        sa.Column("user_id", sa.Uuid()),
        sa.Column("actor", sa.String(200), nullable=False),
        sa.Column("reason", sa.String(500), nullable=False, server_default=""),
        _now(),
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
