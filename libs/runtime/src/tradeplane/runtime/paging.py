"""One page of a table's rows with the count of all that match: the shape of every listing query."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import ColumnElement, FromClause, Row, func, select
from sqlalchemy.ext.asyncio import AsyncConnection


async def counted_page(
    conn: AsyncConnection,
    table: FromClause,
    where: Sequence[ColumnElement[bool]],
    order_by: Sequence[ColumnElement[Any]],
    *,
    offset: int,
    limit: int,
) -> tuple[list[Row[Any]], int]:
    """The rows of `table` matching every `where` condition, `order_by`, from `offset` (at most `limit`
    of them), and how many match in all."""
    total = (await conn.execute(select(func.count()).select_from(table).where(*where))).scalar_one()
    rows = await conn.execute(select(table).where(*where).order_by(*order_by).offset(offset).limit(limit))
    return list(rows), int(total)
