"""The platform's AsyncAPI 3.0 document, generated from the event catalogue (`catalog.EVENTS`).

Pure data (a dict of JSON values) and deterministic: the same contracts give the same document, so the
committed `docs/asyncapi.yaml` can be compared with it (`tradeplane events asyncapi --check`).
"""

from __future__ import annotations

from datetime import timedelta
from importlib import metadata
from typing import Any

from pydantic.json_schema import models_json_schema

from . import catalog
from .base import Message
from .catalog import Event

SCHEMAS = "#/components/schemas/{model}"

PARAMETERS = {
    "partition": "The user's partition (`partition_of(user_id, TP_PARTITIONS)`): use `*` to read all",
    "userId": "The user's id (UUID)",
    "target": "`global`, or `user.<userId>` for one user's kill switch",
    "executor": "The executor's name, e.g. `execution-0`",
    "action": "The audited action, e.g. `killswitch_engage` (any character but letters, digits, - and _ "
    "is written `_`)",
    "venue": "The venue's id, e.g. `paper`, `kraken`",
    "symbol": "The symbol with `/` written `-`, e.g. `BTC-USDT`",
    "timeframe": "The candle width: `1m`, `5m`, `15m`, `1h`, `4h` or `1d`",
    "consumer": "The consumer that refused the message",
    "originalSubject": "The subject the message was published on (several tokens)",
}

DESCRIPTION = """Every subject the Tradeplane platform publishes on NATS JetStream, generated from the
contracts package `tradeplane-contracts` (`tradeplane.contracts.catalog`). Messages are JSON: a `meta`
envelope (event id, time, correlation, schema version, producer) and the payload fields, in snake_case;
amounts are decimal strings, times ISO 8601 in UTC. Each channel's `x-jetstream` names the stream that
keeps it, how long, its de-duplication key (the `Nats-Msg-Id` header) and its ordering. See docs/events.md
for the subscriber's guide and the schema-version rules."""


def contracts_version() -> str:
    try:
        return metadata.version("tradeplane-contracts")
    except metadata.PackageNotFoundError:  # pragma: no cover - run from a source tree without install
        return "0+unknown"


def iso_duration(span: timedelta) -> str:
    """`timedelta(days=30)` → `P30D`, `timedelta(hours=1)` → `PT1H`."""
    seconds = int(span.total_seconds())
    days, seconds = divmod(seconds, 86400)
    hours, seconds = divmod(seconds, 3600)
    minutes, seconds = divmod(seconds, 60)
    time = "".join(f"{n}{unit}" for n, unit in ((hours, "H"), (minutes, "M"), (seconds, "S")) if n)
    return "P" + (f"{days}D" if days else "") + (f"T{time}" if time else "") if days or time else "PT0S"


def channel_id(event: Event) -> str:
    """`tp.order.filled` → `orderFilled`."""
    first, *rest = event.name.removeprefix("tp.").split(".")
    return first + "".join(word.capitalize() for word in rest)


def _summary(model: type[Message]) -> str:
    return (model.__doc__ or model.__name__).strip().split("\n\n")[0].replace("\n", " ")


def _schemas(models: list[type[Message]]) -> tuple[dict[str, Any], dict[str, Any]]:
    """Each model's schema reference, and every schema by name (models and what they use)."""
    refs, top = models_json_schema([(model, "serialization") for model in models], ref_template=SCHEMAS)
    return {model.__name__: refs[(model, "serialization")] for model in models}, top.get("$defs", {})


def _jetstream(event: Event) -> dict[str, Any]:
    stream = event.stream
    return {
        "stream": stream.name,
        "streamSubjects": list(stream.subjects),
        "maxAge": iso_duration(stream.max_age),
        "maxBytes": stream.max_bytes,
        "duplicateWindow": iso_duration(stream.duplicate_window),
        "deduplicationKey": event.key,
        "ordering": event.ordering,
        "retentionSetting": f"TP_STREAM_LIMITS__{stream.key.upper()}__MAX_AGE",
    }


