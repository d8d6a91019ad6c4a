"""Every stream a service declares on a real nats-server has an age and a size limit, from settings."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from faststream.nats import NatsBroker
from nats.js import JetStreamContext
from tradeplane.cli.nats import EmbeddedNats
from tradeplane.contracts import streams
from tradeplane.runtime import ServiceSettings, declare_streams, make_broker

from tests.support.servers import start_nats

pytestmark = pytest.mark.integration


@pytest.fixture
def nats_server(tmp_path: Path) -> Iterator[EmbeddedNats]:
    """A nats-server of the test's own: the test changes stream limits."""
    server = start_nats(tmp_path)
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
async def broker(nats_server: EmbeddedNats) -> AsyncIterator[NatsBroker]:
    running = make_broker(ServiceSettings(nats_url=nats_server.url), "test")
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
