"""JetStream streams and KV buckets: declared once here, created by every service at start."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

from .subjects import PREFIX


@dataclass(frozen=True)
class StreamSpec:
    name: str
    subjects: tuple[str, ...]
    max_age: timedelta | None = None
    duplicate_window: timedelta = timedelta(minutes=10)
    memory: bool = False
    description: str = ""
    extra: dict[str, object] = field(default_factory=dict)


ORDERS = StreamSpec(
    "TP_ORDERS",
    (f"{PREFIX}.order.>",),
    description="Order commands and lifecycle events",
)
HALTS = StreamSpec("TP_HALTS", (f"{PREFIX}.halt.>",), description="Kill switch engage/release and acks")
VENUE = StreamSpec(
    "TP_VENUE", (f"{PREFIX}.venue.>", f"{PREFIX}.user.>"), description="Venue errors, user state"
)
MARKET = StreamSpec(
    "TP_MARKET",
    (f"{PREFIX}.market.>",),
    max_age=timedelta(hours=1),
    duplicate_window=timedelta(seconds=30),
    description="Market data (short retention)",
)
PNL = StreamSpec(
    "TP_PNL",
    (f"{PREFIX}.position.>", f"{PREFIX}.trade.>", f"{PREFIX}.pnl.>"),
    description="Positions, closed trades, PnL",
)
RISK = StreamSpec("TP_RISK", (f"{PREFIX}.risk.>",), description="Risk state transitions")
AUDIT = StreamSpec("TP_AUDIT", (f"{PREFIX}.audit.>",), description="Audit trail")
DLQ = StreamSpec("TP_DLQ", (f"{PREFIX}.dlq.>",), max_age=timedelta(days=30), description="Dead letters")

ALL_STREAMS: tuple[StreamSpec, ...] = (ORDERS, HALTS, VENUE, MARKET, PNL, RISK, AUDIT, DLQ)

HALT_BUCKET = "tp_halts"
"""KV bucket with the kill switch state: key `global` or `user.<user_id>`, value a HaltEngaged JSON."""


def halt_key(user_id: object | None = None) -> str:
    return "global" if user_id is None else f"user.{user_id}"


def stream_for(subject: str) -> StreamSpec:
    """The stream that stores `subject`; every published subject belongs to exactly one."""
    for spec in ALL_STREAMS:
        for pattern in spec.subjects:
            if subject.startswith(pattern.removesuffix(">")):
                return spec
    raise LookupError(f"no stream stores subject {subject!r}")
