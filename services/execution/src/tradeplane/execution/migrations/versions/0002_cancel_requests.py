"""Cancels that arrive before their order's approval, kept until the approval comes.

Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"

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
