"""FastStream's Prometheus middleware, labelled by subject family so per-user subjects stay one series."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from faststream.nats.prometheus.provider import (
    BatchNatsMetricsSettingsProvider,
    NatsMetricsSettingsProvider,
)
from faststream.prometheus import ConsumeAttrs
from faststream.prometheus.middleware import PrometheusMiddleware
from nats.aio.msg import Msg
from prometheus_client import REGISTRY

# `tp.query.<service>.<name>` is bounded and worth telling apart; any other subject is named by its
# first three tokens (`tp.order.accepted`), dropping partitions, user ids and symbols.
_KEEP_TOKENS = {"query": 4}


def subject_family(subject: str) -> str:
    """`tp.order.accepted.3.<user>` → `tp.order.accepted`; `_INBOX.x.y` → `_INBOX`."""
    tokens = subject.split(".")
    if tokens[0] != "tp":
        return tokens[0]
    keep = _KEEP_TOKENS.get(tokens[1], 3) if len(tokens) > 1 else 1
    return ".".join(tokens[:keep])


class _Single(NatsMetricsSettingsProvider):
    __slots__ = ()

    def get_consume_attrs_from_message(self, msg: Any) -> ConsumeAttrs:
        return {
            "destination_name": subject_family(msg.raw_message.subject),
            "message_size": len(msg.body),
            "messages_count": 1,
        }

    def get_publish_destination_name_from_cmd(self, cmd: Any) -> str:
        return subject_family(cmd.destination)


_SINGLE = _Single()


def _provider(msg: Msg | Sequence[Msg] | None) -> Any:
    if isinstance(msg, Sequence):
        return BatchNatsMetricsSettingsProvider()
    if isinstance(msg, Msg) or msg is None:
        return _SINGLE
    return None  # key-value and object-store watchers


def prometheus_middleware(service: str) -> PrometheusMiddleware[Any, Any]:
    """Messages received, processed (by status and duration) and published, on the default registry."""
    return PrometheusMiddleware(
        settings_provider_factory=_provider,
        registry=REGISTRY,
        app_name=f"tradeplane-{service}",
    )
