"""Account actors: one account's jobs run one at a time in posting order; accounts run in parallel."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest
from opentelemetry import trace
from tradeplane.execution.actors import ActorPool
from tradeplane.runtime import ServiceSettings, telemetry

from .fakes import Harness, account, approval


class Recorder:
    def __init__(self) -> None:
        self.log: list[tuple[str, int]] = []
        self.running = 0
        self.max_running = 0

    async def job(self, key: str, n: int, pause: float = 0.01) -> int:
        self.running += 1
        self.max_running = max(self.max_running, self.running)
        await asyncio.sleep(pause)
        self.running -= 1
        self.log.append((key, n))
        return n


def job(key: str, n: int, pause: float = 0.01) -> Callable[[Recorder], Awaitable[int]]:
    return lambda r: r.job(key, n, pause)


def approving(msg: Any) -> Callable[[Any], Awaitable[None]]:
    """A job approving `msg` on the account's session."""
    return lambda session: session.approve(msg)


def pool() -> ActorPool[str, Recorder]:
    shared = Recorder()
    return ActorPool(lambda key: shared)


async def test_jobs_of_one_key_run_one_at_a_time_in_posting_order() -> None:
    actors = pool()

    results = await asyncio.gather(*(actors.post("a", job("a", n)) for n in range(5)))

    recorder = actors.get("a").state
    assert results == [0, 1, 2, 3, 4]
    assert recorder.log == [("a", n) for n in range(5)]
    assert recorder.max_running == 1


async def test_jobs_of_different_keys_run_at_the_same_time() -> None:
    actors = pool()

    await asyncio.gather(*(actors.post(key, job(key, 0, 0.05)) for key in "abcd"))

    assert actors.get("a").state.max_running == 4


async def test_a_failing_job_fails_its_poster_and_the_actor_goes_on() -> None:
    actors = pool()

    async def boom(recorder: Recorder) -> None:
        raise ValueError("boom")

    failing = actors.post("a", boom)
    after = actors.post("a", lambda r: r.job("a", 7))

    with pytest.raises(ValueError, match="boom"):
        await failing
    assert await after == 7


async def test_stop_idle_keeps_actors_whose_state_must_stay() -> None:
    actors: ActorPool[str, set[str]] = ActorPool(lambda key: {key})
    for key in ("keep", "drop"):
        await actors.post(key, _noop)

    stopped = await actors.stop_idle(0, keep=lambda state: "keep" in state)

    assert stopped == 1
    assert [a.name for a in actors.actors()] == ["keep"]


async def _noop(state: object) -> None:
    return None


async def test_executor_pool_sends_one_accounts_approvals_serially_and_accounts_in_parallel() -> None:
    h = Harness()
    h.venue.delay = 0.02
    accounts = [h.store.add(account()) for _ in range(3)]
    actors: ActorPool[UUID, Any] = ActorPool(lambda account_id: h.session(h.store.accounts[account_id]))
    approvals = [approval(a) for a in accounts for _ in range(4)]

    await asyncio.gather(*(actors.post(m.account_id, approving(m)) for m in approvals))

    sent = [o.order_id for o in h.venue.submitted]
    for acct in accounts:
        mine = [m.order_id for m in approvals if m.account_id == acct.id]
        assert [o for o in sent if o in mine] == mine
    assert h.venue.max_running == 3  # one per account at a time, all three accounts at once


async def test_drain_waits_for_jobs_already_posted() -> None:
    actors = pool()
    posted = [actors.post("a", job("a", n)) for n in range(3)]

    await actors.drain(timeout=5)

    assert all(f.done() for f in posted)


async def test_each_job_runs_in_the_trace_of_whoever_posted_it(tmp_path: Path) -> None:
    telemetry.configure_tracing("execution", ServiceSettings(otel_export_file=str(tmp_path / "spans.jsonl")))
    actors: ActorPool[str, None] = ActorPool(lambda key: None)

    async def current_trace(state: None) -> int:
        return trace.get_current_span().get_span_context().trace_id

    try:
        seen, posted = [], []
        for name in ("first order", "second order"):
            with telemetry.span(name) as span:
                assert span is not None
                posted.append(span.get_span_context().trace_id)
                seen.append(await actors.post("account", current_trace))
    finally:
        await actors.stop()
        telemetry.configure_tracing("execution", ServiceSettings())

    assert seen == posted
    assert posted[0] != posted[1]
