"""`tradeplane tail`: which events it shows, how a line reads, and a live run on a real nats-server."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

import httpx
import nats
import pytest
from tradeplane.cli.nats import EmbeddedNats
from tradeplane.cli.tail import TailFilter, decode, event_type, format_line, tail
from tradeplane.contracts import subjects

USER = UUID("1b2c3d4e-0000-4000-8000-000000000001")
OTHER = UUID("9f8e7d6c-0000-4000-8000-000000000002")
ORDER = "5f6a7b8c-0000-4000-8000-000000000003"
RECEIVED = datetime(2030, 1, 2, 3, 4, 5, 678000, tzinfo=UTC)


def _filled(user: UUID = USER) -> dict[str, Any]:
    return {
        "meta": {"occurred_at": "2030-01-02T12:00:01.250000Z", "producer": "execution"},
        "order_id": ORDER,
        "user_id": str(user),
        "symbol": "BTC/USDT",
        "side": "buy",
        "quantity": "0.5",
        "price": "50000",
        "fee": "0.05",
    }


def test_event_type_drops_partition_and_user() -> None:
    assert event_type(subjects.order_filled(3, USER)) == "order.filled"


def test_event_type_keeps_the_scope_of_a_halt() -> None:
    assert event_type(subjects.halt_engaged(USER)) == "halt.engaged.user"


def test_filter_keeps_events_of_the_chosen_user() -> None:
    accept = TailFilter(user=USER)

    assert accept.accepts(subjects.order_filled(3, USER), _filled())


def test_filter_drops_events_of_other_users() -> None:
    accept = TailFilter(user=USER)

    assert not accept.accepts(subjects.order_filled(5, OTHER), _filled(OTHER))


def test_filter_finds_the_user_in_the_payload_when_the_subject_lacks_it() -> None:
    accept = TailFilter(user=USER)

    assert accept.accepts(subjects.audit("gateway", "user.login"), {"user_id": str(USER)})


def test_filter_matches_type_prefixes_on_whole_tokens() -> None:
    accept = TailFilter(types=("order.fill",))

    assert not accept.accepts(subjects.order_filled(3, USER), _filled())


def test_filter_matches_any_of_several_types() -> None:
    accept = TailFilter(types=("order.rejected", "order.filled"))

    assert accept.accepts(subjects.order_filled(3, USER), _filled())


def test_filter_hides_heartbeats_and_market_data_by_default() -> None:
    accept = TailFilter()

    assert not accept.accepts(subjects.heartbeat("risk"), {})
    assert not accept.accepts(subjects.ticker("paper", "BTC/USDT"), {})


def test_filter_shows_market_data_when_asked_for_by_type() -> None:
    accept = TailFilter(types=("market",))

    assert accept.accepts(subjects.ticker("paper", "BTC/USDT"), {})


def test_filter_shows_everything_with_all() -> None:
    accept = TailFilter(everything=True)

    assert accept.accepts(subjects.heartbeat("risk"), {})


def test_line_shows_event_time_type_user_order_and_key_fields() -> None:
    line = format_line(subjects.order_filled(3, USER), _filled(), 300, RECEIVED)

    assert line == (
        "12:00:01.250  order.filled  user=1b2c3d4e  order=5f6a7b8c  symbol=BTC/USDT  side=buy  "
        "quantity=0.5  price=50000  fee=0.05"
    )


def test_line_quotes_text_with_spaces_and_shortens_long_text() -> None:
    event = {"user_id": str(USER), "code": "DAILY_LOSS", "reason": "limit reached " * 20}

    line = format_line(subjects.order_rejected(3, USER), event, 100, RECEIVED)

    assert 'reason="limit reached limit' in line
    assert line.endswith('…"')


def test_line_uses_the_receive_time_when_the_event_has_none() -> None:
    line = format_line(
        subjects.halt_ack("exec-0"), {"executor": "exec-0", "cancelled_orders": 2}, 50, RECEIVED
    )

    assert line == "03:04:05.678  halt.ack.exec-0  executor=exec-0  cancelled_orders=2"


def test_line_for_a_payload_that_is_not_json_gives_its_size() -> None:
    data = b"\x00\x01binary"

    line = format_line("tp.dlq.x.y", decode(data), len(data), RECEIVED)

    assert line.endswith("<8 bytes, not JSON>")


@pytest.mark.integration
async def test_tail_prints_the_chosen_users_events_live_and_stops_when_cancelled(
    nats_server: EmbeddedNats,
) -> None:
    lines: list[str] = []
    printed, subscribed = asyncio.Event(), asyncio.Event()

    def write(line: str) -> None:
        lines.append(line)
        printed.set()

    running = asyncio.create_task(tail(nats_server.url, TailFilter(user=USER), write, subscribed=subscribed))
    await asyncio.wait_for(subscribed.wait(), 10)
    publisher = await nats.connect(nats_server.url)
    try:
        await publisher.publish(subjects.order_filled(5, OTHER), json.dumps(_filled(OTHER)).encode())
        await publisher.publish(subjects.heartbeat("risk"), b"{}")
        await publisher.publish(subjects.order_filled(3, USER), json.dumps(_filled()).encode())
        await publisher.flush()
        await asyncio.wait_for(printed.wait(), 10)
    finally:
        await publisher.close()
        running.cancel()

    with pytest.raises(asyncio.CancelledError):
        await running
    assert len(lines) == 1 and lines[0].startswith("12:00:01.250  order.filled  user=1b2c3d4e")
    assert await _connections_drop_to_zero(nats_server)


async def _connections_drop_to_zero(server: EmbeddedNats) -> bool:
    """The server saw the tail's connection close (it notices a closed socket asynchronously)."""
    url = f"http://{server.host}:{server.monitor_port}/connz"
    async with httpx.AsyncClient(timeout=2) as client:
        for _ in range(100):
            if (await client.get(url)).json()["num_connections"] == 0:
                return True
            await asyncio.sleep(0.05)
    return False
