"""JetStream streams and KV buckets: declared once here, created by every service at start."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

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


ORDERS = StreamSpec(
    "TP_ORDERS",
    (f"{PREFIX}.order.>",),
    max_age=timedelta(days=30),
    max_bytes=2 * GiB,
    description="Order commands and lifecycle events",
)
HALTS = StreamSpec(
    "TP_HALTS",
    (f"{PREFIX}.halt.>",),
    max_age=timedelta(days=90),
    max_bytes=64 * MiB,
    description="Kill switch engage/release and acks",
)
VENUE = StreamSpec(
    "TP_VENUE",
    (f"{PREFIX}.venue.>", f"{PREFIX}.user.>"),
    max_age=timedelta(days=365),
    max_bytes=512 * MiB,
    description="Venue errors, user state (executors replay user state from the start: keep it long)",
)
MARKET = StreamSpec(
    "TP_MARKET",
    (f"{PREFIX}.market.>",),
    max_age=timedelta(hours=1),
    max_bytes=512 * MiB,
    duplicate_window=timedelta(seconds=30),
    description="Market data (short retention)",
)
PNL = StreamSpec(
    "TP_PNL",
    (f"{PREFIX}.position.>", f"{PREFIX}.trade.>", f"{PREFIX}.pnl.>"),
    max_age=timedelta(days=30),
    max_bytes=1 * GiB,
    description="Positions, closed trades, PnL",
)
RISK = StreamSpec(
    "TP_RISK",
    (f"{PREFIX}.risk.>",),
    max_age=timedelta(days=30),
    max_bytes=256 * MiB,
    description="Risk state transitions and alerts",
)
AUDIT = StreamSpec(
    "TP_AUDIT",
    (f"{PREFIX}.audit.>",),
    max_age=timedelta(days=90),
    max_bytes=1 * GiB,
    description="Audit trail (the gateway keeps its own copy in the database)",
)
BOTS = StreamSpec(
    "TP_BOTS",
    (f"{PREFIX}.bot.>",),
    max_age=timedelta(days=30),
    max_bytes=512 * MiB,
    description="Bot status changes and bot logs",
)
DLQ = StreamSpec(
    "TP_DLQ",
    (f"{PREFIX}.dlq.>",),
    max_age=timedelta(days=30),
    max_bytes=256 * MiB,
    description="Dead letters",
)

BACKTESTS = StreamSpec(
    "TP_BACKTESTS",
    (f"{PREFIX}.backtest.>",),
    max_age=timedelta(days=7),
    max_bytes=256 * MiB,
    description="Backtest job progress and completion",
)

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
