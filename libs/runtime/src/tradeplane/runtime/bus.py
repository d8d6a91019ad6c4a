"""The NATS broker: creation, stream declaration, publishing, and idempotent typed consumers.

Consumers decode one contract model per message. A message that is bad in itself (undecodable, or
refused) is dead-lettered with its reason and acknowledged, so it never blocks a consumer; one that
fails because something is down is redelivered with backoff until it succeeds (see `failures`).
"""

from __future__ import annotations

import base64
import logging
import random
import re
import uuid
import warnings
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Mapping
from datetime import timedelta
from typing import Any, TypeVar

import nats.js.errors
from faststream import AckPolicy
from faststream.nats import ConsumerConfig, DeliverPolicy, JStream, NatsBroker, NatsMessage, NatsRouter
from faststream.nats.opentelemetry import NatsTelemetryMiddleware
from faststream.nats.security import NatsUserPassword
from nats.js.api import StorageType, StreamConfig
from pydantic import ValidationError
from tradeplane.contracts import DeadLettered, Message, new_meta, permissions, streams, subjects
from tradeplane.contracts.streams import StreamSpec

from . import telemetry
from .busmetrics import prometheus_middleware
from .failures import Failure, classify
from .logs import correlation_id
from .settings import ServiceSettings, StreamLimits

log = logging.getLogger(__name__)
# FastStream warns about every durable push consumer; ours share the work through a deliver group.
warnings.filterwarnings("ignore", message="The JetStream Push consumer with the `durable` option")

M = TypeVar("M", bound=Message)
Handler = Callable[[M], Awaitable[None]]

RETRY_FIRST_DELAY = 0.5
RETRY_MAX_DELAY = 15.0
"""Redelivery backoff of a message that failed because something is down (seconds, doubling)."""
FAN_OUT_INACTIVE = timedelta(hours=1)
"""How long the server keeps a process's own (fan-out) consumer after the process stopped listening."""
_PROCESS = uuid.uuid4().hex[:10]
_NAMED: list[tuple[str, str, ConsumerConfig]] = []
"""(stream, durable, settings) of every consumer with a fixed name this process registered."""


def make_broker(settings: ServiceSettings, service: str, **kwargs: Any) -> NatsBroker:
    """A broker whose per-message logs are at DEBUG: the hot path stays quiet at INFO.

    It counts messages for Prometheus, and traces them when `telemetry.configure_tracing` set up
    an exporter (call that first).
    """
    middlewares: list[Any] = [prometheus_middleware(service)]
    if (provider := telemetry.provider()) is not None:
        middlewares.append(NatsTelemetryMiddleware(tracer_provider=provider))
    return NatsBroker(
        settings.nats_url,
        **_credentials(settings),
        middlewares=middlewares,
        name=f"{service}:{settings.instance_id}",
        logger=logging.getLogger(f"tradeplane.{service}.bus"),
        log_level=logging.DEBUG,
        graceful_timeout=10.0,
        max_reconnect_attempts=-1,
        reconnect_time_wait=1,
        **kwargs,
    )


def _credentials(settings: ServiceSettings) -> dict[str, Any]:
    """The service's NATS user and password, and its own inbox prefix (its permissions allow only that)."""
    if not settings.nats_user or settings.nats_password is None:
        return {}
    return {
        "security": NatsUserPassword(settings.nats_user, settings.nats_password.get_secret_value()),
        "inbox_prefix": permissions.inbox_prefix(settings.nats_user),
    }


def stream_config(spec: StreamSpec, replicas: int, limits: StreamLimits | None = None) -> StreamConfig:
    """The stream as declared: the spec's retention unless `limits` (from settings) replace it."""
    max_age = (limits and limits.max_age) or spec.max_age
    return StreamConfig(
        num_replicas=replicas,
        name=spec.name,
        subjects=list(spec.subjects),
        description=spec.description or None,
        max_age=max_age.total_seconds(),
        max_bytes=(limits and limits.max_bytes) or spec.max_bytes,
        # JetStream refuses a de-duplication window longer than the stream keeps messages.
        duplicate_window=min(spec.duplicate_window, max_age).total_seconds(),
        storage=StorageType.MEMORY if spec.memory else StorageType.FILE,
    )


async def declare_streams(
    broker: NatsBroker, replicas: int = 1, limits: Mapping[str, StreamLimits] | None = None
) -> None:
    """Create or update every stream and the halt KV bucket; safe to run from every process."""
    js = broker.config.connection_state.stream
    for spec in streams.ALL_STREAMS:
        config = stream_config(spec, replicas, (limits or {}).get(spec.key))
        try:
            await js.add_stream(config)
        except nats.js.errors.BadRequestError:
            await js.update_stream(config)
    await _declare_halt_bucket(broker, replicas)


