"""Platform ceilings: the loosest risk limits traders may set themselves (one row, set by an admin).

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-08
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0002"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SCHEMA = "risk"


def upgrade() -> None:
    op.create_table(
        "ceilings",
        sa.Column("id", sa.SmallInteger(), primary_key=True, server_default="1"),
        sa.Column("limits", postgresql.JSONB(), nullable=False),
        sa.Column("updated_by", sa.String(200), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        sa.CheckConstraint("id = 1", name="ck_risk_ceilings_one_row"),
        schema=SCHEMA,
    )


def downgrade() -> None:
    op.drop_table("ceilings", schema=SCHEMA)
