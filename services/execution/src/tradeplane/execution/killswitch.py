"""Applying a halt in this executor: cancel the affected open orders, then acknowledge.

Paper accounts are cancelled together in ONE transaction while holding their actors' locks (a halt of
thousands of accounts must be acknowledged within milliseconds); live accounts cancel through their
actors' mailboxes, concurrently, each bounded by a timeout.
"""

from __future__ import annotations

import asyncio
import logging
from uuid import UUID

from tradeplane.contracts import HaltAck, HaltEngaged, HaltScope, subjects

from .account_actor import AccountActor
from .actors import Actor, ActorPool
from .adapters.store import Store
from .outcomes import PRODUCER, Outcome

log = logging.getLogger(__name__)

Pool = ActorPool[UUID, AccountActor]


class KillSwitch:
    def __init__(self, pool: Pool, store: Store, executor_id: str, live_timeout: float) -> None:
        self._pool = pool
        self._store = store
        self._executor_id = executor_id
        self._live_timeout = live_timeout
        self._lock = asyncio.Lock()

    async def apply(self, halt: HaltEngaged) -> int:
        """Cancel what `halt` covers and publish the HaltAck; returns how many orders were cancelled."""
        reason = f"kill switch: {halt.reason}"[:500]
        async with self._lock:
            affected = [a for a in self._pool.actors() if _covers(halt, a.state)]
            live = [a for a in affected if a.state.live_account and (a.state.open or not a.state.started)]
            paper = [a for a in affected if a.state.paper_account]
            live_count = asyncio.ensure_future(self._cancel_live(live, reason))
            ack = None if live else halt
            cancelled = await self._cancel_paper(paper, reason, ack)
            cancelled += await live_count
            if live:
                await self._acknowledge(halt, cancelled)
        return cancelled

    async def _cancel_paper(
        self, actors: list[Actor[AccountActor]], reason: str, ack: HaltEngaged | None
    ) -> int:
        actors = sorted(actors, key=lambda a: a.name)  # one order of locking: no deadlock between halts
        for actor in actors:
            await actor.lock.acquire()
        try:
            await _restart_reset([a.state for a in actors])
            states = [a.state for a in actors if a.state.started and a.state.is_paper and a.state.open]
            cancelled = {s.account_id: s.paper_cancel_all(reason) for s in states}
            count = sum(len(outcomes) for outcomes in cancelled.values())
            if count or ack is not None:
                await self._commit(states, cancelled, reason, ack, count)
            return count
        finally:
            for actor in actors:
                actor.lock.release()

    async def _commit(
        self,
        states: list[AccountActor],
        cancelled: dict[UUID, list[Outcome]],
        reason: str,
        ack: HaltEngaged | None,
        count: int,
    ) -> None:
        first = [] if ack is None else [(subjects.halt_ack(self._executor_id), self._ack(ack, count))]
        outcomes = [o for found in cancelled.values() for o in found]
        try:
            await self._store.commit_halt(first, outcomes, reason, [s.account_id for s in states])
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
        return ack


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