async def _declare_halt_bucket(broker: NatsBroker, replicas: int) -> None:
    """Create the bucket, or bring an existing one's size limit up to date (its data stays)."""
    js = broker.config.connection_state.stream
    try:
        info = await js.stream_info(f"KV_{streams.HALT_BUCKET}")
    except nats.js.errors.NotFoundError:
        limit = streams.HALT_BUCKET_MAX_BYTES
        await broker.key_value(streams.HALT_BUCKET, history=16, replicas=replicas, max_bytes=limit)
        return
    if info.config.max_bytes != streams.HALT_BUCKET_MAX_BYTES:
        info.config.max_bytes = streams.HALT_BUCKET_MAX_BYTES
        await js.update_stream(info.config)
    await broker.key_value(streams.HALT_BUCKET, declare=False)


def pin_deliver_subjects(settings: ServiceSettings) -> None:
    """Give each named consumer a deliver subject of its own name (`_INBOX_gateway.gateway-orders-filled`)
    instead of a random inbox, so that processes starting at once (gateway workers, replicas) create
    the same consumer: JetStream answers an identical create with the existing consumer, but refuses
    one whose deliver subject differs from a bound subscriber's ("consumer name already in use"),
    which failed a worker's startup and, through uvicorn, stopped the whole gateway. Call before the
    subscribers start; an existing consumer keeps its subject (subscribers bind to it)."""
    inbox_prefix = _credentials(settings).get("inbox_prefix", "_INBOX")  # nats-py's default
    for _, durable, config in _NAMED:
        if config.deliver_subject is None:
            config.deliver_subject = f"{inbox_prefix}.{durable}"


async def lift_delivery_limits(broker: NatsBroker) -> None:
    """Let this process's existing consumers redeliver without limit (an older version made them
    give up after a few deliveries, which silently stranded a message that failed during an outage).

    JetStream keeps an existing consumer's configuration when a subscriber binds to it, so it is
    updated here, before the subscribers start.
    """
    js = broker.config.connection_state.stream
    for stream, durable in sorted({(stream, durable) for stream, durable, _ in _NAMED}):
        try:
            info = await js.consumer_info(stream, durable)
        except nats.js.errors.NotFoundError:
            continue
        if info.config.max_deliver not in (None, -1):
            info.config.max_deliver = -1
            await js.add_consumer(stream, config=info.config)
            log.info("lifted a consumer's delivery limit", extra={"consumer": durable, "stream": stream})


async def publish(broker: NatsBroker, subject: str, payload: bytes, headers: dict[str, str]) -> None:
    """Publish to JetStream and wait for the stream's ack (the outbox's publish function).

    The publish joins the trace its headers carry (the producer's, stored with the outbox row), so
    a relay or a sweep long after the producer's span still continues that trace.
    """
    with telemetry.from_headers(headers):
        await broker.publish(payload, subject, headers=headers, stream=streams.stream_for(subject).name)


async def publish_message(broker: NatsBroker, subject: str, message: Message) -> None:
    headers = {"Nats-Msg-Id": str(message.meta.event_id)}
    await publish(broker, subject, message.model_dump_json().encode(), headers)


async def dead_letter(
    broker: NatsBroker, consumer: str, msg: NatsMessage, reason: str, producer: str
) -> None:
    raw = msg.raw_message
    try:
        payload, as_base64 = msg.body.decode(), False
    except UnicodeDecodeError:
        payload, as_base64 = base64.b64encode(msg.body).decode(), True
    letter = DeadLettered(
        meta=new_meta(producer),
        original_subject=raw.subject,
        consumer=consumer,
        reason=reason[:2000],
        payload=payload,
        payload_base64=as_base64,
        headers={k: v for k, v in (raw.headers or {}).items() if isinstance(v, str)},
    )
    await publish_message(broker, subjects.dead_letter(consumer, raw.subject), letter)
    log.error(
        "dead-lettered a message", extra={"consumer": consumer, "subject": raw.subject, "reason": reason}
    )


