"""A restart of nats-server (stopped, started again on the same port and data) leaves every service
listening: a halt engaged after it still cancels resting orders, and tickers still reach risk and pnl.

The services reach NATS through a proxy the test cuts during the restart and for a while after it, as
when services come back later than the server (a busy machine, a network blip): longer than JetStream
keeps an ephemeral consumer nobody listens to (5 s), so halts and tickers must not depend on one."""

from __future__ import annotations

import time
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.support.client import (
    WIDE_LIMITS,
    User,
    connect_paper,
    eventually_sync,
    market,
    ok,
    order,
    place,
    register,
    settled,
)
from tests.support.market import publish_ticker
from tests.support.servers import QUIET_ENV, Stack, gateway_client, outage, run_async
from tests.support.tcp_proxy import TcpProxy

pytestmark = [pytest.mark.integration, pytest.mark.timeout(300)]

BEFORE = Decimal("60000")
AFTER = Decimal("66000")
CUT_AFTER_RESTART = 10
"""Seconds the services stay cut off from the restarted server."""
NOTIONAL_CAP = "640"
"""A 0.01 BTC market order is within it at the price before the restart (600), beyond it after (660)."""


@pytest.fixture(scope="module")
def proxied(
    postgres_server_url: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[Stack, TcpProxy]]:
    """Every service, on a nats-server of the stack's own (never a shared one: the test restarts it),
    which they reach through the proxy."""
    running = Stack(Path(tmp_path_factory.mktemp("nats-restart")), postgres_server_url=postgres_server_url)
    proxy = TcpProxy(lambda: running.nats_server.port).start()
    try:
        running.start(env={**QUIET_ENV, "TP_NATS_URL": proxy.url("nats")})
        run_async(lambda: publish_ticker(running.nats_url, "BTC/USDT", BEFORE))
        yield running, proxy
    finally:
        running.stop()
        proxy.stop()


@pytest.fixture(scope="module")
def stack(proxied: tuple[Stack, TcpProxy]) -> Stack:
    return proxied[0]


@pytest.fixture(scope="module")
def proxy(proxied: tuple[Stack, TcpProxy]) -> TcpProxy:
    return proxied[1]


api = gateway_client()


def resting(account: str) -> dict[str, str]:
    """A buy far below the market: it rests Open and never fills."""
    return market(account, quantity="0.0002") | {"type": "Limit", "price": "30000"}


def answered(call: Any) -> httpx.Response:
    """The first answer that is not a 5xx: right after the restart a service may still be reconnecting."""
    response: httpx.Response = eventually_sync(call, lambda r: r.status_code < 500, timeout=60)
    return response


def positions(api: httpx.Client, user: User) -> list[dict[str, Any]]:
    response = api.get("/api/portfolio/positions", headers=user.headers)
    found: list[dict[str, Any]] = ok(response) if response.status_code == 200 else []
    return found


def test_after_a_nats_restart_a_halt_cancels_resting_orders_and_tickers_reach_risk_and_pnl(
    api: httpx.Client, stack: Stack, proxy: TcpProxy
) -> None:
    halted, capped = register(api), register(api, {**WIDE_LIMITS, "maxOrderNotional": NOTIONAL_CAP})
    halted_account = connect_paper(api, halted, {"USDT": "100000"})
    capped_account = connect_paper(api, capped, {"USDT": "100000"})
    resting_ids = [place(api, halted, resting(halted_account))["id"] for _ in range(3)]
    bought = settled(api, halted, place(api, halted, market(halted_account, quantity="0.001"))["id"], 60)
    within_cap = settled(api, capped, place(api, capped, market(capped_account, quantity="0.01"))["id"], 60)

    def open_orders() -> list[str]:
        return [order(api, halted, order_id)["status"] for order_id in resting_ids]

    assert eventually_sync(open_orders, lambda found: found == ["Open"] * 3) == ["Open"] * 3
    assert (bought["status"], within_cap["status"]) == ("Filled", "Filled")

    proxy.cut()
    outage(stack.nats_server, 1)
    time.sleep(CUT_AFTER_RESTART)
    proxy.start()

    body = {"scope": "user", "reason": "restart drill"}
    engaged = answered(lambda: api.post("/api/killswitch/activate", json=body, headers=halted.headers))
    assert engaged.status_code == 200, engaged.text
    for order_id in resting_ids:
        final = settled(api, halted, order_id, timeout=90)
        assert final["status"] == "Cancelled", final

    def marked_at_new_price() -> list[dict[str, Any]]:
        run_async(lambda: publish_ticker(stack.nats_url, "BTC/USDT", AFTER))
        return positions(api, halted)

    marked = eventually_sync(marked_at_new_price, lambda p: p and Decimal(p[0]["currentPrice"]) == AFTER, 90)
    assert Decimal(marked[0]["currentPrice"]) == AFTER

    def judged_at_new_price() -> dict[str, Any]:
        run_async(lambda: publish_ticker(stack.nats_url, "BTC/USDT", AFTER))
        placed = answered(
            lambda: api.post(
                "/api/orders", json=market(capped_account, quantity="0.01"), headers=capped.headers
            )
        )
        return settled(api, capped, placed.json()["data"]["order"]["id"], 60)

    refused = eventually_sync(judged_at_new_price, lambda o: o["status"] == "Rejected", 90)
    assert refused["status"] == "Rejected"
    assert "MAX_ORDER_NOTIONAL" in refused["rejectReason"], refused
