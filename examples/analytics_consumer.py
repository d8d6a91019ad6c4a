"""Load every fill and closed trade of the platform into a local SQLite file, durably (docs/events.md).

Needs only `tradeplane-contracts` (the wheel, `make contracts-wheel`) and `nats-py`:

    TP_NATS_PASSWORD_ANALYTICS=... python examples/analytics_consumer.py --db analytics.sqlite \\
        --url nats://127.0.0.1:14222 [--since 2026-12-01T00:00:00Z | --from-seq 1] [--idle-exit 10]

It reads as the read-only `analytics` NATS user through two durable pull consumers (named `--durable`,
one of `ANALYTICS_CONSUMERS`): `tp.order.filled.>` on TP_ORDERS and `tp.trade.closed.>` on TP_PNL.
The first run creates them, starting at `--since` (a time) or `--from-seq` (a stream sequence) or at the
start of each stream; every later run resumes where the last acknowledged message left off, whatever
those options say. Each batch is written in one SQLite transaction keyed on the event id (a message seen
twice is written once) and acknowledged only after it is committed: a crash at any point loses nothing
and repeats nothing. Stop it with Ctrl-C (or SIGTERM); `--idle-exit N` stops after N quiet seconds.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import sqlite3
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from enum import Enum
from pathlib import Path
from typing import Any
from uuid import UUID

import nats
from nats.aio.client import Client
from nats.js import JetStreamContext
from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy
from nats.js.errors import FetchTimeoutError, NotFoundError
from pydantic import ValidationError
from tradeplane.contracts import catalog
from tradeplane.contracts.base import Message
from tradeplane.contracts.permissions import ANALYTICS, ANALYTICS_CONSUMERS, inbox_prefix

SCHEMA = """
CREATE TABLE IF NOT EXISTS fills (
    event_id TEXT PRIMARY KEY, stream_seq INTEGER NOT NULL, occurred_at TEXT NOT NULL,
    user_id TEXT NOT NULL, account_id TEXT NOT NULL, order_id TEXT NOT NULL, fill_id TEXT NOT NULL,
    venue TEXT NOT NULL, symbol TEXT NOT NULL, side TEXT NOT NULL, quantity TEXT NOT NULL,
    price TEXT NOT NULL, fee TEXT NOT NULL, fee_currency TEXT NOT NULL, liquidity TEXT NOT NULL,
    filled_at TEXT NOT NULL, UNIQUE (order_id, fill_id)
);
CREATE TABLE IF NOT EXISTS trades (
    event_id TEXT PRIMARY KEY, stream_seq INTEGER NOT NULL, occurred_at TEXT NOT NULL,
    trade_id TEXT NOT NULL UNIQUE, user_id TEXT NOT NULL, account_id TEXT NOT NULL, symbol TEXT NOT NULL,
    side TEXT NOT NULL, quantity TEXT NOT NULL, entry_price TEXT NOT NULL, exit_price TEXT NOT NULL,
    entry_at TEXT NOT NULL, exit_at TEXT NOT NULL, fees TEXT NOT NULL, pnl_usd TEXT NOT NULL,
    pnl_pct TEXT NOT NULL, duration_seconds INTEGER NOT NULL
);
"""
"""Amounts are kept as decimal text (exact); times as ISO 8601 in UTC."""


def _text(value: object) -> object:
    """A field as the file keeps it: amounts and ids as text, times as ISO 8601, an enum as its value."""
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, Decimal | UUID):
        return str(value)
    return value


@dataclass(frozen=True)
class Feed:
    """One durable consumer: a subject family of the catalogue and its model, stored in `table`."""

    table: str
    family: catalog.Event

    @property
    def stream(self) -> str:
        return self.family.stream.name


FEEDS = (
    Feed("fills", catalog.event_of("tp.order.filled.0.x")),
    Feed("trades", catalog.event_of("tp.trade.closed.x")),
)
ENVELOPE = ("event_id", "stream_seq", "occurred_at")
"""The columns every table has from the message's envelope; each of its others holds the model's field
of that name."""


class Store:
    """The analytics file: a batch is one transaction, and a message already stored is skipped."""

    def __init__(self, path: Path) -> None:
        self.db = sqlite3.connect(path)
        self.db.executescript(SCHEMA)
        self.fields = {
            feed.table: [
                c[1] for c in self.db.execute(f"PRAGMA table_info({feed.table})") if c[1] not in ENVELOPE
            ]
            for feed in FEEDS
        }

    def write(self, feed: Feed, rows: Sequence[tuple[int, Message]]) -> int:
        """Store the batch; how many rows were new."""
        before = self.db.total_changes
        with self.db:  # commit, or roll back on any error
            for seq, message in rows:
                row = {
                    "event_id": str(message.meta.event_id),
                    "stream_seq": seq,
                    "occurred_at": message.meta.occurred_at.isoformat(),
                    **{name: _text(getattr(message, name)) for name in self.fields[feed.table]},
                }
                columns = ", ".join(row)
                marks = ", ".join("?" for _ in row)
                # The table and columns are this file's own names; the values are bound parameters.
                insert = f"INSERT OR IGNORE INTO {feed.table} ({columns}) VALUES ({marks})"  # noqa: S608
                self.db.execute(insert, tuple(row.values()))
        return self.db.total_changes - before


@dataclass
class Options:
    url: str
    password: str
    db: Path
    durable: str
    since: datetime | None = None
    from_seq: int | None = None
    batch: int = 100
    ack_wait: float = 30.0
    idle_exit: float | None = None
    exit_unacked_after: int | None = None
    """Test aid: stop hard once this many fills are written, before acknowledging their last batch."""


def consumer_config(feed: Feed, options: Options) -> ConsumerConfig:
    start: dict[str, Any] = {"deliver_policy": DeliverPolicy.ALL}
    if options.since is not None:
        start = {"deliver_policy": DeliverPolicy.BY_START_TIME, "opt_start_time": options.since}
    elif options.from_seq is not None:
        start = {"deliver_policy": DeliverPolicy.BY_START_SEQUENCE, "opt_start_seq": options.from_seq}
    return ConsumerConfig(
        durable_name=options.durable,
        filter_subject=feed.family.subject,
        ack_policy=AckPolicy.EXPLICIT,
        ack_wait=options.ack_wait,
        max_ack_pending=10 * options.batch,
        **start,
    )


async def subscribe(js: JetStreamContext, feed: Feed, options: Options) -> JetStreamContext.PullSubscription:
    """Bind to the durable consumer, creating it (at the chosen start) only if it does not exist yet."""
    try:
        await js.consumer_info(feed.stream, options.durable)
    except NotFoundError:
        await js.add_consumer(feed.stream, consumer_config(feed, options))
    return await js.pull_subscribe_bind(durable=options.durable, stream=feed.stream)


async def drain(
    feed: Feed, sub: JetStreamContext.PullSubscription, store: Store, options: Options, counts: dict[str, int]
) -> int:
    """Fetch, write and then acknowledge one batch; how many messages it held."""
    try:
        batch = await sub.fetch(options.batch, timeout=1)
    except (FetchTimeoutError, TimeoutError):
        return 0
    rows: list[tuple[int, Message]] = []
    for msg in batch:
        try:
            rows.append((msg.metadata.sequence.stream, feed.family.model.model_validate_json(msg.data)))
        except ValidationError as exc:
            # Not acknowledged: nothing is skipped. A newer platform than these contracts? Upgrade them.
            raise SystemExit(f"cannot read {msg.subject} (upgrade tradeplane-contracts?): {exc}") from exc
    counts[feed.table] = counts.get(feed.table, 0) + store.write(feed, rows)
    written = counts[f"{feed.table} written"] = counts.get(f"{feed.table} written", 0) + len(rows)
    if (
        feed.table == "fills"
        and options.exit_unacked_after is not None
        and written >= options.exit_unacked_after
    ):
        print(f"exiting before acknowledging {len(rows)} written messages", flush=True)
        os._exit(3)
    for msg in batch:
        await msg.ack()
    return len(batch)


async def run(options: Options) -> dict[str, int]:
    store = Store(options.db)
    nc: Client = await nats.connect(
        options.url,
        user=ANALYTICS,
        password=options.password,
        inbox_prefix=inbox_prefix(ANALYTICS),
        name="analytics-consumer",
        max_reconnect_attempts=-1,
    )
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    counts: dict[str, int] = {}
    try:
        js = nc.jetstream()
        subs = [(feed, await subscribe(js, feed, options)) for feed in FEEDS]
        print(f"consuming as {options.durable}: {', '.join(f.family.subject for f, _ in subs)}", flush=True)
        idle_since = loop.time()
        while not stop.is_set():
            got = 0
            for feed, sub in subs:
                got += await drain(feed, sub, store, options, counts)
            await nc.flush()  # the acks are on the server before the next batch
            if got:
                idle_since = loop.time()
            elif options.idle_exit is not None and loop.time() - idle_since >= options.idle_exit:
                break
    finally:
        await nc.close()
        store.db.close()
    print(f"stored {counts.get('fills', 0)} new fills, {counts.get('trades', 0)} new trades", flush=True)
    return counts


def parse(argv: Sequence[str]) -> Options:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--url", default=os.environ.get("TP_NATS_URL", "nats://127.0.0.1:14222"))
    parser.add_argument("--db", type=Path, default=Path("analytics.sqlite"))
    parser.add_argument("--durable", default=ANALYTICS_CONSUMERS[0], choices=ANALYTICS_CONSUMERS)
    start = parser.add_mutually_exclusive_group()
    start.add_argument("--since", type=datetime.fromisoformat, help="first run: start at this time (UTC)")
    start.add_argument("--from-seq", type=int, help="first run: start at this stream sequence")
    parser.add_argument("--batch", type=int, default=100)
    parser.add_argument("--ack-wait", type=float, default=30.0, help="seconds before redelivery")
    parser.add_argument("--idle-exit", type=float, help="stop after this many seconds without messages")
    parser.add_argument(
        "--exit-unacked-after-fills", dest="exit_unacked_after", type=int, help=argparse.SUPPRESS
    )
    args = parser.parse_args(argv)
    password = os.environ.get("TP_NATS_PASSWORD_ANALYTICS") or os.environ.get("TP_NATS_PASSWORD", "")
    if not password:
        parser.error("set TP_NATS_PASSWORD_ANALYTICS to the analytics user's NATS password")
    if args.since is not None and args.since.tzinfo is None:
        parser.error("--since needs a timezone, e.g. 2026-12-01T00:00:00+00:00")
    return Options(
        url=args.url,
        password=password,
        db=args.db,
        durable=args.durable,
        since=args.since,
        from_seq=args.from_seq,
        batch=args.batch,
        ack_wait=args.ack_wait,
        idle_exit=args.idle_exit,
        exit_unacked_after=args.exit_unacked_after,
    )


def main(argv: Sequence[str] | None = None) -> None:
    asyncio.run(run(parse(sys.argv[1:] if argv is None else argv)))


if __name__ == "__main__":
    main()
