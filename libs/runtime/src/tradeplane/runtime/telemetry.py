"""Tracing: one OpenTelemetry trace per order across HTTP, bus hops and venue calls, when configured.

With no exporter configured nothing here costs more than a `None` check: no provider, no spans,
no broker middleware. The W3C `traceparent` travels in message headers (stored in the outbox row,
so even a swept event keeps its trace).
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator, Mapping, MutableMapping, Sequence
from contextlib import AbstractContextManager, contextmanager, nullcontext
from pathlib import Path
from typing import Any

import orjson
from opentelemetry import context as otel_context
from opentelemetry.context import Context
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import (
    BatchSpanProcessor,
    SimpleSpanProcessor,
    SpanExporter,
    SpanExportResult,
)
from opentelemetry.trace import Span, SpanKind, Tracer
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .settings import ServiceSettings

_PROPAGATOR = TraceContextTextMapPropagator()
_provider: TracerProvider | None = None
_tracer: Tracer | None = None


def configure_tracing(service: str, settings: ServiceSettings) -> TracerProvider | None:
    """Set up this process's tracer from the settings; None (and tracing off) without an exporter."""
    global _provider, _tracer
    processors = _processors(settings)
    if not processors:
        _provider, _tracer = None, None
        return None
    resource = Resource.create(
        {"service.name": f"tradeplane-{service}", "service.instance.id": settings.instance_id}
    )
    provider = TracerProvider(resource=resource)
    for processor in processors:
        provider.add_span_processor(processor)
    _provider, _tracer = provider, provider.get_tracer("tradeplane")
    return provider


def _processors(settings: ServiceSettings) -> list[Any]:
    processors: list[Any] = []
    if settings.otel_exporter_otlp_endpoint:
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

        endpoint = settings.otel_exporter_otlp_endpoint.rstrip("/")
        if not endpoint.endswith("/v1/traces"):
            endpoint += "/v1/traces"
        processors.append(BatchSpanProcessor(OTLPSpanExporter(endpoint=endpoint)))
    if settings.otel_export_file:
        path = Path(settings.otel_export_file.replace("%p", str(os.getpid())))
        processors.append(SimpleSpanProcessor(JsonLinesExporter(path)))
    return processors


def enabled() -> bool:
    return _tracer is not None


def provider() -> TracerProvider | None:
    return _provider


def flush() -> None:
    if _provider is not None:
        _provider.force_flush(timeout_millis=5000)


def span(
    name: str, attributes: Mapping[str, Any] | None = None, kind: SpanKind = SpanKind.INTERNAL
) -> AbstractContextManager[Span | None]:
    """A child span of the current context while tracing is on; a no-op otherwise."""
    if _tracer is None:
        return nullcontext()
    return _tracer.start_as_current_span(name, kind=kind, attributes=dict(attributes or {}))


def inject(headers: MutableMapping[str, str]) -> None:
    """Put the current span's `traceparent` into outgoing message headers."""
    if _tracer is not None:
        _PROPAGATOR.inject(headers)


def capture() -> Context | None:
    """The current trace context, to carry into another task (an actor's mailbox)."""
    return otel_context.get_current() if _tracer is not None else None


@contextmanager
def attached(ctx: Context | None) -> Iterator[None]:
    """Run the block inside `ctx` (from `capture`); does nothing for None."""
    if ctx is None:
        yield
        return
    token = otel_context.attach(ctx)
    try:
        yield
    finally:
        otel_context.detach(token)


def from_headers(headers: Mapping[str, str]) -> AbstractContextManager[None]:
    """Run the block inside the trace context carried by `headers`, if tracing is on and they carry one."""
    if _tracer is None or "traceparent" not in headers:
        return nullcontext()
    return attached(_PROPAGATOR.extract(headers))


class JsonLinesExporter(SpanExporter):
    """One JSON line per finished span, appended to a file: how a test reads spans of other processes."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self._file = path.open("ab")
        self._lock = threading.Lock()

    def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
        lines = b"".join(orjson.dumps(span_record(s)) + b"\n" for s in spans)
        with self._lock:
            self._file.write(lines)
            self._file.flush()
        return SpanExportResult.SUCCESS

    def shutdown(self) -> None:
        with self._lock:
            self._file.close()


def span_record(span: ReadableSpan) -> dict[str, Any]:
    ctx = span.get_span_context()
    assert ctx is not None
    return {
        "trace_id": format(ctx.trace_id, "032x"),
        "span_id": format(ctx.span_id, "016x"),
        "parent_id": format(span.parent.span_id, "016x") if span.parent else None,
        "name": span.name,
        "kind": span.kind.name,
        "service": span.resource.attributes.get("service.name"),
        "start": span.start_time,
        "end": span.end_time,
        "attributes": dict(span.attributes or {}),
    }


class TracingMiddleware:
    """ASGI middleware: one server span per HTTP request, continuing an incoming `traceparent`."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or _tracer is None:
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1"): v.decode("latin-1") for k, v in scope.get("headers", [])}
        parent = _PROPAGATOR.extract(headers)
        method = scope["method"]
        with _tracer.start_as_current_span(
            method, context=parent, kind=SpanKind.SERVER, attributes={"http.request.method": method}
        ) as server_span:

            async def record_status(message: Message) -> None:
                if message["type"] == "http.response.start":
                    server_span.set_attribute("http.response.status_code", message["status"])
                await send(message)

            try:
                await self.app(scope, receive, record_status)
            finally:
                route = getattr(scope.get("route"), "path", None)
                if route:
                    server_span.update_name(f"{method} {route}")
                    server_span.set_attribute("http.route", route)
