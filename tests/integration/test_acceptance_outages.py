"""Outages, seen through the public API: PostgreSQL or nats-server stopped for half a minute while four
users stream orders, then started again on the same port and data. An outage delays work and loses
none: every order ends filled, each fill is booked once, and nothing is dead-lettered.

While PostgreSQL is down, orders also arrive on the bus as a bot sends them, so every consumer on the
order path meets the outage with work in hand."""

from __future__ import annotations

import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from decimal import Decimal

import httpx
import pytest
from tradeplane.cli.postgres import EmbeddedPostgres
from tradeplane.contracts import DeadLettered, streams

from tests.integration.test_acceptance_crash import (
    assert_paper_balances_moved_once_per_fill,
    filled_so_far,
    final_orders,
    paper_traders,
)
from tests.support import natsauth
from tests.support.bot_orders import bot_order, publish_orders
from tests.support.client import TERMINAL, User, eventually_sync, market
from tests.support.load import Placement, placing
from tests.support.market import publish_ticker
from tests.support.servers import QUIET_ENV, Stack, gateway_client, run_async, start_postgres

Trader = tuple[User, str]

pytestmark = [pytest.mark.integration, pytest.mark.timeout(300)]

OUTAGE_SECONDS = 30
ORDERS = 100
PACE = 0.5
"""Seconds each placing thread waits before an order: the stream outlasts the start of the outage."""
BTC_PRICE = Decimal("60000.0")
BOT_ORDERS = 12
PARTITIONS = 16


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


api = gateway_client()


async def dead_letters(nats_url: str) -> list[DeadLettered]:
    nc = await natsauth.connect_operator(nats_url)
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


async def send_as_a_bot(nats_url: str, traders: Sequence[Trader], count: int) -> list[str]:
    """Market orders published on the bus the way a bot places them; returns their ids."""
    intents = []
    for i in range(count):
        user, account = traders[i % len(traders)]
        intents.append(bot_order(uuid.UUID(user.id), uuid.UUID(account), Decimal("0.0002")))
    return await publish_orders(nats_url, intents, PARTITIONS)


def orders_through(
    api: httpx.Client,
    stack: Stack,
    stop: Callable[[], object],
    start: Callable[[], object],
    while_down: Callable[[Sequence[Trader]], list[str]] = lambda traders: [],
) -> None:
    """Stream market orders from four users, `stop` a server once they fill, run `while_down`, `start` it
    again after the outage, and check every order (the users' and those `while_down` sent) filled once."""
    traders = paper_traders(api, 4)
    placements = [
        Placement(user, market(account, quantity="0.0002"))
        for i in range(ORDERS)
        for user, account in [traders[i % len(traders)]]
    ]
    users = [user for user, _ in traders]
    options = {"workers": 4, "pace": PACE, "give_up_after": OUTAGE_SECONDS * 4}
    with placing(stack.url("gateway"), placements, **options) as placer:
        eventually_sync(lambda: filled_so_far(api, users), lambda n: n >= 10, timeout=60)
        answered_at_outage = placer.answered
        stop()
        sent_while_down = while_down(traders)
        time.sleep(OUTAGE_SECONDS)
        start()
    assert answered_at_outage < ORDERS, "the stream ended before the outage"

    expected = [p.order_ids[0] for p in placements] + sent_while_down
    found = final_orders(api, placements, lambda o: o["status"] in TERMINAL, expected)
    assert Counter(o["status"] for o in found.values()) == {"Filled": len(expected)}, [
        o.get("rejectReason") for o in found.values() if o["status"] != "Filled"
    ][:3]
    assert all(len(p.order_ids) == 1 for p in placements)
    assert sorted(found) == sorted(expected), "orders were lost or made up"
    assert_paper_balances_moved_once_per_fill(api, traders, found)


def test_postgres_down_for_half_a_minute_delays_orders_and_loses_none(
    api: httpx.Client, stack: Stack, postgres: EmbeddedPostgres
) -> None:
    def send(traders: Sequence[Trader]) -> list[str]:
        ids: list[str] = run_async(lambda: send_as_a_bot(stack.nats_url, traders, BOT_ORDERS))
        return ids

    orders_through(api, stack, postgres.stop, postgres.start, while_down=send)

    assert run_async(lambda: dead_letters(stack.nats_url)) == []


def test_nats_down_for_half_a_minute_delays_orders_and_loses_none(api: httpx.Client, stack: Stack) -> None:
    orders_through(api, stack, stack.nats_server.stop, stack.nats_server.start)

    assert run_async(lambda: dead_letters(stack.nats_url)) == []
