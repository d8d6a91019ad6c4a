"""The NATS broker: creation, stream declaration, publishing, and idempotent typed consumers.

Consumers decode one contract model per message. A message that does not decode, or that keeps
failing, is dead-lettered with its reason and acknowledged, so a bad message never blocks a consumer.
"""

from __future__ import annotations

import base64
import logging
import warnings
from collections.abc import Awaitable, Callable
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
from .logs import correlation_id
from .settings import ServiceSettings

log = logging.getLogger(__name__)
# FastStream warns about every durable push consumer; ours share the work through a deliver group.
warnings.filterwarnings("ignore", message="The JetStream Push consumer with the `durable` option")

M = TypeVar("M", bound=Message)
Handler = Callable[[M], Awaitable[None]]


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


def _stream_config(spec: StreamSpec, replicas: int) -> StreamConfig:
    return StreamConfig(
        num_replicas=replicas,
        name=spec.name,
        subjects=list(spec.subjects),
        description=spec.description or None,
        max_age=spec.max_age.total_seconds() if spec.max_age else None,
        duplicate_window=spec.duplicate_window.total_seconds(),
        storage=StorageType.MEMORY if spec.memory else StorageType.FILE,
    )


async def declare_streams(broker: NatsBroker, replicas: int = 1) -> None:
    """Create or update every stream and the halt KV bucket; safe to run from every process."""
    js = broker.config.connection_state.stream
    for spec in streams.ALL_STREAMS:
        config = _stream_config(spec, replicas)
        try:
            await js.add_stream(config)
        except nats.js.errors.BadRequestError:
            await js.update_stream(config)
    await broker.key_value(streams.HALT_BUCKET, history=16, replicas=replicas)


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
        payload = msg.body.decode()
    except UnicodeDecodeError:
        payload = base64.b64encode(msg.body).decode()
    letter = DeadLettered(
        meta=new_meta(producer),
        original_subject=raw.subject,
        consumer=consumer,
        reason=reason[:2000],
        payload=payload,
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
    must be unique per process, or None for an ephemeral consumer, usually with `deliver_new`).
    """
    if queue and not durable:
        raise ValueError("a shared (queue) consumer needs a durable name")
    name = durable or f"ephemeral:{subject}"

    def decorator(fn: Handler[M]) -> Handler[M]:
        @router.subscriber(
            subject,
            queue=durable if queue and durable else "",
            stream=JStream(stream.name, declare=False),
            durable=durable,
            config=ConsumerConfig(max_deliver=max_deliver + 1, ack_wait=ack_wait.total_seconds()),
            deliver_policy=DeliverPolicy.NEW if deliver_new else None,
            ack_policy=AckPolicy.MANUAL,
            max_workers=max_workers,
            title=f"{name}:{subject}",
        )
        async def _consume(msg: NatsMessage) -> None:
            await _deliver(msg, fn, model, name, max_deliver, broker(), producer)

        return fn

    return decorator


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
        delivered = msg.raw_message.metadata.num_delivered or 1
        if delivered >= max_deliver:
            await dead_letter(broker, consumer_name, msg, f"failed {delivered} times: {exc!r}", producer)
            await msg.ack()
        else:
            log.warning("handler failed; will redeliver", exc_info=True, extra={"consumer": consumer_name})
            await msg.nack(delay=min(0.2 * 2**delivered, 5.0))
    else:
        await msg.ack()
    finally:
        correlation_id.reset(token)
