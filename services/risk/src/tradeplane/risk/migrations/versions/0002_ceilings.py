"""Platform ceilings: the loosest risk limits traders may set themselves (one row, set by an admin).

Create Date: 2026-12-08
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql
from tradeplane.runtime import columns as col

revision = "0002"
down_revision = "0001"

SCHEMA = "risk"


def upgrade() -> None:
    op.create_table(
        "ceilings",
        sa.Column("id", sa.SmallInteger(), primary_key=True, server_default="1"),
        sa.Column("limits", postgresql.JSONB(), nullable=False),
        sa.Column("updated_by", sa.String(200), nullable=False),
        col.updated_at(),
        sa.CheckConstraint("id = 1", name="ck_risk_ceilings_one_row"),
        schema=SCHEMA,
    )


def downgrade() -> None:
    op.drop_table("ceilings", schema=SCHEMA)
