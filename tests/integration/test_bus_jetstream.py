"""The bus on a real nats-server: every stream has age and size limits from settings, and consumers
never give up on a message because something is down (an outage delays it, never strands it)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import asynccontextmanager
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import psycopg
import pytest
import sqlalchemy.exc
from faststream.nats import NatsBroker, NatsRouter
from nats.js import JetStreamContext
from nats.js.api import ConsumerConfig
from tradeplane.cli.nats import EmbeddedNats
from tradeplane.contracts import (
    DeadLettered,
    OrderFilled,
    Ticker,
    new_meta,
    streams,
    subjects,
    utcnow,
)
from tradeplane.runtime import PermanentError, ServiceSettings, consumer, declare_streams, make_broker
from tradeplane.runtime.bus import lift_delivery_limits, pin_deliver_subjects, publish_message

from tests.support import natsauth
from tests.support.client import eventually
from tests.support.servers import start_nats

pytestmark = pytest.mark.integration

DURABLE = "test-fills-from-an-older-version"


@pytest.fixture
def nats_server(tmp_path: Path) -> Iterator[EmbeddedNats]:
    server = start_nats(tmp_path)
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
async def broker(nats_server: EmbeddedNats) -> AsyncIterator[NatsBroker]:
    running = make_broker(ServiceSettings(nats_url=nats_server.url, **natsauth.operator_settings()), "test")
    await running.connect()
    yield running
    await running.stop()


def _js(broker: NatsBroker) -> JetStreamContext:
    js: JetStreamContext = broker.config.connection_state.stream
    return js


async def test_every_declared_stream_has_an_age_and_a_size_limit(broker: NatsBroker) -> None:
    await declare_streams(broker, 1, ServiceSettings().stream_limits)

    for spec in streams.ALL_STREAMS:
        config = (await _js(broker).stream_info(spec.name)).config
        assert (config.max_age, config.max_bytes) == (
            spec.max_age.total_seconds(),
            spec.max_bytes,
        ), spec.name
    bucket = (await _js(broker).stream_info(f"KV_{streams.HALT_BUCKET}")).config
    assert bucket.max_bytes == streams.HALT_BUCKET_MAX_BYTES


async def test_changed_settings_update_the_declared_streams(
    broker: NatsBroker, monkeypatch: pytest.MonkeyPatch
) -> None:
    await declare_streams(broker, 1, ServiceSettings().stream_limits)
    monkeypatch.setenv("TP_STREAM_LIMITS__ORDERS__MAX_AGE", "P7D")
    monkeypatch.setenv("TP_STREAM_LIMITS__ORDERS__MAX_BYTES", str(64 * 1024 * 1024))

    await declare_streams(broker, 1, ServiceSettings().stream_limits)

    orders = (await _js(broker).stream_info(streams.ORDERS.name)).config
    market = (await _js(broker).stream_info(streams.MARKET.name)).config
    assert (orders.max_age, orders.max_bytes) == (timedelta(days=7).total_seconds(), 64 * 1024 * 1024)
    assert market.max_age == streams.MARKET.max_age.total_seconds()


async def test_a_halt_bucket_made_without_a_size_limit_gets_one_and_keeps_its_halts(
    broker: NatsBroker,
) -> None:
    old = await _js(broker).create_key_value(bucket=streams.HALT_BUCKET, history=16)
    await old.put("global", b'{"engaged": true}')

    await declare_streams(broker, 1)

    bucket = (await _js(broker).stream_info(f"KV_{streams.HALT_BUCKET}")).config
    assert bucket.max_bytes == streams.HALT_BUCKET_MAX_BYTES
    assert (await old.get("global")).value == b'{"engaged": true}'


async def test_a_consumer_made_with_a_delivery_limit_has_it_lifted_at_start(broker: NatsBroker) -> None:
    await declare_streams(broker)
    js = _js(broker)
    await js.add_consumer(
        streams.ORDERS.name,
        ConsumerConfig(
            durable_name=DURABLE,
            deliver_group=DURABLE,
            deliver_subject="_INBOX.older",
            filter_subject=subjects.ALL_FILLS,
            max_deliver=6,
        ),
    )

    async def handle(fill: OrderFilled) -> None:
        return None

    router = NatsRouter()
    consumer(
        router,
        lambda: broker,
        OrderFilled,
        subject=subjects.ALL_FILLS,
        durable=DURABLE,
        stream=streams.ORDERS,
        producer="test",
        queue=DURABLE,
    )(handle)
    await lift_delivery_limits(broker)

    info = await js.consumer_info(streams.ORDERS.name, DURABLE)
    assert info.config.max_deliver == -1
    assert info.config.deliver_group == DURABLE


def _ticker() -> Ticker:
    price = Decimal("100")
    return Ticker(
        meta=new_meta("test"), venue="paper", symbol="BTC/USDT", bid=price, ask=price, last=price, at=utcnow()
    )


@asynccontextmanager
async def consuming(
    url: str, handle: Callable[[Ticker], Awaitable[None]], max_deliver: int = 5
) -> AsyncIterator[NatsBroker]:
    """A started broker whose one shared consumer hands every ticker to `handle`."""
    broker = make_broker(ServiceSettings(nats_url=url, **natsauth.operator_settings()), "test")
    router = NatsRouter()
    consumer(
        router,
        lambda: broker,
        Ticker,
        subject=subjects.ALL_TICKERS,
        durable="test-tickers",
        stream=streams.MARKET,
        producer="test",
        queue="test-tickers",
        max_deliver=max_deliver,
    )(handle)
    broker.include_router(router)
    await broker.connect()
    await declare_streams(broker)
    await broker.start()
    try:
        yield broker
    finally:
        await broker.stop()


async def _letters(broker: NatsBroker) -> list[DeadLettered]:
    js: JetStreamContext = broker.config.connection_state.stream
    state = (await js.stream_info(streams.DLQ.name)).state
    seqs = range(state.first_seq, state.last_seq + 1) if state.messages else range(0)
    return [
        DeadLettered.model_validate_json((await js.get_msg(streams.DLQ.name, seq)).data or b"")
        for seq in seqs
    ]


def _database_down() -> Exception:
    return sqlalchemy.exc.OperationalError("SELECT 1", {}, psycopg.OperationalError("connection refused"))


async def test_a_handler_failing_while_the_database_is_down_is_retried_until_it_succeeds(
    nats_server: EmbeddedNats,
) -> None:
    calls: list[int] = []

    async def handle(ticker: Ticker) -> None:
        calls.append(1)
        if len(calls) <= 4:  # more failures than the budget for unknown ones (2)
            raise _database_down()

    async with consuming(nats_server.url, handle, max_deliver=2) as broker:
        await publish_message(broker, subjects.ticker("paper", "BTC/USDT"), _ticker())
        await eventually(lambda: len(calls), lambda n: n >= 5, timeout=60)
        letters = await _letters(broker)

    assert len(calls) == 5
    assert letters == []


async def test_a_refused_message_is_dead_lettered_at_once(nats_server: EmbeddedNats) -> None:
    calls: list[int] = []

    async def handle(ticker: Ticker) -> None:
        calls.append(1)
        raise PermanentError("no such market")

    async with consuming(nats_server.url, handle) as broker:
        await publish_message(broker, subjects.ticker("paper", "BTC/USDT"), _ticker())
        letters = await eventually(lambda: _letters(broker), lambda found: found, timeout=30)

    assert [(letter.consumer, "no such market" in letter.reason) for letter in letters] == [
        ("test-tickers", True)
    ]
    assert len(calls) == 1


async def test_a_message_failing_for_an_unknown_reason_is_dead_lettered_after_its_tries(
    nats_server: EmbeddedNats,
) -> None:
    calls: list[int] = []

    async def handle(ticker: Ticker) -> None:
        calls.append(1)
        raise ValueError("a bug")

    async with consuming(nats_server.url, handle, max_deliver=3) as broker:
        await publish_message(broker, subjects.ticker("paper", "BTC/USDT"), _ticker())
        letters = await eventually(lambda: _letters(broker), lambda found: found, timeout=30)

    assert len(letters) == 1 and "failed 3 times" in letters[0].reason
    assert len(calls) == 3


async def test_processes_starting_at_once_share_one_consumer(nats_server: EmbeddedNats) -> None:
    """Gateway workers and replicas start together: each creates the shared consumer it needs, none
    fails with "consumer name already in use" (which stopped the whole gateway) nor takes the
    deliveries away from the others, and every message is handled once among them."""
    seen: dict[int, list[str]] = {}

    def handler(worker: int) -> Callable[[Ticker], Awaitable[None]]:
        async def handle(ticker: Ticker) -> None:
            seen.setdefault(worker, []).append(ticker.meta.event_id.hex)

        return handle

    settings = ServiceSettings(nats_url=nats_server.url, **natsauth.operator_settings())
    brokers = []
    for worker in range(3):
        broker = make_broker(settings, "test")
        router = NatsRouter()
        consumer(
            router,
            _the(broker),
            Ticker,
            subject=subjects.ALL_TICKERS,
            durable="test-started-together",
            stream=streams.MARKET,
            producer="test",
            queue="test-started-together",
        )(handler(worker))
        broker.include_router(router)
        await broker.connect()
        brokers.append(broker)
    await declare_streams(brokers[0])
    pin_deliver_subjects(settings)
    try:
        await asyncio.gather(*(b.start() for b in brokers))
        sent = [_ticker() for _ in range(60)]
        for ticker in sent:
            await publish_message(brokers[0], subjects.ticker("paper", "BTC/USDT"), ticker)
        handled = await eventually(
            lambda: [e for events in seen.values() for e in events], lambda got: len(got) >= len(sent)
        )
        assert sorted(handled) == sorted(t.meta.event_id.hex for t in sent)
        assert sorted(seen) == [0, 1, 2], "each process takes a share of the deliveries"
    finally:
        for broker in brokers:
            await broker.stop()


def _the(broker: NatsBroker) -> Callable[[], NatsBroker]:
    return lambda: broker
