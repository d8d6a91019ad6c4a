"""Periodic loops: when the first call comes, and that a failing call does not end its loop."""

from __future__ import annotations

import asyncio

from tradeplane.runtime import Periodic


async def test_a_loop_started_at_once_calls_before_its_first_wait() -> None:
    calls: list[str] = []

    async def job() -> None:
        calls.append("run")

    periodic = Periodic()
    periodic.start("job", 60.0, job)
    await asyncio.sleep(0.05)
    await periodic.stop()

    assert calls == ["run"]


async def test_a_loop_not_at_once_waits_first() -> None:
    calls: list[str] = []

    async def job() -> None:
        calls.append("run")

    periodic = Periodic()
    periodic.start("job", 60.0, job, at_once=False)
    await asyncio.sleep(0.05)
    await periodic.stop()

    assert calls == []


async def test_a_failing_call_is_logged_and_the_loop_goes_on() -> None:
    calls: list[int] = []

    async def failing() -> None:
        calls.append(len(calls))
        raise RuntimeError("boom")

    periodic = Periodic()
    periodic.start("failing", 0.01, failing)
    await asyncio.sleep(0.1)
    await periodic.stop()

    assert len(calls) >= 3
