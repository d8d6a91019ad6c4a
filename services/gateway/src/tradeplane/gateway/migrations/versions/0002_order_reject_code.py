"""The order view's reject code: clients read it instead of parsing `rejectReason` / `error`.

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

SCHEMA = "gateway"


def upgrade() -> None:
    op.add_column("orders", sa.Column("reject_code", sa.String(32)), schema=SCHEMA)
    # Rows rejected before this column existed carry their code as the text's first word ("CODE: reason").
    op.execute(
        "UPDATE gateway.orders SET reject_code = split_part(coalesce(reject_reason, error), ':', 1) "
        "WHERE status = 'Rejected' AND coalesce(reject_reason, error) ~ '^[A-Z_]{1,32}(:|$)'"
    )


def downgrade() -> None:
    op.drop_column("orders", "reject_code", schema=SCHEMA)
