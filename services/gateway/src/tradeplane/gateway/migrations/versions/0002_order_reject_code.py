"""The order view's reject code: clients read it instead of parsing `rejectReason` / `error`.

Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"

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
