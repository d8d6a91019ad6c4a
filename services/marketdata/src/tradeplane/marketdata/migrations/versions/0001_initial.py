"""Initial marketdata schema: outbox, inbox and candles.

Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op
from tradeplane.runtime import columns as col
from tradeplane.runtime.migrations import create_outbox_and_inbox

revision = "0001"
down_revision = None

SCHEMA = "marketdata"


def upgrade() -> None:
    create_outbox_and_inbox(SCHEMA)
    op.create_table(
        "candles",
        col.venue(),
        col.symbol(),
        sa.Column("timeframe", sa.String(4), nullable=False),
        col.timestamp("t"),
        col.money("open"),
        col.money("high"),
        col.money("low"),
        col.money("close"),
        col.money("volume"),
        col.timestamp("last_at"),
        sa.Column("closed", sa.Boolean(), nullable=False),
        col.updated_at(),
        sa.PrimaryKeyConstraint("venue", "symbol", "timeframe", "t", name="pk_candles"),
        schema=SCHEMA,
    )


def downgrade() -> None:
    for table in ("candles", "processed_messages", "outbox"):
        op.drop_table(table, schema=SCHEMA)
