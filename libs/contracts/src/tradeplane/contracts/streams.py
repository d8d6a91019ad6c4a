"""JetStream streams and KV buckets: declared once here, created by every service at start."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from .subjects import PREFIX

MiB = 1024 * 1024
GiB = 1024 * MiB


@dataclass(frozen=True)
class StreamSpec:
    """A stream and its default retention; settings (`TP_STREAM_LIMITS`) may change the limits."""

    name: str
    subjects: tuple[str, ...]
    max_age: timedelta
    max_bytes: int
    duplicate_window: timedelta = timedelta(minutes=10)
    memory: bool = False
    description: str = ""
    extra: dict[str, object] = field(default_factory=dict)

    @property
    def key(self) -> str:
        """The stream's name in settings: `TP_ORDERS` → `orders`."""
        return self.name.removeprefix("TP_").lower()


def _stream(
    key: str, topics: str, max_age: timedelta, max_bytes: int, description: str, **options: Any
) -> StreamSpec:
    """The stream `TP_<KEY>`, storing every subject under `tp.<topic>` for each space-separated topic."""
    subjects = tuple(f"{PREFIX}.{topic}.>" for topic in topics.split())
    return StreamSpec(f"TP_{key}", subjects, max_age, max_bytes, description=description, **options)


_DAY = timedelta(days=1)

ORDERS = _stream("ORDERS", "order", 30 * _DAY, 2 * GiB, "Order commands and lifecycle events")
HALTS = _stream("HALTS", "halt", 90 * _DAY, 64 * MiB, "Kill switch engage/release and acks")
VENUE = _stream(
    "VENUE",
    "venue user",
    365 * _DAY,
    512 * MiB,
    "Venue errors, user state (executors replay user state from the start: keep it long)",
)
MARKET = _stream(
    "MARKET",
    "market",
    timedelta(hours=1),
    512 * MiB,
    "Market data (short retention)",
    duplicate_window=timedelta(seconds=30),
)
PNL = _stream("PNL", "position trade pnl", 30 * _DAY, 1 * GiB, "Positions, closed trades, PnL")
RISK = _stream("RISK", "risk", 30 * _DAY, 256 * MiB, "Risk state transitions and alerts")
AUDIT = _stream(
    "AUDIT", "audit", 90 * _DAY, 1 * GiB, "Audit trail (the gateway keeps its own copy in the database)"
)
BOTS = _stream("BOTS", "bot", 30 * _DAY, 512 * MiB, "Bot status changes and bot logs")
DLQ = _stream("DLQ", "dlq", 30 * _DAY, 256 * MiB, "Dead letters")
BACKTESTS = _stream("BACKTESTS", "backtest", 7 * _DAY, 256 * MiB, "Backtest job progress and completion")

ALL_STREAMS: tuple[StreamSpec, ...] = (ORDERS, HALTS, VENUE, MARKET, PNL, RISK, AUDIT, BOTS, DLQ, BACKTESTS)

HALT_BUCKET = "tp_halts"
"""KV bucket with the kill switch state: key `global` or `user.<user_id>`, value a HaltEngaged JSON."""
HALT_BUCKET_MAX_BYTES = 64 * MiB
"""The bucket's size limit; it has no age limit, since a halt holds until it is released."""


def halt_key(user_id: object | None = None) -> str:
    return "global" if user_id is None else f"user.{user_id}"


def stream_for(subject: str) -> StreamSpec:
    """The stream that stores `subject`; every published subject belongs to exactly one."""
    for spec in ALL_STREAMS:
        for pattern in spec.subjects:
            if subject.startswith(pattern.removesuffix(">")):
                return spec
    raise LookupError(f"no stream stores subject {subject!r}")
