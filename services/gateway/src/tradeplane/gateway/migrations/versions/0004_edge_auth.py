"""edge-auth: two-factor authentication, recovery codes, login failures, shared rate limit counters,
invites, disabled users, session activity and per-user rate limits.

Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB
from tradeplane.runtime import columns as col

revision = "0004"
down_revision = "0003"

SCHEMA = "gateway"


def upgrade() -> None:
    for column in (
        col.timestamp("disabled_at", nullable=True),
        sa.Column("totp_secret", sa.LargeBinary),
        sa.Column("totp_pending", sa.LargeBinary),
        sa.Column("totp_last_step", sa.BigInteger),
        sa.Column("rate_limits", JSONB),
    ):
        op.add_column("users", column, schema=SCHEMA)
    op.add_column("sessions", col.timestamp("last_seen_at", now=True), schema=SCHEMA)
    op.create_table(
        "recovery_codes",
        col.user_id(sa.ForeignKey(f"{SCHEMA}.users.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("code_hash", sa.String(64), primary_key=True),
        col.timestamp("used_at", nullable=True),
        schema=SCHEMA,
    )
    op.create_table(
        "login_failures",
        sa.Column("key", sa.String(300), primary_key=True),
        sa.Column("failures", sa.Integer, nullable=False),
        col.timestamp("last_failure_at"),
        col.timestamp("locked_until", nullable=True),
        schema=SCHEMA,
    )
    op.create_table(
        "rate_counters",
        sa.Column("key", sa.String(300), primary_key=True),
        sa.Column("count", sa.Integer, nullable=False),
        col.timestamp("expires_at"),
        schema=SCHEMA,
        prefixes=["UNLOGGED"],
    )
    op.create_index("ix_gateway_rate_counters_expires_at", "rate_counters", ["expires_at"], schema=SCHEMA)
    op.create_table(
        "invites",
        sa.Column("code_hash", sa.String(64), primary_key=True),
        col.uuid("created_by"),
        col.created_at(),
        col.timestamp("expires_at"),
        sa.Column("email", sa.String(254)),
        col.timestamp("used_at", nullable=True),
        col.uuid("used_by", nullable=True),
        schema=SCHEMA,
    )


def downgrade() -> None:
    op.drop_table("invites", schema=SCHEMA)
    op.drop_table("rate_counters", schema=SCHEMA)
    op.drop_table("login_failures", schema=SCHEMA)
    op.drop_table("recovery_codes", schema=SCHEMA)
    op.drop_column("sessions", "last_seen_at", schema=SCHEMA)
    for name in ("rate_limits", "totp_last_step", "totp_pending", "totp_secret", "disabled_at"):
        op.drop_column("users", name, schema=SCHEMA)
