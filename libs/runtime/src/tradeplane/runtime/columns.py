"""The kinds of column every service declares the same way: ids, symbols, venues, money and UTC times.

Each service's `tables.py` and its Alembic migrations build their columns from these, so a symbol is
`VARCHAR(41)` and money is `NUMERIC` everywhere, and every timestamp is timezone-aware.

Frozen: migrations that already ran call these functions, so a function here never changes the column
it declares (that would change those migrations' DDL). A new kind of column gets a new function, and a
table that moves to it gets a migration step of its own.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import BigInteger, Column, DateTime, Identity, Numeric, String, Uuid, func, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.sql.elements import TextClause
from sqlalchemy.sql.schema import SchemaItem

SYMBOL_LENGTH = 41
"""A market symbol: `BASE/QUOTE`, each up to 20 characters (`contracts.orders.SYMBOL_PATTERN`)."""
VENUE_LENGTH = 32
"""A venue's name (`kraken`, `paper`, ...), as the contracts bound it."""


def uuid(
    name: str, *constraints: SchemaItem, nullable: bool = False, primary_key: bool = False
) -> Column[Any]:
    """An id (`UUID`), required unless `nullable`; `constraints` such as a `ForeignKey`."""
    return Column(name, Uuid, *constraints, nullable=nullable, primary_key=primary_key)


def user_id(*constraints: SchemaItem, nullable: bool = False, primary_key: bool = False) -> Column[Any]:
    """The user a row belongs to."""
    return uuid("user_id", *constraints, nullable=nullable, primary_key=primary_key)


def account_id(*constraints: SchemaItem, nullable: bool = False, primary_key: bool = False) -> Column[Any]:
    """The venue account a row belongs to."""
    return uuid("account_id", *constraints, nullable=nullable, primary_key=primary_key)


def sequence() -> Column[Any]:
    """`seq`, the order rows were added in (an identity): pages of a user's rows follow it."""
    return Column("seq", BigInteger, Identity(), nullable=False, unique=True)


def symbol(*, primary_key: bool = False) -> Column[Any]:
    """A market symbol (`VARCHAR(41)`, required)."""
    return Column("symbol", String(SYMBOL_LENGTH), nullable=False, primary_key=primary_key)


def venue(*, primary_key: bool = False) -> Column[Any]:
    """A venue's name (`VARCHAR(32)`, required)."""
    return Column("venue", String(VENUE_LENGTH), nullable=False, primary_key=primary_key)


def json_object(name: str) -> Column[Any]:
    """A JSON object (`JSONB`, required), `{}` until set."""
    return Column(name, JSONB, nullable=False, server_default=text("'{}'::jsonb"))


def money(
    name: str, *, nullable: bool = False, server_default: str | TextClause | None = None
) -> Column[Any]:
    """An amount, price or quantity (`NUMERIC`: read back as `Decimal`, never float)."""
    return Column(name, Numeric, nullable=nullable, server_default=server_default)


def timestamp(name: str, *, nullable: bool = False, now: bool = False) -> Column[Any]:
    """A moment (`TIMESTAMP WITH TIME ZONE`), required unless `nullable`; `now`: defaults to now()."""
    return Column(
        name, DateTime(timezone=True), nullable=nullable, server_default=func.now() if now else None
    )


def created_at() -> Column[Any]:
    """When the row was created (defaults to now())."""
    return timestamp("created_at", now=True)


def updated_at() -> Column[Any]:
    """When the row last changed (defaults to now(); the writer sets it on update)."""
    return timestamp("updated_at", now=True)