def consumer(
    router: NatsRouter,
    broker: Callable[[], NatsBroker],
    model: type[M],
    *,
    subject: str,
    durable: str | None,
    stream: StreamSpec,
    producer: str,
    queue: str | None = None,
    max_workers: int = 1,
    max_deliver: int = 5,
    ack_wait: timedelta = timedelta(seconds=10),
    deliver_new: bool = False,
) -> Callable[[Handler[M]], Handler[M]]:
    """Register `fn(message)` as a durable JetStream consumer of `model` messages on `subject`.

    With `queue` (any non-empty value) replicas share the work: the deliver group is the durable's
    name, as JetStream requires. Without it every process gets every message (fan-out: then `durable`
    must be unique per process, or None for a consumer of this process alone, usually with
    `deliver_new`). Such a consumer is durable too, so it survives a restart of nats-server (nats-py
    does not recreate an ephemeral one); the server drops it once the process has been gone a while.

    A handler failure because something is down is redelivered, with backoff, until it succeeds
    (JetStream's own delivery limit is off); any other failure is retried `max_deliver` times.
    """
    if queue and not durable:
        raise ValueError("a shared (queue) consumer needs a durable name")
    name = durable or f"{producer}:{subject}"
    config = ConsumerConfig(max_deliver=-1, ack_wait=ack_wait.total_seconds())
    if durable is None:
        durable = process_durable(producer, subject)
        config.inactive_threshold = FAN_OUT_INACTIVE.total_seconds()
    else:
        _NAMED.append((stream.name, durable, config))

    def decorator(fn: Handler[M]) -> Handler[M]:
        @router.subscriber(
            subject,
            queue=durable if queue else "",
            stream=JStream(stream.name, declare=False),
            durable=durable,
            config=config,
            deliver_policy=DeliverPolicy.NEW if deliver_new else None,
            ack_policy=AckPolicy.MANUAL,
            max_workers=max_workers,
            title=f"{name}:{subject}",
        )
        async def _consume(msg: NatsMessage) -> None:
            await _deliver(msg, fn, model, name, max_deliver, broker(), producer)

        return fn

    return decorator


def process_durable(producer: str, subject: str) -> str:
    """A consumer name unique to this process: `pnl-tp-market-ticker-3f2a9c1b7e`."""
    slug = re.sub(r"[^A-Za-z0-9]+", "-", subject).strip("-")
    return f"{producer}-{slug}-{_PROCESS}"


def retry_delay(delivered: int, failure: Failure) -> float:
    """Seconds before the next delivery: doubling, jittered; capped higher for an outage."""
    cap = RETRY_MAX_DELAY if failure is Failure.TRANSIENT else 5.0
    return min(RETRY_FIRST_DELAY * 2.0 ** max(delivered - 1, 0), cap) * random.uniform(0.75, 1.0)


class _FailureCounts:
    """Failures of unknown cause, per message: only these count toward dead-lettering."""

    def __init__(self, capacity: int = 10_000) -> None:
        self.capacity = capacity
        self._counts: OrderedDict[tuple[str, int], int] = OrderedDict()

    def add(self, key: tuple[str, int]) -> int:
        count = self._counts.pop(key, 0) + 1
        self._counts[key] = count
        while len(self._counts) > self.capacity:
            self._counts.popitem(last=False)
        return count

    def forget(self, key: tuple[str, int]) -> None:
        self._counts.pop(key, None)


_unknown_failures = _FailureCounts()


async def _deliver(
    msg: NatsMessage,
    fn: Handler[M],
    model: type[M],
    consumer_name: str,
    max_deliver: int,
    broker: NatsBroker,
    producer: str,
) -> None:
    try:
        message = model.model_validate_json(msg.body)
    except ValidationError as exc:
        await dead_letter(broker, consumer_name, msg, f"undecodable {model.__name__}: {exc}", producer)
        await msg.ack()
        return
    token = correlation_id.set(str(message.meta.correlation_id or message.meta.event_id))
    try:
        await fn(message)
    except Exception as exc:
        await _failed(msg, exc, consumer_name, max_deliver, broker, producer)
    else:
        await msg.ack()
        _unknown_failures.forget(_key(msg, consumer_name))
    finally:
        correlation_id.reset(token)


async def _failed(
    msg: NatsMessage,
    exc: Exception,
    consumer_name: str,
    max_deliver: int,
    broker: NatsBroker,
    producer: str,
) -> None:
    failure = classify(exc)
    delivered = msg.raw_message.metadata.num_delivered or 1
    extra = {"consumer": consumer_name, "failure": failure.value, "delivered": delivered}
    if failure is Failure.PERMANENT:
        await dead_letter(broker, consumer_name, msg, f"refused: {exc!r}", producer)
        await msg.ack()
    elif failure is Failure.TRANSIENT:
        log.warning("handler failed, something is down; will redeliver", extra={**extra, "error": repr(exc)})
        await msg.nack(delay=retry_delay(delivered, failure))
    elif (failures := _unknown_failures.add(_key(msg, consumer_name))) >= max_deliver:
        _unknown_failures.forget(_key(msg, consumer_name))
        await dead_letter(broker, consumer_name, msg, f"failed {failures} times: {exc!r}", producer)
        await msg.ack()
    else:
        log.warning("handler failed; will redeliver", exc_info=True, extra=extra)
        await msg.nack(delay=retry_delay(failures, failure))


def _key(msg: NatsMessage, consumer_name: str) -> tuple[str, int]:
    return consumer_name, msg.raw_message.metadata.sequence.stream
