"""The bot that placed an order (null for orders placed by hand): `GET /api/orders?botId=` and
`GET /api/bots/{id}/orders` filter on it.

Create Date: 2026-12-07
"""

from alembic import op
from tradeplane.runtime import columns as col
from tradeplane.runtime.migrations import create_partial_index

revision = "0003"
down_revision = "0002"

SCHEMA = "gateway"
INDEX = "ix_gateway_orders_user_bot_created"


def upgrade() -> None:
    op.add_column("orders", col.uuid("bot_id", nullable=True), schema=SCHEMA)
    create_partial_index(SCHEMA, INDEX, "orders", ["user_id", "bot_id", "created_at"], "bot_id IS NOT NULL")


def downgrade() -> None:
    op.drop_index(INDEX, table_name="orders", schema=SCHEMA)
    op.drop_column("orders", "bot_id", schema=SCHEMA)
