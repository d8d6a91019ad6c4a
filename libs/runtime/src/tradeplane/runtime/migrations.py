"""Alembic, one schema per service: each service keeps its migrations and version table in its schema.

The migration steps here (and the column kinds of `tradeplane.runtime.columns`) are frozen: migrations
that already ran call them, so they are added to, never changed.
"""

from __future__ import annotations

import zlib
from pathlib import Path

from alembic import command, context
from alembic.config import Config
from sqlalchemy import MetaData, create_engine, text


def upgrade(database_url: str, script_location: Path, revision: str = "head") -> None:
    """Apply a service's migrations (blocking; concurrent callers wait on an advisory lock)."""
    config = Config()
    config.set_main_option("script_location", str(script_location))
    config.set_main_option("sqlalchemy.url", database_url.replace("%", "%%"))
    command.upgrade(config, revision)


def run_env(metadata: MetaData) -> None:
    """The body of every service's `env.py`."""
    schema = metadata.schema
    assert schema, "service metadata must name its schema"
    url = context.config.get_main_option("sqlalchemy.url")
    assert url
    engine = create_engine(url, hide_parameters=True)
    with engine.connect() as conn:
        conn.execute(text("SELECT pg_advisory_lock(:k)"), {"k": zlib.crc32(schema.encode())})
        try:
            conn.execute(text(f'CREATE SCHEMA IF NOT EXISTS "{schema}"'))
            conn.commit()
            context.configure(
                connection=conn,
                target_metadata=metadata,
                version_table_schema=schema,
                include_schemas=False,
            )
            with context.begin_transaction():
                context.run_migrations()
            conn.commit()
        finally:
            conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": zlib.crc32(schema.encode())})
            conn.commit()
    engine.dispose()


def create_outbox_and_inbox(schema: str) -> None:
    """Migration step: the outbox and processed-message tables as of version 1 (see `db.service_metadata`).

    Frozen: a later change to these tables gets its own migration step, never an edit here.
    """
    import sqlalchemy as sa
    from alembic import op
    from sqlalchemy.dialects import postgresql

    op.create_table(
        "outbox",
        sa.Column("id", sa.BigInteger(), sa.Identity(), primary_key=True),
        sa.Column("event_id", sa.Uuid(), nullable=False, unique=True),
        sa.Column("subject", sa.String(300), nullable=False),
        sa.Column("payload", sa.LargeBinary(), nullable=False),
        sa.Column("headers", postgresql.JSONB(), nullable=False, server_default=sa.text("'{}'::jsonb")),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        sa.Column("published_at", sa.DateTime(timezone=True)),
        schema=schema,
    )
    create_partial_index(schema, f"ix_{schema}_outbox_unpublished", "outbox", ["id"], "published_at IS NULL")
    op.create_table(
        "processed_messages",
        sa.Column("consumer", sa.String(100), primary_key=True),
        sa.Column("event_id", sa.Uuid(), primary_key=True),
        sa.Column("processed_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        schema=schema,
    )


def create_partial_index(schema: str, name: str, table: str, columns: list[str], where: str) -> None:
    """Migration step: an index over only the rows the SQL condition `where` holds for."""
    import sqlalchemy as sa
    from alembic import op

    op.create_index(name, table, columns, schema=schema, postgresql_where=sa.text(where))
