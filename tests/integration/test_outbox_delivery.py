"""The outbox and the idempotent inbox on real servers and real processes: nothing lost, nothing twice."""

from __future__ import annotations

import sys

import nats
import psycopg
import pytest
from tradeplane.cli.database import libpq_url
from tradeplane.contracts import streams, subjects

from tests.support.client import eventually_sync
from tests.support.jetstream import deliveries
from tests.support.natsauth import connect_operator
from tests.support.servers import Stack, run_async

pytestmark = pytest.mark.integration

PROBE = [sys.executable, "-m", "tests.support.outbox_probe"]
EVENTS = 400


def _received(stack: Stack) -> list[tuple[int]]:
    with psycopg.connect(libpq_url(stack.database_url)) as conn:
        try:
            return conn.execute("SELECT n FROM probe.received").fetchall()
        except psycopg.errors.UndefinedTable:
            return []


def _start_consumer(stack: Stack, name: str) -> None:
    stack.spawn_serving(name, [*PROBE, "consume"])


async def _stored_actions(nats_url: str) -> list[str]:
    import orjson

    nc = await connect_operator(nats_url)
    try:
        js = nc.jetstream()
        sub = await js.pull_subscribe(f"{subjects.PREFIX}.audit.>", stream=streams.AUDIT.name)
        actions: list[str] = []
        while True:
            try:
                batch = await sub.fetch(500, timeout=1)
            except (nats.errors.TimeoutError, TimeoutError):  # nats-py raises either when drained
                return actions
            actions += [orjson.loads(m.data)["action"] for m in batch]
    finally:
        await nc.close()


def test_outbox_events_are_consumed_exactly_once_across_a_consumer_sigkill(stack: Stack) -> None:
    stack.start(services=[])
    _start_consumer(stack, "consumer")
    producer = stack.spawn("producer", [*PROBE, "produce", str(EVENTS)])

    eventually_sync(lambda: len(_received(stack)), lambda n: n >= EVENTS // 4, timeout=60)
    stack.process("consumer").kill()
    received_at_kill = len(_received(stack))
    assert received_at_kill < EVENTS, "every event was consumed before the kill"
    _start_consumer(stack, "consumer-again")
    assert producer.wait(120) == 0

    eventually_sync(lambda: len(_received(stack)), lambda n: n >= EVENTS, timeout=90)
    counts = [n for (n,) in _received(stack)]
    assert len(counts) == EVENTS
    assert set(counts) == {1}
    delivered = run_async(lambda: deliveries(stack.nats_url, streams.AUDIT.name, "probe-consumer"))
    assert delivered > EVENTS, "no event was redelivered after the kill"


def test_a_rolled_back_transaction_publishes_nothing(stack: Stack) -> None:
    stack.start(services=[])
    assert stack.spawn("producer", [*PROBE, "produce", "3"]).wait(60) == 0

    actions = run_async(lambda: _stored_actions(stack.nats_url))
    assert sorted(actions) == ["n0", "n1", "n2"]
    with psycopg.connect(libpq_url(stack.database_url)) as conn:
        produced = conn.execute("SELECT n FROM probe.produced ORDER BY n").fetchall()
        left = conn.execute("SELECT count(*) FROM probe.outbox").fetchone()
    assert produced == [(0,), (1,), (2,)]  # each change committed with its event, the rolled-back one not
    assert left == (0,), "published events stay in the outbox, or the rolled-back one was written"
