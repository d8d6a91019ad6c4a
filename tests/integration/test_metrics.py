"""Every service's /metrics: the domain metrics and the bus metrics move when one order goes through."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.support.client import (
    connect_paper,
    eventually_sync,
    market,
    ok,
    place,
    register,
    resting_buy,
    wait_status,
)
from tests.support.market import publish_ticker
from tests.support.servers import Stack, run_async, shared_stack

pytestmark = [pytest.mark.integration, pytest.mark.timeout(120)]

SERVICES = ("gateway", "risk", "execution", "pnl", "notifier")
Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


class Receiver(BaseHTTPRequestHandler):
    """A webhook endpoint that accepts everything and counts what it got."""

    hits = 0

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("content-length", 0)))
        type(self).hits += 1
        self.send_response(200)
        self.end_headers()

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def receiver() -> Iterator[str]:
    Receiver.hits = 0
    server = ThreadingHTTPServer(("127.0.0.1", 0), Receiver)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}/hook"
    server.shutdown()
    server.server_close()


stack = shared_stack("metrics")
"""One stack for the module: each test reads how much its own order moved the metrics."""


@pytest.fixture
def api(stack: Stack) -> Iterator[httpx.Client]:
    run_async(lambda: publish_ticker(stack.nats_url, "BTC/USDT", Decimal("65000")))
    with httpx.Client(base_url=stack.url("gateway"), timeout=15) as client:
        yield client


def scrape(stack: Stack, service: str) -> Samples:
    text = httpx.get(f"{stack.url(service)}/metrics", timeout=10).text
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def value(samples: Samples, name: str, **labels: str) -> float:
    """The sum over every series of `name` whose labels include `labels`."""
    wanted = set(labels.items())
    return sum(v for (n, ls), v in samples.items() if n == name and wanted <= ls)


def moved(before: Samples, after: Samples, name: str, **labels: str) -> float:
    return value(after, name, **labels) - value(before, name, **labels)


def test_one_filled_order_moves_the_domain_metrics_of_every_service(
    api: httpx.Client, stack: Stack, receiver: str
) -> None:
    user = register(api, limits=None)
    account = connect_paper(api, user, {"USDT": "10000"})
    ok(api.post("/api/webhooks", json={"url": receiver, "events": ["trade_entry"]}, headers=user.headers))
    before = {service: scrape(stack, service) for service in SERVICES}

    placed = place(api, user, market(account, "Buy", "0.001"))
    filled = wait_status(api, user, placed["id"], {"Filled"})
    assert filled["status"] == "Filled"
    assert eventually_sync(lambda: Receiver.hits, lambda hits: hits >= 1) >= 1
    after = eventually_sync(
        lambda: {service: scrape(stack, service) for service in SERVICES},
        lambda a: (
            moved(before["pnl"], a["pnl"], "tp_pnl_fills_booked_total") >= 1
            and moved(before["notifier"], a["notifier"], "tp_notifier_deliveries_total") >= 1
        ),
    )

    gw, rk, ex = (
        (before["gateway"], after["gateway"]),
        (before["risk"], after["risk"]),
        (before["execution"], after["execution"]),
    )
    assert (
        moved(*gw, "tp_gateway_request_seconds_count", method="POST", route="/api/orders", status="202") == 1
    )
    assert moved(*gw, "tp_gateway_order_seconds_count") == 1  # once, at the venue's first answer
    assert moved(*rk, "tp_risk_decisions_total", outcome="approved") == 1
    assert moved(*rk, "tp_risk_decision_seconds_count") == 1
    assert moved(*ex, "tp_execution_orders_total", status="Filled") == 1
    assert moved(*ex, "tp_execution_venue_call_seconds_count", call="submit") == 1
    assert moved(before["pnl"], after["pnl"], "tp_pnl_fills_booked_total") == 1
    assert (
        moved(before["notifier"], after["notifier"], "tp_notifier_deliveries_total", outcome="succeeded") == 1
    )
    for service in SERVICES:
        assert moved(before[service], after[service], "faststream_received_messages_total") > 0, service


def test_a_risk_rejection_is_counted_by_its_code(api: httpx.Client, stack: Stack) -> None:
    user = register(api, limits=None)
    account = connect_paper(api, user, {"USDT": "10000"})
    ok(api.put("/api/settings/trading", json={"maxOrderNotional": "10"}, headers=user.headers))
    before = scrape(stack, "risk")

    placed = place(api, user, resting_buy(account, price="60000", qty="0.001"))
    rejected = wait_status(api, user, placed["id"], {"Rejected"})

    after = scrape(stack, "risk")
    assert rejected["status"] == "Rejected", rejected
    assert moved(before, after, "tp_risk_rejections_total", code="MAX_ORDER_NOTIONAL") == 1
    assert moved(before, after, "tp_risk_decisions_total", outcome="rejected") == 1


def test_halted_executors_and_nonce_errors_are_exported_before_any_trouble(stack: Stack) -> None:
    execution = scrape(stack, "execution")

    assert execution[("tp_execution_halted", frozenset())] == 0
    assert execution[("tp_execution_nonce_errors_total", frozenset())] == 0
