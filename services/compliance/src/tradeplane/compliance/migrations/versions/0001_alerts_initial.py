"""Initial compliance schema (branch alerts): outbox, inbox, alerts, violations, watched orders,
notification settings and the reconciliation books.

Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql
from tradeplane.runtime import columns as col
from tradeplane.runtime.migrations import create_outbox_and_inbox, create_partial_index

revision = "0001"
down_revision = None

SCHEMA = "compliance"


def upgrade() -> None:
    create_outbox_and_inbox(SCHEMA)
    op.create_table(
        "alerts",
        col.uuid("id", primary_key=True),
        col.sequence(),
        col.user_id(nullable=True),
        sa.Column("type", sa.String(16), nullable=False),
        sa.Column("category", sa.String(16), nullable=False),
        sa.Column("severity", sa.String(16), nullable=False),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("venue", sa.String(64)),
        col.uuid("bot_id", nullable=True),
        col.json_object("metadata"),
        sa.Column("is_read", sa.Boolean(), nullable=False, server_default=sa.text("false")),
        col.timestamp("read_at", nullable=True),
        col.created_at(),
        schema=SCHEMA,
    )
    op.create_index("ix_compliance_alerts_user_seq", "alerts", ["user_id", "seq"], schema=SCHEMA)
    op.create_table(
        "violations",
        col.uuid("id", primary_key=True),
        col.sequence(),
        col.user_id(),
        sa.Column("type", sa.String(32), nullable=False),
        sa.Column("severity", sa.String(16), nullable=False),
        sa.Column("status", sa.String(16), nullable=False, server_default=sa.text("'Open'")),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("recommendation", sa.Text(), nullable=False),
        col.uuid("bot_id", nullable=True),
        sa.Column("venue", sa.String(64)),
        col.json_object("metadata"),
        col.timestamp("detected_at", now=True),
        col.timestamp("acknowledged_at", nullable=True),
        col.timestamp("resolved_at", nullable=True),
        sa.Column("resolved_by", sa.String(200)),
        sa.Column("note", sa.Text()),
        schema=SCHEMA,
    )
    op.create_index("ix_compliance_violations_user_seq", "violations", ["user_id", "seq"], schema=SCHEMA)
    op.create_index("ix_compliance_violations_detected", "violations", ["detected_at"], schema=SCHEMA)
    op.create_table(
        "orders",
        col.uuid("order_id", primary_key=True),
        col.user_id(),
        col.account_id(),
        col.uuid("bot_id", nullable=True),
        sa.Column("symbol", sa.String(48), nullable=False),
        sa.Column("side", sa.String(8), nullable=False),
        col.money("price", nullable=True),
        col.timestamp("requested_at"),
        col.timestamp("closed_at", nullable=True),
        sa.Column("closed_as", sa.String(16)),
        schema=SCHEMA,
    )
    op.create_index(
        "ix_compliance_orders_user_symbol", "orders", ["user_id", "symbol", "requested_at"], schema=SCHEMA
    )
    create_partial_index(
        SCHEMA, "ix_compliance_orders_cancels", "orders", ["user_id", "closed_at"], "closed_as = 'canceled'"
    )
    op.create_table(
        "notification_settings",
        col.user_id(primary_key=True),
        sa.Column("settings", postgresql.JSONB(), nullable=False),
        col.updated_at(),
        schema=SCHEMA,
    )
    op.create_table(
        "books",
        col.account_id(primary_key=True),
        col.user_id(),
        sa.Column("venue", sa.String(64), nullable=False),
        sa.Column("baseline", postgresql.JSONB(), nullable=False),
        col.timestamp("baseline_at"),
        sa.Column("last_status", sa.String(16)),
        sa.Column("last_differences", postgresql.JSONB()),
        col.timestamp("last_run_at", nullable=True),
        schema=SCHEMA,
    )
    op.create_table(
        "booked_fills",
        col.account_id(primary_key=True),
        sa.Column("fill_id", sa.String(128), primary_key=True),
        col.user_id(),
        col.timestamp("filled_at"),
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
