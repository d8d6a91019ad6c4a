"""Initial backtests schema: outbox, inbox and the jobs table.

Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql
from tradeplane.runtime import columns as col
from tradeplane.runtime.migrations import create_outbox_and_inbox, create_partial_index

revision = "0001"
down_revision = None

SCHEMA = "backtests"


def upgrade() -> None:
    create_outbox_and_inbox(SCHEMA)
    op.create_table(
        "jobs",
        col.uuid("id", primary_key=True),
        col.sequence(),
        col.user_id(),
        sa.Column("status", sa.String(16), nullable=False, server_default=sa.text("'Queued'")),
        sa.Column("progress", sa.Float(), nullable=False, server_default=sa.text("0")),
        sa.Column("request", postgresql.JSONB(), nullable=False),
        sa.Column("error", sa.Text()),
        sa.Column("result", postgresql.JSONB()),
        sa.Column("result_hash", sa.String(64)),
        sa.Column("dataset_hash", sa.String(64)),
        sa.Column("attempts", sa.Integer(), nullable=False, server_default=sa.text("0")),
        sa.Column("lease_owner", sa.String(200)),
        col.timestamp("lease_until", nullable=True),
        col.created_at(),
        col.timestamp("started_at", nullable=True),
        col.timestamp("finished_at", nullable=True),
        schema=SCHEMA,
    )
    op.create_index("ix_backtests_jobs_user_seq", "jobs", ["user_id", "seq"], schema=SCHEMA)
    create_partial_index(SCHEMA, "ix_backtests_jobs_queued", "jobs", ["seq"], "status = 'Queued'")


def downgrade() -> None:
    for table in ("jobs", "processed_messages", "outbox"):
        op.drop_table(table, schema=SCHEMA)
