"""The bot that placed an order (null for orders placed by hand): `GET /api/orders?botId=` and
`GET /api/bots/{id}/orders` filter on it.

Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"

SCHEMA = "gateway"
INDEX = "ix_gateway_orders_user_bot_created"


def upgrade() -> None:
    op.add_column("orders", sa.Column("bot_id", sa.Uuid), schema=SCHEMA)
    op.create_index(
        INDEX,
        "orders",
        ["user_id", "bot_id", "created_at"],
        schema=SCHEMA,
        postgresql_where=sa.text("bot_id IS NOT NULL"),
    )


def downgrade() -> None:
    op.drop_index(INDEX, table_name="orders", schema=SCHEMA)
    op.drop_column("orders", "bot_id", schema=SCHEMA)