def _message(model: type[Message], ref: dict[str, Any], keys: list[str]) -> dict[str, Any]:
    return {
        "name": model.__name__,
        "title": model.__name__,
        "summary": _summary(model),
        "contentType": "application/json",
        "headers": {
            "type": "object",
            "properties": {
                "Nats-Msg-Id": {
                    "type": "string",
                    "description": "De-duplication key: " + " or ".join(keys),
                }
            },
        },
        "correlationId": {"location": "$message.payload#/meta/correlation_id"},
        "payload": ref,
        "x-schema-version": model.SCHEMA_VERSION,
    }


def document(events: tuple[Event, ...] | None = None) -> dict[str, Any]:
    """The AsyncAPI 3.0 document of `events` (default: the whole catalogue)."""
    events = catalog.EVENTS if events is None else events
    models = list(dict.fromkeys(event.model for event in events))
    refs, schemas = _schemas(models)
    keys: dict[str, list[str]] = {}
    for event in events:
        keys.setdefault(event.model.__name__, [])
        if event.key not in keys[event.model.__name__]:
            keys[event.model.__name__].append(event.key)
    channels: dict[str, Any] = {}
    operations: dict[str, Any] = {}
    for event in events:
        cid = channel_id(event)
        name = event.model.__name__
        channels[cid] = {
            "address": event.address,
            "title": event.name,
            "description": f"{event.summary}. Subscribe with `{event.subject}`.",
            "parameters": {p: {"description": PARAMETERS.get(p, p)} for p in event.parameters},
            "messages": {name: {"$ref": f"#/components/messages/{name}"}},
            "x-jetstream": _jetstream(event),
        }
        operations[f"publish{cid[0].upper()}{cid[1:]}"] = {
            "action": "send",
            "channel": {"$ref": f"#/channels/{cid}"},
            "summary": event.summary,
            "description": f"Published by {', '.join(event.publishers)}.",
            "tags": [{"name": publisher} for publisher in event.publishers],
            "messages": [{"$ref": f"#/channels/{cid}/messages/{name}"}],
            "x-publishers": list(event.publishers),
        }
    return {
        "asyncapi": "3.0.0",
        "id": "urn:tradeplane:events",
        "info": {
            "title": "Tradeplane events",
            "version": contracts_version(),
            "description": " ".join(DESCRIPTION.split()),
        },
        "defaultContentType": "application/json",
        "servers": {
            "nats": {
                "host": "{host}",
                "protocol": "nats",
                "description": "The deployment's NATS with JetStream (user `analytics` for subscribers)",
                "variables": {"host": {"default": "127.0.0.1:14222", "description": "host:port"}},
            }
        },
        "channels": channels,
        "operations": operations,
        "components": {
            "messages": {m.__name__: _message(m, refs[m.__name__], keys[m.__name__]) for m in models},
            "schemas": dict(sorted(schemas.items())),
        },
    }


def differences(committed: Any, current: Any, path: str = "") -> list[str]:
    """Where two documents differ, as JSON-pointer-like paths (empty when they are the same)."""
    if isinstance(committed, dict) and isinstance(current, dict):
        found: list[str] = []
        for key in sorted(set(committed) | set(current), key=str):
            here = f"{path}/{key}"
            if key not in committed:
                found.append(f"{here}: not in the committed document")
            elif key not in current:
                found.append(f"{here}: no longer in the contracts")
            else:
                found.extend(differences(committed[key], current[key], here))
        return found
    if isinstance(committed, list) and isinstance(current, list) and len(committed) == len(current):
        return [
            d
            for i, (a, b) in enumerate(zip(committed, current, strict=True))
            for d in differences(a, b, f"{path}/{i}")
        ]
    return [] if committed == current else [f"{path or '/'}: changed"]
