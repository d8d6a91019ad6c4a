"""An executor stays responsive through the public API on a real stack: one user's slow exchange holds up
no other user's venue query, and orders approved right after a kill-switch release are not refused by a
halt the executor has not heard released yet."""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal
from functools import partial

import httpx
import pytest
from tradeplane.contracts import streams, subjects

from tests.support import natsauth
from tests.support.client import (
    connect_paper,
    eventually_sync,
    ok,
    order,
    place,
    register,
    resting_buy,
    settled,
)
from tests.support.emulator_thread import EmulatorThread, emulator_fixture, kraken_stack, kraken_trader
from tests.support.servers import Stack, run_async

pytestmark = [pytest.mark.integration, pytest.mark.timeout(180)]

ENV = {
    # Room for a held venue call on a loaded machine: the test, not a timeout, decides when it answers.
    "TP_QUERY_TIMEOUT_SECONDS": "45",
    "TP_VENUE_QUERY_TIMEOUT_SECONDS": "40",
    "TP_CCXT_TIMEOUT_MS": "40000",
}
emulator = emulator_fixture(hang_seconds=40)
stack = kraken_stack("liveness", ENV)


@pytest.fixture(scope="module")
def api(stack: Stack) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=stack.url("gateway"), timeout=60) as client:
        yield client


def test_a_slow_exchange_holds_up_no_other_users_balance(
    api: httpx.Client, stack: Stack, emulator: EmulatorThread
) -> None:
    slow_user, key, slow_account = kraken_trader(api, emulator, key="key-slow")
    other = register(api)
    paper = connect_paper(api, other, {"USDT": "2500"})
    emulator.call(emulator.emulator.hold, key)
    with ThreadPoolExecutor(1) as pool, httpx.Client(base_url=stack.url("gateway"), timeout=60) as second:
        slow = pool.submit(second.get, f"/api/venues/{slow_account}/balance", headers=slow_user.headers)
        held = eventually_sync(lambda: emulator.call(emulator.emulator.held, key), lambda n: n > 0)
        assert held > 0, "the slow balance query never reached the exchange"

        fast = api.get(f"/api/venues/{paper}/balance", headers=other.headers)
        answered_while_slow_pending = not slow.done()
        emulator.call(emulator.emulator.release, key)
        slow_answer = slow.result()

    assert ok(fast)["USDT"]["total"] == "2500"
    assert answered_while_slow_pending
    assert Decimal(ok(slow_answer)["USDT"]["total"]) == 10000


def test_orders_placed_at_once_after_a_release_are_accepted(api: httpx.Client) -> None:
    traders = [register(api) for _ in range(4)]
    accounts = [connect_paper(api, t, {"USDT": "100000"}) for t in traders]
    placed = []
    for trader, account in zip(traders, accounts, strict=True):
        halt = {"scope": "user", "reason": "quick pause"}
        ok(api.post("/api/killswitch/activate", json=halt, headers=trader.headers))
        ok(api.post("/api/killswitch/deactivate", json=halt, headers=trader.headers))
        placed += [(trader, place(api, trader, resting_buy(account))["id"]) for _ in range(3)]

    ends = [eventually_sync(partial(order, api, t, i), lambda o: o["status"] != "Pending") for t, i in placed]

    assert [(o["status"], o["rejectReason"]) for o in ends] == [("Open", None)] * len(placed)


async def _forget_release_consumers(nats_url: str) -> int:
    """Delete the consumers that bring halt releases to the executors: as if the release event were
    late. Returns how many there were."""
    nc = await natsauth.connect_operator(nats_url)
    try:
        js = nc.jetstream()
        released = f"{subjects.PREFIX}.halt.released.>"
        found = [
            info.name
            for info in await js.consumers_info(streams.HALTS.name)
            if info.config.filter_subject == released
        ]
        for name in found:
            await js.delete_consumer(streams.HALTS.name, name)
        return len(found)
    finally:
        await nc.close()


def test_orders_approved_right_after_a_release_the_executor_has_not_heard_are_not_refused(
    api: httpx.Client, stack: Stack
) -> None:
    trader = register(api)
    account = connect_paper(api, trader, {"USDT": "100000"})
    resting = place(api, trader, resting_buy(account))
    assert eventually_sync(lambda: order(api, trader, resting["id"]), lambda o: o["status"] == "Open")
    halt = {"scope": "user", "reason": "release drill"}
    ok(api.post("/api/killswitch/activate", json=halt, headers=trader.headers))
    assert settled(api, trader, resting["id"])["status"] == "Cancelled"  # the executor heard the halt
    assert run_async(lambda: _forget_release_consumers(stack.nats_url)) > 0

    ok(api.post("/api/killswitch/deactivate", json=halt, headers=trader.headers))
    placed = [place(api, trader, resting_buy(account)) for _ in range(5)]

    ends = [
        eventually_sync(partial(order, api, trader, o["id"]), lambda o: o["status"] != "Pending")
        for o in placed
    ]
    assert [(o["status"], o["rejectReason"], o["error"]) for o in ends] == [("Open", None, None)] * 5
