"""Consumers on a real nats-server never give up on a message: an outage delays it, never strands it."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from faststream.nats import NatsBroker, NatsRouter
from nats.js import JetStreamContext
from nats.js.api import ConsumerConfig
from tradeplane.cli.nats import EmbeddedNats
from tradeplane.contracts import OrderFilled, streams, subjects
from tradeplane.runtime import ServiceSettings, consumer, declare_streams, make_broker
from tradeplane.runtime.bus import lift_delivery_limits

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
    running = make_broker(ServiceSettings(nats_url=nats_server.url), "test")
    await running.connect()
    await declare_streams(running)
    yield running
    await running.stop()


async def test_a_consumer_made_with_a_delivery_limit_has_it_lifted_at_start(broker: NatsBroker) -> None:
    js: JetStreamContext = broker.config.connection_state.stream
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
