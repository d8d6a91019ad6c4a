"""`tradeplane export`: a user's (or every user's) orders, fills, closed trades and equity as files.

Read from the services' own schemas in PostgreSQL (execution's orders and fills, pnl's trades and
equity snapshots) in a read-only transaction, so an export can never change what it reads. Amounts stay
exact: decimal text in CSV, decimals in Parquet (`pip install 'tradeplane-cli[parquet]'` adds pyarrow).
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from enum import StrEnum
from pathlib import Path
from typing import Any
from uuid import UUID

import psycopg

from .database import libpq_url

TOTAL = UUID(int=0)
"""pnl's equity snapshot of all of a user's accounts (`scope`)."""


class Format(StrEnum):
    CSV = "csv"
    PARQUET = "parquet"


class ExportError(Exception):
    """The export cannot be made as asked (a message for the user, exit 2)."""


@dataclass(frozen=True)
class Dataset:
    """One file of an export: `source`'s rows of the user (`user_column`; every user's with no user)
    whose `at` falls in the half-open range, in `order`."""

    name: str
    source: str
    """`<columns> FROM <tables>`."""
    user_column: str
    at: str
    order: str
    where: tuple[str, ...] = ()
    """Conditions before the user's and the range's (SQL over `%(total)s`)."""

    @property
    def query(self) -> str:
        """SQL with `%(user)s` (NULL for every user), `%(start)s` and `%(end)s`."""
        conditions = (
            *self.where,
            f"(%(user)s::uuid IS NULL OR {self.user_column} = %(user)s::uuid)",
            f"{self.at} >= %(start)s AND {self.at} < %(end)s",
        )
        # The tables and columns are this module's own names; the values are bound parameters.
        where = "\n   AND ".join(conditions)
        return f"SELECT {self.source}\n WHERE {where}\n ORDER BY {self.order}"


DATASETS: tuple[Dataset, ...] = (
    Dataset(
        "orders",
        """order_id, user_id, account_id, client_order_id, symbol, side, type, quantity, price,
               stop_price, status, filled_quantity, notional, fees, reason, venue_order_id, created_at,
               updated_at
          FROM execution.orders""",
        user_column="user_id",
        at="created_at",
        order="created_at, order_id",
    ),
    Dataset(
        "fills",
        """f.order_id, f.fill_id, o.user_id, o.account_id, o.symbol, o.side, f.quantity, f.price,
               f.fee, f.fee_currency, f.liquidity, f.filled_at
          FROM execution.fills f JOIN execution.orders o ON o.order_id = f.order_id""",
        user_column="o.user_id",
        at="f.filled_at",
        order="f.filled_at, f.order_id, f.fill_id",
    ),
    Dataset(
        "trades",
        """trade_id, user_id, account_id, venue, symbol, side, quantity, entry_price, exit_price,
               entry_at, exit_at, fees, pnl_usd, pnl_pct, duration_seconds
          FROM pnl.trades""",
        user_column="user_id",
        at="exit_at",
        order="exit_at, trade_id",
    ),
    Dataset(
        "equity",
        "user_id, at, cash, positions_value, equity FROM pnl.equity_snapshots",
        user_column="user_id",
        at="at",
        order="user_id, at",
        where=("scope = %(total)s::uuid",),
    ),
)


@dataclass(frozen=True)
class Table:
    columns: list[str]
    rows: list[tuple[Any, ...]]


def read(database_url: str, user: UUID | None, start: datetime, end: datetime) -> Iterator[tuple[str, Table]]:
    """Each dataset's rows, read in one read-only transaction (one consistent snapshot)."""
    params = {"user": str(user) if user else None, "start": start, "end": end, "total": str(TOTAL)}
    with psycopg.connect(libpq_url(database_url), connect_timeout=5) as conn:
        conn.read_only = True
        conn.isolation_level = psycopg.IsolationLevel.REPEATABLE_READ
        for dataset in DATASETS:
            cursor = conn.execute(dataset.query, params)
            columns = [column.name for column in cursor.description or ()]
            yield dataset.name, Table(columns, cursor.fetchall())


def _text(value: Any) -> Any:
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, UUID):
        return str(value)
    return value


def write_csv(path: Path, table: Table) -> None:
    with path.open("w", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(table.columns)
        writer.writerows([_text(v) for v in row] for row in table.rows)


def write_parquet(path: Path, table: Table) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    columns = []
    for index in range(len(table.columns)):
        values = [str(row[index]) if isinstance(row[index], UUID) else row[index] for row in table.rows]
        try:
            columns.append(pa.array(values))
        except (pa.ArrowInvalid, pa.ArrowTypeError):  # e.g. more digits than a decimal256 holds
            columns.append(pa.array([None if v is None else _text(v) for v in values], type=pa.string()))
    pq.write_table(pa.Table.from_arrays(columns, names=table.columns), path)


def ensure_format(fmt: Format) -> None:
    if fmt is Format.PARQUET:
        try:
            import pyarrow.parquet  # noqa: F401
        except ImportError as exc:
            raise ExportError(
                "--format parquet needs pyarrow: pip install 'tradeplane-cli[parquet]' (or use --format csv)"
            ) from exc


def export(
    database_url: str,
    out: Path,
    *,
    user: UUID | None,
    start: datetime,
    end: datetime,
    fmt: Format = Format.CSV,
) -> dict[str, int]:
    """Write `<out>/<dataset>.<fmt>` for orders, fills, trades and equity; the rows of each."""
    if end <= start:
        raise ExportError("--to must be after --from")
    ensure_format(fmt)
    out.mkdir(parents=True, exist_ok=True)
    counts: dict[str, int] = {}
    for name, table in read(database_url, user, start, end):
        path = out / f"{name}.{fmt.value}"
        (write_parquet if fmt is Format.PARQUET else write_csv)(path, table)
        counts[name] = len(table.rows)
    return counts


def parse_time(text: str) -> datetime:
    """An ISO 8601 time or date; without a timezone it is UTC."""
    try:
        value = datetime.fromisoformat(text)
    except ValueError as exc:
        raise ExportError(
            f"not an ISO 8601 time: {text!r} (e.g. 2026-12-01 or 2026-12-01T09:30:00Z)"
        ) from exc
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)
