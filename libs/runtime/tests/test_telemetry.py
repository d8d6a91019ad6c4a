"""Tracing set up by settings, trace context carried in outbox headers, and bus metric labels."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from tradeplane.contracts import AuditRecorded, new_meta
from tradeplane.runtime import ServiceSettings, telemetry
from tradeplane.runtime.busmetrics import subject_family
from tradeplane.runtime.outbox import envelope


@pytest.fixture(autouse=True)
def tracing_off_afterwards() -> Iterator[None]:
    yield
    telemetry.configure_tracing("test", ServiceSettings())


@pytest.fixture
def span_file(tmp_path: Path) -> Path:
    telemetry.configure_tracing("probe", ServiceSettings(otel_export_file=str(tmp_path / "spans-%p.jsonl")))
    return tmp_path


def spans(directory: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for p in directory.glob("spans-*.jsonl") for line in p.read_text().splitlines()]


def event() -> AuditRecorded:
    return AuditRecorded(meta=new_meta("test"), actor="a", action="x", target="t", details={})


def test_without_an_exporter_tracing_is_off_and_headers_stay_clean() -> None:
    assert telemetry.configure_tracing("probe", ServiceSettings()) is None

    with telemetry.span("ignored") as span:
        headers = envelope("tp.audit.x", event()).headers

    assert span is None
    assert not telemetry.enabled()
    assert set(headers) == {"Nats-Msg-Id"}


def test_the_file_exporter_writes_one_line_per_span_named_by_service(span_file: Path) -> None:
    with telemetry.span("outer"), telemetry.span("inner"):
        pass

    written = {s["name"]: s for s in spans(span_file)}
    assert written["inner"]["parent_id"] == written["outer"]["span_id"]
    assert written["inner"]["trace_id"] == written["outer"]["trace_id"]
    assert written["outer"]["service"] == "tradeplane-probe"


def test_an_event_emitted_inside_a_span_carries_that_span_as_its_traceparent(span_file: Path) -> None:
    with telemetry.span("handler") as span:
        headers = envelope("tp.audit.x", event()).headers

    assert span is not None
    ctx = span.get_span_context()
    assert headers["traceparent"].startswith(f"00-{ctx.trace_id:032x}-{ctx.span_id:016x}-")


def test_work_under_stored_headers_continues_the_producers_trace(span_file: Path) -> None:
    with telemetry.span("producer"):
        headers = envelope("tp.audit.x", event()).headers

    with telemetry.from_headers(headers), telemetry.span("sweeper publish"):
        pass

    written = {s["name"]: s for s in spans(span_file)}
    assert written["sweeper publish"]["parent_id"] == written["producer"]["span_id"]
    assert written["sweeper publish"]["trace_id"] == written["producer"]["trace_id"]


def test_the_otlp_endpoint_gets_the_traces_path(monkeypatch: pytest.MonkeyPatch) -> None:
    settings = ServiceSettings(otel_exporter_otlp_endpoint="http://collector:4318")

    provider = telemetry.configure_tracing("probe", settings)

    assert provider is not None
    exporter = provider._active_span_processor._span_processors[0].span_exporter  # type: ignore[attr-defined]
    assert exporter._endpoint == "http://collector:4318/v1/traces"
    provider.shutdown()


@pytest.mark.parametrize(
    ("subject", "family"),
    [
        ("tp.order.accepted.3.5f1c2a8e-0000-0000-0000-000000000000", "tp.order.accepted"),
        ("tp.market.ticker.paper.BTC-USDT", "tp.market.ticker"),
        ("tp.query.pnl.summary", "tp.query.pnl.summary"),
        ("tp.heartbeat.risk", "tp.heartbeat.risk"),
        ("_INBOX.abc.def", "_INBOX"),
    ],
)
def test_bus_metrics_label_a_subject_by_its_family(subject: str, family: str) -> None:
    assert subject_family(subject) == family
