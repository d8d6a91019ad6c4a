"""What account actors persist, as one small interface: the SQL + outbox implementation lives here, a fake
one in the unit tests. Every `commit` is ONE transaction: order rows, fills, paper state and events."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncEngine
from tradeplane.contracts import CancelOrder, subjects
from tradeplane.runtime import Outbox, reading

from ..domain.order_state import OrderRecord, SendState
from ..outcomes import Event, OrderContext, Outcome, TrackedOrder
from . import accounts, repo


@dataclass(frozen=True, slots=True)
class Unfinished:
    tracked: TrackedOrder
    send_state: SendState
    created_at: datetime


@dataclass(frozen=True, slots=True)
class Arrival:
    """What the store knows of an order when its approval or cancel arrives."""

    send_state: SendState | None
    """The send state of a known order; None for one not seen yet."""
    cancel_reason: str | None = None
    """Set when a cancel came before the order was sent: it must then never reach the venue."""

    @property
    def unsent(self) -> bool:
        """Not (known to be) at the venue: never seen, or a send interrupted before its answer."""
        return self.send_state is None or self.send_state == SendState.SENDING


class Store(Protocol):
    async def account(self, account_id: UUID) -> accounts.Account | None: ...

    async def arrival(self, order_id: UUID) -> Arrival: ...

    async def remember_cancel(self, cmd: CancelOrder) -> None:
        """Durably note a cancel for an order not sent yet (idempotent)."""
        ...

    async def prune_cancels(self, before: datetime) -> int: ...

    async def unfinished(self, account_id: UUID, venue: str) -> list[Unfinished]: ...

    async def paper_state(self, account_id: UUID) -> dict[str, Any] | None: ...

    async def mark_sending(self, ctx: OrderContext, record: OrderRecord) -> None: ...

    async def commit(
        self,
        outcomes: Sequence[Outcome],
        events: Sequence[Event] = (),
        paper: tuple[UUID, dict[str, Any]] | None = None,
    ) -> None: ...

    async def commit_halt(self, outcomes: Sequence[Outcome], reason: str, emptied: Sequence[UUID]) -> None:
        """Many paper cancels at once, leaving the `emptied` accounts' engines without orders (a cancel
        changes nothing else in an engine)."""
        ...


class SqlStore:
    def __init__(self, engine: AsyncEngine, outbox: Outbox, partitions: int) -> None:
        self._engine = engine
        self._outbox = outbox
        self._partitions = partitions

    async def account(self, account_id: UUID) -> accounts.Account | None:
        async with reading(self._engine) as conn:
            return await accounts.get(conn, account_id)

    async def arrival(self, order_id: UUID) -> Arrival:
        async with reading(self._engine) as conn:  # one statement: no transaction needed
            return Arrival(*await repo.arrival(conn, order_id))

    async def remember_cancel(self, cmd: CancelOrder) -> None:
        async with self._engine.begin() as conn:
            await repo.remember_cancel(conn, cmd.order_id, cmd.account_id, cmd.user_id, cmd.reason)

    async def prune_cancels(self, before: datetime) -> int:
        async with self._engine.begin() as conn:
            return await repo.prune_cancels(conn, before)

    async def unfinished(self, account_id: UUID, venue: str) -> list[Unfinished]:
        async with self._engine.connect() as conn:
            rows = await repo.unfinished_orders(conn, account_id)
            known = await repo.fill_ids(conn, [row.order_id for row in rows])
        found = []
        for row in rows:
            partition = subjects.partition_of(row.user_id, self._partitions)
            tracked = repo.tracked_from_row(row, venue, partition, known.get(row.order_id, frozenset()))
            found.append(Unfinished(tracked, SendState(row.send_state), row.created_at))
        return found

    async def paper_state(self, account_id: UUID) -> dict[str, Any] | None:
        async with reading(self._engine) as conn:
            return await repo.load_paper_state(conn, account_id)

    async def mark_sending(self, ctx: OrderContext, record: OrderRecord) -> None:
        async with self._engine.begin() as conn:
            await repo.write_order(conn, ctx, record, SendState.SENDING)

    async def commit(
        self,
        outcomes: Sequence[Outcome],
        events: Sequence[Event] = (),
        paper: tuple[UUID, dict[str, Any]] | None = None,
    ) -> None:
        async with self._outbox.transaction() as tx:
            for outcome in outcomes:
                for subject, event in outcome.events:
                    tx.emit(subject, event)
            for subject, event in events:
                tx.emit(subject, event)
            await repo.write_outcomes(tx, outcomes, paper)  # the rows and the events: one statement

    async def commit_halt(self, outcomes: Sequence[Outcome], reason: str, emptied: Sequence[UUID]) -> None:
        async with self._outbox.transaction() as tx:
            for outcome in outcomes:
                for subject, event in outcome.events:
                    tx.emit(subject, event)
            if outcomes:  # the orders, the engines and the events: one statement
                cancels = repo.cancel_orders([o.ctx.order_id for o in outcomes], reason)
                await tx.execute(repo.clear_paper_orders(emptied).add_cte(cancels.cte("cancels")))
