"""Applying a halt in this executor: acknowledge (sending has stopped), then cancel the open orders.

Paper accounts are cancelled together in ONE transaction while holding their actors' locks; live
accounts cancel through their actors' mailboxes, concurrently, each bounded by a timeout. Each
cancellation is reported by its own OrderCanceled after the ack.
"""

from __future__ import annotations

import asyncio
import logging
from uuid import UUID, uuid5

from tradeplane.contracts import HaltAck, HaltEngaged, HaltScope, subjects

from .account_actor import AccountActor
from .actors import Actor, ActorPool
from .adapters.store import Store
from .outcomes import PRODUCER, Outcome

log = logging.getLogger(__name__)

Pool = ActorPool[UUID, AccountActor]
ACK_NAMESPACE = UUID("5b0f3c1e-7a2d-4c59-9e1b-2f8d6a4c3e71")
"""uuid5 namespace of HaltAck event ids."""


class KillSwitch:
    def __init__(self, pool: Pool, store: Store, executor_id: str, live_timeout: float) -> None:
        self._pool = pool
        self._store = store
        self._executor_id = executor_id
        self._live_timeout = live_timeout
        self._lock = asyncio.Lock()

    async def apply(self, halt: HaltEngaged) -> int:
        """Acknowledge `halt`, then cancel what it covers; returns how many orders were cancelled.

        Sending stopped before this is called (the `HaltBook` is engaged first), so the HaltAck goes out
        at once, in its own small transaction, counting the open orders being cancelled; each
        cancellation is then reported by its OrderCanceled. A halt of thousands of orders is thus
        acknowledged in milliseconds, whatever the cancels take.
        """
        reason = f"kill switch: {halt.reason}"[:500]
        async with self._lock:
            affected = [a for a in self._pool.actors() if _covers(halt, a.state)]
            await self._acknowledge(halt, sum(len(a.state.open) for a in affected))
            live = [a for a in affected if a.state.live_account and (a.state.open or not a.state.started)]
            paper = [a for a in affected if a.state.paper_account]
            live_count = asyncio.ensure_future(self._cancel_live(live, reason))
            cancelled = await self._cancel_paper(paper, reason)
            cancelled += await live_count
        return cancelled

    async def _cancel_paper(self, actors: list[Actor[AccountActor]], reason: str) -> int:
        actors = sorted(actors, key=lambda a: a.name)  # one order of locking: no deadlock between halts
        for actor in actors:
            await actor.lock.acquire()
        try:
            await _restart_reset([a.state for a in actors])
            states = [a.state for a in actors if a.state.started and a.state.is_paper and a.state.open]
            cancelled = {s.account_id: s.paper_cancel_all(reason) for s in states}
            count = sum(len(outcomes) for outcomes in cancelled.values())
            if count:
                await self._commit(states, cancelled, reason)
            return count
        finally:
            for actor in actors:
                actor.lock.release()

    async def _commit(
        self, states: list[AccountActor], cancelled: dict[UUID, list[Outcome]], reason: str
    ) -> None:
        outcomes = [o for found in cancelled.values() for o in found]
        try:
            await self._store.commit_halt(outcomes, reason, [s.account_id for s in states])
        except Exception:
            for state in states:
                await state.reset()
            raise
        for state in states:
            state.applied(cancelled[state.account_id])

    async def _cancel_live(self, actors: list[Actor[AccountActor]], reason: str) -> int:
        if not actors:
            return 0
        futures = [actor.post(lambda s: s.cancel_all(reason)) for actor in actors]
        done, pending = await asyncio.wait(futures, timeout=self._live_timeout)
        if pending:
            log.error("live cancels did not finish in time", extra={"accounts": len(pending)})
        return sum(f.result() for f in done if f.exception() is None)

    async def _acknowledge(self, halt: HaltEngaged, count: int) -> None:
        await self._store.commit((), [(subjects.halt_ack(self._executor_id), self._ack(halt, count))])

    def _ack(self, halt: HaltEngaged, count: int) -> HaltAck:
        ack: HaltAck = halt.caused(
            HaltAck,
            PRODUCER,
            halt_event_id=halt.meta.event_id,
            executor=self._executor_id,
            scope=halt.scope,
            user_id=halt.user_id,
            cancelled_orders=count,
        )
        # One ack per halt and executor: a redelivered halt's ack is the same event (JetStream drops it).
        event_id = uuid5(ACK_NAMESPACE, f"{halt.meta.event_id}/{self._executor_id}")
        return ack.model_copy(update={"meta": ack.meta.model_copy(update={"event_id": event_id})})


async def _restart_reset(states: list[AccountActor]) -> None:
    """Actors reset by a failed commit (e.g. this halt's, before its redelivery) reload their orders
    first."""
    for state in states:
        if not state.started:
            try:
                await state.ensure_started()
            except Exception:
                log.exception(
                    "could not reload an account for the halt", extra={"account_id": str(state.account_id)}
                )


def _covers(halt: HaltEngaged, state: AccountActor) -> bool:
    return halt.scope is HaltScope.GLOBAL or state.user_id == halt.user_id
