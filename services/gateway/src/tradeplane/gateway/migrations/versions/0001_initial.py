"""Initial gateway schema: outbox, inbox, users, sessions, refresh tokens, orders and the audit log.

Create Date: 2026-01-20
"""

import sqlalchemy as sa
from alembic import op
from tradeplane.runtime import columns as col
from tradeplane.runtime.migrations import create_outbox_and_inbox

revision = "0001"
down_revision = None

SCHEMA = "gateway"


def _auth_tables() -> None:
    op.create_table(
        "users",
        col.uuid("id", primary_key=True),
        sa.Column("email", sa.String(254), nullable=False, unique=True),
        sa.Column("name", sa.String(200), nullable=False, server_default=""),
        sa.Column("password_hash", sa.String(255), nullable=False),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("timezone", sa.String(64), nullable=False, server_default="UTC"),
        sa.Column("language", sa.String(16), nullable=False, server_default="en"),
        sa.Column("two_factor_enabled", sa.Boolean(), nullable=False, server_default=sa.text("false")),
        col.created_at(),
        col.updated_at(),
        col.timestamp("last_login", nullable=True),
        schema=SCHEMA,
    )
    op.create_table(
        "sessions",
        col.uuid("id", primary_key=True),
        col.user_id(sa.ForeignKey(f"{SCHEMA}.users.id", ondelete="CASCADE")),
        col.created_at(),
        col.timestamp("revoked_at", nullable=True),
        sa.Column("revoked_reason", sa.String(100)),
        schema=SCHEMA,
    )
    op.create_index("ix_gateway_sessions_user_id", "sessions", ["user_id"], schema=SCHEMA)
    op.create_table(
        "refresh_tokens",
        sa.Column("token_hash", sa.String(64), primary_key=True),
        col.uuid("session_id", sa.ForeignKey(f"{SCHEMA}.sessions.id", ondelete="CASCADE")),
        col.timestamp("issued_at", now=True),
        col.timestamp("expires_at"),
        col.timestamp("used_at", nullable=True),
        schema=SCHEMA,
    )
    op.create_index("ix_gateway_refresh_tokens_session_id", "refresh_tokens", ["session_id"], schema=SCHEMA)


def _orders() -> None:
    op.create_table(
        "orders",
        col.uuid("order_id", primary_key=True),
        col.user_id(),
        col.account_id(),
        col.venue(),
        col.symbol(),
        sa.Column("side", sa.String(8), nullable=False),
        sa.Column("type", sa.String(16), nullable=False),
        col.money("quantity"),
        col.money("price", nullable=True),
        col.money("stop_price", nullable=True),
        sa.Column("client_order_id", sa.String(64), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        col.money("filled_quantity", server_default=sa.text("0")),
        col.money("fill_notional", server_default=sa.text("0")),
        col.money("average_price", nullable=True),
        col.money("fee", server_default=sa.text("0")),
        col.created_at(),
        col.updated_at(),
        col.timestamp("executed_at", nullable=True),
        sa.Column("error", sa.String(600)),
        sa.Column("reject_reason", sa.String(600)),
        sa.UniqueConstraint("user_id", "client_order_id", name="uq_gateway_orders_client_order_id"),
        schema=SCHEMA,
    )
    op.create_index("ix_gateway_orders_user_created", "orders", ["user_id", "created_at"], schema=SCHEMA)


def _audit_log() -> None:
    op.create_table(
        "audit_log",
        col.uuid("event_id", primary_key=True),
        col.timestamp("occurred_at"),
        sa.Column("producer", sa.String(64), nullable=False),
        sa.Column("actor", sa.String(200), nullable=False),
        sa.Column("action", sa.String(100), nullable=False),
        sa.Column("target", sa.String(200), nullable=False, server_default=""),
        sa.Column("reason", sa.String(500), nullable=False, server_default=""),
        col.json_object("details"),
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
