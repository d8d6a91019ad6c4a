"""The executor's periodic work: polling live orders, stopping idle actors, and the halt gauge."""

from __future__ import annotations

from datetime import timedelta
from uuid import UUID

from tradeplane.contracts import utcnow
from tradeplane.runtime import Periodic

from . import metrics
from .account_actor import AccountActor
from .actors import ActorPool, log_failure
from .adapters.store import Store
from .config import Settings
from .halts import HaltBook

Pool = ActorPool[UUID, AccountActor]


def start(pool: Pool, store: Store, halts: HaltBook, settings: Settings) -> Periodic:
    periodic = Periodic()
    periodic.start("poll", settings.live_poll_seconds, lambda: poll_live(pool), at_once=False)
    periodic.start("reap", 60.0, lambda: reap(pool, store, settings), at_once=False)
    periodic.start("deadman", 0.5, lambda: watch(halts), at_once=False)
    return periodic


async def poll_live(pool: Pool) -> None:
    """Ask the venue about each idle live account's open orders (their fills arrive no other way)."""
    for actor in pool.actors():
        state = actor.state
        if state.started and not state.is_paper and state.open and actor.idle:
            actor.post(lambda s: s.poll()).add_done_callback(log_failure)


async def reap(pool: Pool, store: Store, settings: Settings) -> None:
    """Stop idle actors without open orders, and forget stored cancels old enough."""
    await pool.stop_idle(settings.actor_idle_seconds, keep=lambda s: bool(s.open))
    metrics.ACTORS.set(len(pool))
    keep = timedelta(hours=settings.cancel_request_keep_hours)
    await store.prune_cancels(utcnow() - keep)


async def watch(halts: HaltBook) -> None:
    metrics.HALTED.set(halts.halted_gauge)
