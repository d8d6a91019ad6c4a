"""Initial backtests schema: outbox, inbox and the jobs table.

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

SCHEMA = "backtests"


def upgrade() -> None:
    create_outbox_and_inbox(SCHEMA)
    op.create_table(
        "jobs",
        sa.Column("id", sa.Uuid(), primary_key=True),
        sa.Column("seq", sa.BigInteger(), sa.Identity(), nullable=False, unique=True),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False, server_default=sa.text("'Queued'")),
        sa.Column("progress", sa.Float(), nullable=False, server_default=sa.text("0")),
        sa.Column("request", postgresql.JSONB(), nullable=False),
        sa.Column("error", sa.Text()),
        sa.Column("result", postgresql.JSONB()),
        sa.Column("result_hash", sa.String(64)),
        sa.Column("dataset_hash", sa.String(64)),
        sa.Column("attempts", sa.Integer(), nullable=False, server_default=sa.text("0")),
        sa.Column("lease_owner", sa.String(200)),
        sa.Column("lease_until", sa.DateTime(timezone=True)),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        sa.Column("started_at", sa.DateTime(timezone=True)),
        sa.Column("finished_at", sa.DateTime(timezone=True)),
        schema=SCHEMA,
    )
    op.create_index("ix_backtests_jobs_user_seq", "jobs", ["user_id", "seq"], schema=SCHEMA)
    op.create_index(
        "ix_backtests_jobs_queued",
        "jobs",
        ["seq"],
        schema=SCHEMA,
        postgresql_where=sa.text("status = 'Queued'"),
    )


def downgrade() -> None:
    for table in ("jobs", "processed_messages", "outbox"):
        op.drop_table(table, schema=SCHEMA)
