"""Cancels that arrive before their order's approval, kept until the approval comes.

Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op
from tradeplane.runtime import columns as col

revision = "0002"
down_revision = "0001"

SCHEMA = "execution"


def upgrade() -> None:
    op.create_table(
        "cancel_requests",
        col.uuid("order_id", primary_key=True),
        col.account_id(),
        col.user_id(),
        sa.Column("reason", sa.String(200), nullable=False, server_default=""),
        col.timestamp("requested_at", now=True),
        schema=SCHEMA,
    )
    op.create_index(
        "ix_execution_cancel_requests_requested_at", "cancel_requests", ["requested_at"], schema=SCHEMA
    )


def downgrade() -> None:
    op.drop_table("cancel_requests", schema=SCHEMA)
