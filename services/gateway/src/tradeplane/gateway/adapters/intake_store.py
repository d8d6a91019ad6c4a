"""What order intake persists, as one small interface: the SQL + outbox implementation lives here, an
in-memory one in the unit tests. `insert_order` is one autocommitted statement with its event; each
`transaction` is ONE database transaction with its events."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Any, Protocol
from uuid import UUID

from sqlalchemy import Row
from tradeplane.contracts import Message
from tradeplane.runtime import Runtime, Tx, reading

from . import order_view


class IntakeTx(Protocol):
    async def by_id(self, user_id: UUID, order_id: UUID) -> Row[Any] | None: ...

    def emit(self, subject: str, message: Message) -> None:
        """Publish `message` once the transaction commits."""
        ...


class IntakeStore(Protocol):
    async def by_client_id(self, user_id: UUID, client_order_id: str) -> Row[Any] | None:
        """The user's order with this client order id, outside any transaction."""
        ...

    async def insert_order(self, values: dict[str, Any], subject: str, event: Message) -> Row[Any] | None:
        """Insert a new order with its event, committed on its own, and return its row; None, and
        no event stored, when the user has one with its client order id (see `order_view`)."""
        ...

    def transaction(self) -> AbstractAsyncContextManager[IntakeTx]: ...


class SqlIntakeStore:
    def __init__(self, rt: Runtime) -> None:
        self._rt = rt

    async def by_client_id(self, user_id: UUID, client_order_id: str) -> Row[Any] | None:
        async with reading(self._rt.engine) as conn:
            return await order_view.by_client_id(conn, user_id, client_order_id)

    async def insert_order(self, values: dict[str, Any], subject: str, event: Message) -> Row[Any] | None:
        async with self._rt.outbox.statement() as one:  # one round trip: no BEGIN, no COMMIT
            one.emit(subject, event)
            rows = await one.execute(order_view.insert_order(**values))
        return rows[0] if rows else None

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[IntakeTx]:
        async with self._rt.outbox.transaction() as tx:
            yield _SqlIntakeTx(tx)


class _SqlIntakeTx:
    def __init__(self, tx: Tx) -> None:
        self._tx = tx

    async def by_id(self, user_id: UUID, order_id: UUID) -> Row[Any] | None:
        return await order_view.by_id(self._tx.conn, user_id, order_id)

    def emit(self, subject: str, message: Message) -> None:
        self._tx.emit(subject, message)
