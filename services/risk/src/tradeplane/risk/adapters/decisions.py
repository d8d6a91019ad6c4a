"""What the pre-trade check persists, as one small interface: the SQL + outbox implementation lives here,
an in-memory one in the unit tests. Each `transaction` is ONE database transaction with its events."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Protocol
from uuid import UUID

from tradeplane.contracts import Message
from tradeplane.riskrules import RiskState
from tradeplane.runtime import Outbox, Tx

from . import repo

Outcome = tuple[bool, str | None, str | None]
"""A decision as stored: (approved, reject code, reason)."""


class DecisionTx(Protocol):
    async def lock(self, user_id: UUID, order_id: UUID) -> repo.StateRow:
        """The user's state, locked until the transaction ends, with the decision already taken on the
        order, if any (see `repo.lock`)."""
        ...

    async def record_decision(
        self, order_id: UUID, user_id: UUID, outcome: Outcome, state: RiskState | None
    ) -> None:
        """Store the decision and, unless None, the user's new state, with the events emitted so far
        (emit first: one statement writes them all)."""
        ...

    def emit(self, subject: str, message: Message) -> None:
        """Publish `message` once the transaction commits."""
        ...


class DecisionStore(Protocol):
    def transaction(self) -> AbstractAsyncContextManager[DecisionTx]: ...


class SqlDecisionStore:
    def __init__(self, outbox: Outbox) -> None:
        self._outbox = outbox

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[DecisionTx]:
        async with self._outbox.transaction() as tx:
            yield _SqlDecisionTx(tx)


class _SqlDecisionTx:
    def __init__(self, tx: Tx) -> None:
        self._tx = tx

    async def lock(self, user_id: UUID, order_id: UUID) -> repo.StateRow:
        return await repo.lock(self._tx.conn, user_id, order_id)

    async def record_decision(
        self, order_id: UUID, user_id: UUID, outcome: Outcome, state: RiskState | None
    ) -> None:
        await self._tx.execute(repo.record_decision(order_id, user_id, outcome, state))

    def emit(self, subject: str, message: Message) -> None:
        self._tx.emit(subject, message)
