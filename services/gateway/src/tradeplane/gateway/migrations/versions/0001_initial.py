"""Initial gateway schema: outbox, inbox, users, sessions, refresh tokens, orders and the audit log.

Create Date: 2026-01-20
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql
from tradeplane.runtime.migrations import create_outbox_and_inbox

revision = "0001"
down_revision = None

SCHEMA = "gateway"


def _created_at() -> sa.Column:  # type: ignore[type-arg]
    return sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now())


def _auth_tables() -> None:
    op.create_table(
        "users",
        sa.Column("id", sa.Uuid(), primary_key=True),
        sa.Column("email", sa.String(254), nullable=False, unique=True),
        sa.Column("name", sa.String(200), nullable=False, server_default=""),
        sa.Column("password_hash", sa.String(255), nullable=False),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("timezone", sa.String(64), nullable=False, server_default="UTC"),
        sa.Column("language", sa.String(16), nullable=False, server_default="en"),
        sa.Column("two_factor_enabled", sa.Boolean(), nullable=False, server_default=sa.text("false")),
        _created_at(),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        sa.Column("last_login", sa.DateTime(timezone=True)),
        schema=SCHEMA,
    )
    op.create_table(
        "sessions",
        sa.Column("id", sa.Uuid(), primary_key=True),
        sa.Column(
            "user_id", sa.Uuid(), sa.ForeignKey(f"{SCHEMA}.users.id", ondelete="CASCADE"), nullable=False
        ),
        _created_at(),
        sa.Column("revoked_at", sa.DateTime(timezone=True)),
        sa.Column("revoked_reason", sa.String(100)),
        schema=SCHEMA,
    )
    op.create_index("ix_gateway_sessions_user_id", "sessions", ["user_id"], schema=SCHEMA)
    op.create_table(
        "refresh_tokens",
        sa.Column("token_hash", sa.String(64), primary_key=True),
        sa.Column(
            "session_id",
            sa.Uuid(),
            sa.ForeignKey(f"{SCHEMA}.sessions.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("issued_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True)),
        schema=SCHEMA,
    )
    op.create_index("ix_gateway_refresh_tokens_session_id", "refresh_tokens", ["session_id"], schema=SCHEMA)


def _orders() -> None:
    op.create_table(
        "orders",
        sa.Column("order_id", sa.Uuid(), primary_key=True),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("account_id", sa.Uuid(), nullable=False),
        sa.Column("venue", sa.String(32), nullable=False),
        sa.Column("symbol", sa.String(41), nullable=False),
        sa.Column("side", sa.String(8), nullable=False),
        sa.Column("type", sa.String(16), nullable=False),
        sa.Column("quantity", sa.Numeric(), nullable=False),
        sa.Column("price", sa.Numeric()),
        sa.Column("stop_price", sa.Numeric()),
        sa.Column("client_order_id", sa.String(64), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("filled_quantity", sa.Numeric(), nullable=False, server_default=sa.text("0")),
        sa.Column("fill_notional", sa.Numeric(), nullable=False, server_default=sa.text("0")),
        sa.Column("average_price", sa.Numeric()),
        sa.Column("fee", sa.Numeric(), nullable=False, server_default=sa.text("0")),
        _created_at(),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        sa.Column("executed_at", sa.DateTime(timezone=True)),
        sa.Column("error", sa.String(600)),
        sa.Column("reject_reason", sa.String(600)),
        sa.UniqueConstraint("user_id", "client_order_id", name="uq_gateway_orders_client_order_id"),
        schema=SCHEMA,
    )
    op.create_index("ix_gateway_orders_user_created", "orders", ["user_id", "created_at"], schema=SCHEMA)


def _audit_log() -> None:
    op.create_table(
        "audit_log",
        sa.Column("event_id", sa.Uuid(), primary_key=True),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("producer", sa.String(64), nullable=False),
        sa.Column("actor", sa.String(200), nullable=False),
        sa.Column("action", sa.String(100), nullable=False),
        sa.Column("target", sa.String(200), nullable=False, server_default=""),
        sa.Column("reason", sa.String(500), nullable=False, server_default=""),
        sa.Column("details", postgresql.JSONB(), nullable=False, server_default=sa.text("'{}'::jsonb")),
        schema=SCHEMA,
    )
    op.create_index("ix_gateway_audit_occurred", "audit_log", ["occurred_at"], schema=SCHEMA)
    op.create_index("ix_gateway_audit_actor", "audit_log", ["actor"], schema=SCHEMA)
    op.create_index("ix_gateway_audit_target", "audit_log", ["target"], schema=SCHEMA)


def upgrade() -> None:
    create_outbox_and_inbox(SCHEMA)
    _auth_tables()
    _orders()
    _audit_log()


def downgrade() -> None:
    for table in (
        "audit_log",
        "orders",
        "refresh_tokens",
        "sessions",
        "users",
        "processed_messages",
        "outbox",
    ):
        op.drop_table(table, schema=SCHEMA)
