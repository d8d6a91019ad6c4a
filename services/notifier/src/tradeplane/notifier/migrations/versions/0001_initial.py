"""Initial notifier schema: outbox, inbox, endpoints, deliveries and delivery attempts.

Create Date: 2026-01-20
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql
from tradeplane.runtime import columns as col
from tradeplane.runtime.migrations import create_outbox_and_inbox, create_partial_index

revision = "0001"
down_revision = None

SCHEMA = "notifier"


def _endpoints() -> None:
    op.create_table(
        "endpoints",
        col.uuid("id", primary_key=True),
        col.user_id(),
        sa.Column("url", sa.String(2048), nullable=False),
        sa.Column("events", postgresql.ARRAY(sa.String(32)), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("secret_sealed", sa.LargeBinary(), nullable=False),
        sa.Column("consecutive_failures", sa.Integer(), nullable=False, server_default=sa.text("0")),
        sa.Column("disabled_reason", sa.String(200)),
        col.created_at(),
        col.updated_at(),
        schema=SCHEMA,
    )
    op.create_index("ix_notifier_endpoints_user_id", "endpoints", ["user_id"], schema=SCHEMA)


def _deliveries() -> None:
    op.create_table(
        "deliveries",
        col.uuid("id", primary_key=True),
        col.sequence(),
        col.uuid("endpoint_id", sa.ForeignKey(f"{SCHEMA}.endpoints.id", ondelete="CASCADE")),
        col.user_id(),
        col.uuid("event_id"),
        sa.Column("event_type", sa.String(32), nullable=False),
        sa.Column("webhook_id", sa.String(64), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False, server_default=sa.text("'pending'")),
        sa.Column("attempts", sa.Integer(), nullable=False, server_default=sa.text("0")),
        col.timestamp("next_attempt_at", now=True),
        col.timestamp("lease_until", nullable=True),
        sa.Column("lease_owner", sa.String(200)),
        sa.Column("last_status_code", sa.Integer()),
        sa.Column("last_latency_ms", sa.Integer()),
        sa.Column("last_error", sa.Text()),
        col.created_at(),
        col.timestamp("completed_at", nullable=True),
        sa.UniqueConstraint("endpoint_id", "event_id", name="uq_deliveries_endpoint_event"),
        schema=SCHEMA,
    )
    create_partial_index(
        SCHEMA,
        "ix_deliveries_endpoint_due",
        "deliveries",
        ["endpoint_id", "next_attempt_at"],
        "status = 'pending'",
    )
    op.create_index("ix_deliveries_endpoint_seq", "deliveries", ["endpoint_id", "seq"], schema=SCHEMA)


def _delivery_attempts() -> None:
    op.create_table(
        "delivery_attempts",
        sa.Column("id", sa.BigInteger(), sa.Identity(), primary_key=True),
        col.uuid("delivery_id", sa.ForeignKey(f"{SCHEMA}.deliveries.id", ondelete="CASCADE")),
        sa.Column("attempt", sa.Integer(), nullable=False),
        sa.Column("ok", sa.Boolean(), nullable=False),
        sa.Column("status_code", sa.Integer()),
        sa.Column("latency_ms", sa.Integer(), nullable=False),
        sa.Column("failure", sa.String(32)),
        sa.Column("error", sa.Text()),
        sa.Column("worker", sa.String(200), nullable=False),
        col.timestamp("attempted_at", now=True),
        schema=SCHEMA,
    )
    op.create_index(
        "ix_notifier_delivery_attempts_delivery_id", "delivery_attempts", ["delivery_id"], schema=SCHEMA
    )


def upgrade() -> None:
    create_outbox_and_inbox(SCHEMA)
    _endpoints()
    _deliveries()
    _delivery_attempts()


def downgrade() -> None:
    for table in ("delivery_attempts", "deliveries", "endpoints", "processed_messages", "outbox"):
        op.drop_table(table, schema=SCHEMA)
