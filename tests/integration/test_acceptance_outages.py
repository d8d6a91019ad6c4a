"""Outages, seen through the public API: PostgreSQL or nats-server stopped for half a minute while four
users stream orders, then started again on the same port and data. An outage delays work and loses
none: every order ends filled, each fill is booked once, and nothing is dead-lettered."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import httpx
import nats
import pytest
from tradeplane.cli.nats import EmbeddedNats
from tradeplane.cli.postgres import EmbeddedPostgres
from tradeplane.contracts import DeadLettered, streams

from tests.integration.test_acceptance_crash import (
    assert_one_order_per_placement,
    assert_paper_balance_moved_once_per_fill,
    filled_so_far,
    final_orders,
    paper_traders,
)
from tests.support.acceptance import market
from tests.support.api import TERMINAL
from tests.support.load import Placement, Placer, wait_until
from tests.support.market import publish_ticker
from tests.support.servers import QUIET_ENV, Stack, outage, run_async, start_postgres

pytestmark = [pytest.mark.integration, pytest.mark.timeout(300)]

OUTAGE_SECONDS = 30
ORDERS = 100
PACE = 0.5
"""Seconds each placing thread waits before an order: the stream outlasts the start of the outage."""
BTC_PRICE = Decimal("60000.0")


@pytest.fixture(scope="module")
def postgres(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmbeddedPostgres]:
    """A PostgreSQL of this module's own, since the tests stop it."""
    server = start_postgres(tmp_path_factory.mktemp("outage-postgres"))
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="module")
def stack(postgres: EmbeddedPostgres, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    """Every service, on the module's PostgreSQL and a nats-server of its own (never a shared one)."""
    running = Stack(tmp_path_factory.mktemp("outages"), postgres_server_url=postgres.url())
    try:
        running.start(env=QUIET_ENV)
        run_async(lambda: publish_ticker(running.nats_url, "BTC/USDT", BTC_PRICE))
        yield running
    finally:
        running.stop()


@pytest.fixture(scope="module")
def api(stack: Stack) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=stack.url("gateway"), timeout=30) as client:
        yield client


async def dead_letters(nats_url: str) -> list[DeadLettered]:
    nc = await nats.connect(nats_url)
    try:
        js = nc.jetstream()
        state = (await js.stream_info(streams.DLQ.name)).state
        letters = []
        for seq in range(state.first_seq, state.last_seq + 1) if state.messages else ():
            raw = await js.get_msg(streams.DLQ.name, seq)
            letters.append(DeadLettered.model_validate_json(raw.data or b""))
        return letters
    finally:
        await nc.close()


def orders_through(
    api: httpx.Client, stack: Stack, server: EmbeddedNats | EmbeddedPostgres
) -> dict[str, dict[str, Any]]:
    """Stream market orders from four users, stop `server` once they fill, and return the final orders."""
    traders = paper_traders(api, 4)
    placements = [
        Placement(user, market(account, quantity="0.0002"))
        for i in range(ORDERS)
        for user, account in [traders[i % len(traders)]]
    ]
    users = [user for user, _ in traders]
    placer = Placer(stack.url("gateway"), workers=4, pace=PACE, give_up_after=OUTAGE_SECONDS * 4)
    try:
        futures = placer.submit(placements)
        assert wait_until(lambda: filled_so_far(api, users) >= 10), "orders did not start filling"
        answered_at_outage = placer.answered
        outage(server, OUTAGE_SECONDS)
        for future in futures:
            future.result()
    finally:
        placer.close()
    assert answered_at_outage < ORDERS, "the stream ended before the outage"

    found = final_orders(api, placements, lambda o: o["status"] in TERMINAL)
    assert Counter(o["status"] for o in found.values()) == {"Filled": ORDERS}, [
        o.get("rejectReason") for o in found.values() if o["status"] != "Filled"
    ][:3]
    assert_one_order_per_placement(placements, found)
    for user, account in traders:
        assert_paper_balance_moved_once_per_fill(
            api, user, account, [o for o in found.values() if o["venueId"] == account]
        )
    return found


def test_postgres_down_for_half_a_minute_delays_orders_and_loses_none(
    api: httpx.Client, stack: Stack, postgres: EmbeddedPostgres
) -> None:
    orders_through(api, stack, postgres)

    assert run_async(lambda: dead_letters(stack.nats_url)) == []


def test_nats_down_for_half_a_minute_delays_orders_and_loses_none(api: httpx.Client, stack: Stack) -> None:
    orders_through(api, stack, stack.nats_server)

    assert run_async(lambda: dead_letters(stack.nats_url)) == []
