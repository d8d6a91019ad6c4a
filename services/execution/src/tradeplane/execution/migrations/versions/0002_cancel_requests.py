"""Cancels that arrive before their order's approval, kept until the approval comes.

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SCHEMA = "execution"


def upgrade() -> None:
    op.create_table(
        "cancel_requests",
        sa.Column("order_id", sa.Uuid(), primary_key=True),
        sa.Column("account_id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("reason", sa.String(200), nullable=False, server_default=""),
        sa.Column("requested_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        schema=SCHEMA,
    )
    op.create_index(
        "ix_execution_cancel_requests_requested_at", "cancel_requests", ["requested_at"], schema=SCHEMA
    )


def downgrade() -> None:
    op.drop_table("cancel_requests", schema=SCHEMA)
