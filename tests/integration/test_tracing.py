"""One order, one trace: the HTTP request, every bus hop and the venue call share a trace id."""

from __future__ import annotations

import json
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.support.client import connect_paper, eventually_sync, market, place, register, wait_status
from tests.support.market import publish_ticker
from tests.support.servers import Stack, run_async

pytestmark = [pytest.mark.integration, pytest.mark.timeout(120)]

ORDER_SERVICES = {"tradeplane-gateway", "tradeplane-risk", "tradeplane-execution", "tradeplane-pnl"}


@pytest.fixture
def spans_dir(tmp_path: Path) -> Path:
    return tmp_path / "spans"


@pytest.fixture
def api(stack: Stack, spans_dir: Path) -> Iterator[httpx.Client]:
    stack.start(
        env={
            "TP_FEED_ENABLED": "false",
            "TP_RISK_HEARTBEAT_TIMEOUT_SECONDS": "0",
            "TP_OTEL_EXPORT_FILE": str(spans_dir / "spans-%p.jsonl"),
        }
    )
    with httpx.Client(base_url=stack.url("gateway"), timeout=15) as client:
        yield client


def read_spans(directory: Path) -> list[dict[str, Any]]:
    """Every span every process has finished so far (a line still being written is skipped)."""
    spans = []
    for path in directory.glob("spans-*.jsonl"):
        for line in path.read_text().splitlines():
            try:
                spans.append(json.loads(line))
            except json.JSONDecodeError:
                continue
    return spans


def order_trace(directory: Path) -> list[dict[str, Any]]:
    """The spans of the trace the order request started."""
    spans = read_spans(directory)
    requests = [s for s in spans if s["name"] == "POST /api/orders"]
    if len(requests) != 1:
        return []
    return [s for s in spans if s["trace_id"] == requests[0]["trace_id"]]


def services(spans: list[dict[str, Any]]) -> set[str]:
    return {s["service"] for s in spans}


def test_an_order_is_one_trace_from_the_request_through_risk_and_execution_to_pnl(
    api: httpx.Client, stack: Stack, spans_dir: Path
) -> None:
    run_async(lambda: publish_ticker(stack.nats_url, "BTC/USDT", Decimal("65000")))
    user = register(api, limits=None)
    account = connect_paper(api, user, {"USDT": "10000"})

    placed = place(api, user, market(account, "Buy", "0.001"))
    filled = wait_status(api, user, placed["id"], {"Filled"})
    assert filled["status"] == "Filled"
    trace = eventually_sync(
        lambda: order_trace(spans_dir), lambda t: services(t) >= ORDER_SERVICES and _has_fill_booking(t)
    )

    assert services(trace) >= ORDER_SERVICES, services(trace)
    venue_calls = [s for s in trace if s["name"] == "venue submit"]
    assert [s["service"] for s in venue_calls] == ["tradeplane-execution"]
    roots = [s for s in trace if s["parent_id"] is None]
    assert [s["name"] for s in roots] == ["POST /api/orders"]


def _has_fill_booking(trace: list[dict[str, Any]]) -> bool:
    """pnl's span for the fill: it ends after the fill is booked."""
    return any(s["service"] == "tradeplane-pnl" and "order.filled" in s["name"] for s in trace)
