"""Initial compliance schema (branch alerts): outbox, inbox, alerts, violations, watched orders,
notification settings and the reconciliation books.

Revision ID: 0001
Revises:
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql
from tradeplane.runtime.migrations import create_outbox_and_inbox

revision: str = "0001"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SCHEMA = "compliance"
_NOW = sa.func.now()
_EMPTY = sa.text("'{}'::jsonb")


def _at(name: str, nullable: bool = True) -> sa.Column:  # type: ignore[type-arg]
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    create_outbox_and_inbox(SCHEMA)
    op.create_table(
        "alerts",
        sa.Column("id", sa.Uuid(), primary_key=True),
        sa.Column("seq", sa.BigInteger(), sa.Identity(), nullable=False, unique=True),
        sa.Column("user_id", sa.Uuid()),
        sa.Column("type", sa.String(16), nullable=False),
        sa.Column("category", sa.String(16), nullable=False),
        sa.Column("severity", sa.String(16), nullable=False),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("venue", sa.String(64)),
        sa.Column("bot_id", sa.Uuid()),
        sa.Column("metadata", postgresql.JSONB(), nullable=False, server_default=_EMPTY),
        sa.Column("is_read", sa.Boolean(), nullable=False, server_default=sa.text("false")),
        _at("read_at"),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=_NOW),
        schema=SCHEMA,
    )
    op.create_index("ix_compliance_alerts_user_seq", "alerts", ["user_id", "seq"], schema=SCHEMA)
    op.create_table(
        "violations",
        sa.Column("id", sa.Uuid(), primary_key=True),
        sa.Column("seq", sa.BigInteger(), sa.Identity(), nullable=False, unique=True),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("type", sa.String(32), nullable=False),
        sa.Column("severity", sa.String(16), nullable=False),
        sa.Column("status", sa.String(16), nullable=False, server_default=sa.text("'Open'")),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("recommendation", sa.Text(), nullable=False),
        sa.Column("bot_id", sa.Uuid()),
        sa.Column("venue", sa.String(64)),
        sa.Column("metadata", postgresql.JSONB(), nullable=False, server_default=_EMPTY),
        sa.Column("detected_at", sa.DateTime(timezone=True), nullable=False, server_default=_NOW),
        _at("acknowledged_at"),
        _at("resolved_at"),
        sa.Column("resolved_by", sa.String(200)),
        sa.Column("note", sa.Text()),
        schema=SCHEMA,
    )
    op.create_index("ix_compliance_violations_user_seq", "violations", ["user_id", "seq"], schema=SCHEMA)
    op.create_index("ix_compliance_violations_detected", "violations", ["detected_at"], schema=SCHEMA)
    op.create_table(
        "orders",
        sa.Column("order_id", sa.Uuid(), primary_key=True),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("account_id", sa.Uuid(), nullable=False),
        sa.Column("bot_id", sa.Uuid()),
        sa.Column("symbol", sa.String(48), nullable=False),
        sa.Column("side", sa.String(8), nullable=False),
        sa.Column("price", sa.Numeric()),
        _at("requested_at", nullable=False),
        _at("closed_at"),
        sa.Column("closed_as", sa.String(16)),
        schema=SCHEMA,
    )
    op.create_index(
        "ix_compliance_orders_user_symbol", "orders", ["user_id", "symbol", "requested_at"], schema=SCHEMA
    )
    op.create_index(
        "ix_compliance_orders_cancels",
        "orders",
        ["user_id", "closed_at"],
        schema=SCHEMA,
        postgresql_where=sa.text("closed_as = 'canceled'"),
    )
    op.create_table(
        "notification_settings",
        sa.Column("user_id", sa.Uuid(), primary_key=True),
        sa.Column("settings", postgresql.JSONB(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False, server_default=_NOW),
        schema=SCHEMA,
    )
    op.create_table(
        "books",
        sa.Column("account_id", sa.Uuid(), primary_key=True),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("venue", sa.String(64), nullable=False),
        sa.Column("baseline", postgresql.JSONB(), nullable=False),
        _at("baseline_at", nullable=False),
        sa.Column("last_status", sa.String(16)),
        sa.Column("last_differences", postgresql.JSONB()),
        _at("last_run_at"),
        schema=SCHEMA,
    )
    op.create_table(
        "booked_fills",
        sa.Column("account_id", sa.Uuid(), primary_key=True),
        sa.Column("fill_id", sa.String(128), primary_key=True),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        _at("filled_at", nullable=False),
        sa.Column("deltas", postgresql.JSONB(), nullable=False),
        schema=SCHEMA,
    )


def downgrade() -> None:
    for table in (
        "booked_fills",
        "books",
        "notification_settings",
        "orders",
        "violations",
        "alerts",
        "processed_messages",
        "outbox",
    ):
        op.drop_table(table, schema=SCHEMA)
