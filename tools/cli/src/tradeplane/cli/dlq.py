"""`tradeplane dlq`: list the dead letters, and replay them to the subject they came from.

A replay republishes the original payload and headers to the original subject (under a new
`Nats-Msg-Id`, so JetStream does not drop it as a duplicate of the original) and then deletes the
letter, so a letter is replayed once. Consumers are idempotent: those that had handled the message
skip it; the one that dead-lettered it handles it again. Fails again, and it is a new letter.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TypeVar

import nats.js.errors
from nats.js import JetStreamContext
from pydantic import ValidationError
from rich.console import Console
from rich.table import Table
from rich.text import Text
from tradeplane.contracts import DeadLettered, streams

from .tail import _connect as connect

T = TypeVar("T")

ALL_LETTERS = f"{streams.DLQ.subjects[0]}"
REPLAYED_FROM = "Tp-Replayed-From"
"""Header a replayed message carries: the sequence of the letter it came from."""


@dataclass(frozen=True)
class Letter:
    seq: int
    letter: DeadLettered


@dataclass(frozen=True)
class LetterFilter:
    """Which letters: of one consumer, from subjects under a prefix, since a time, with a reason."""

    consumer: str | None = None
    subject: str | None = None
    since: datetime | None = None
    reason: str | None = None

    @property
    def narrows(self) -> bool:
        return any(v is not None for v in (self.consumer, self.subject, self.since, self.reason))

    def accepts(self, found: Letter) -> bool:
        letter = found.letter
        return (
            (self.consumer is None or letter.consumer == self.consumer)
            and (self.subject is None or _under(letter.original_subject, self.subject))
            and (self.since is None or letter.meta.occurred_at >= self.since)
            and (self.reason is None or self.reason.lower() in letter.reason.lower())
        )


def _under(subject: str, prefix: str) -> bool:
    """Whole tokens: `tp.order` matches `tp.order.filled.3.u`, not `tp.orders.x`."""
    return subject == prefix or subject.startswith(prefix.rstrip(".") + ".")


async def letters(js: JetStreamContext, accept: LetterFilter = LetterFilter()) -> AsyncIterator[Letter]:
    """The stored letters `accept` keeps, oldest first (a letter that does not decode is skipped)."""
    seq = 1
    while True:
        try:
            raw = await js.get_msg(streams.DLQ.name, seq=seq, subject=ALL_LETTERS, next=True)
        except nats.js.errors.NotFoundError:
            return
        assert raw.seq is not None
        seq = raw.seq + 1
        try:
            found = Letter(raw.seq, DeadLettered.model_validate_json(raw.data or b""))
        except ValidationError:
            continue
        if accept.accepts(found):
            yield found


async def replay(js: JetStreamContext, found: Letter) -> None:
    """Republish the letter's message where it came from, then delete the letter."""
    letter = found.letter
    original_id = letter.headers.get("Nats-Msg-Id", str(letter.meta.event_id))
    headers = {
        **letter.headers,
        # Deterministic: a replay repeated before the letter's deletion is dropped as a duplicate.
        "Nats-Msg-Id": f"replay-{found.seq}-{original_id}",
        REPLAYED_FROM: str(found.seq),
    }
    await js.publish(letter.original_subject, letter.original_body(), headers=headers)
    await js.delete_msg(streams.DLQ.name, found.seq)


async def replay_matching(
    js: JetStreamContext, seqs: Sequence[int], accept: LetterFilter
) -> tuple[list[Letter], list[int]]:
    """Replay the letters `seqs` names (or, without any, every letter `accept` keeps).

    Returns the letters replayed and the sequences asked for that are not (or no longer) letters.
    """
    wanted = set(seqs)
    done = []
    async for found in letters(js, accept):
        if wanted and found.seq not in wanted:
            continue
        await replay(js, found)
        done.append(found)
    return done, sorted(wanted - {f.seq for f in done})


async def with_jetstream(
    url: str,
    work: Callable[[JetStreamContext], Awaitable[T]],
    credentials: tuple[str, str] | None = None,
) -> T:
    """Run `work` on a connection to `url` made as `tail` makes it (fails fast when NATS is not there)."""
    client = await connect(url, credentials)
    try:
        return await work(client.jetstream())
    finally:
        await client.close()


async def collect(js: JetStreamContext, accept: LetterFilter, limit: int) -> list[Letter]:
    found = []
    async for letter in letters(js, accept):
        found.append(letter)
        if len(found) >= limit:
            break
    return found


def table(found: Sequence[Letter], max_reason: int = 100) -> Table:
    view = Table("seq", "time (UTC)", "consumer", "subject", "reason", title=f"{len(found)} dead letters")
    for f in found:
        reason = f.letter.reason if len(f.letter.reason) <= max_reason else f.letter.reason[:max_reason] + "…"
        when = f.letter.meta.occurred_at.strftime("%Y-%m-%d %H:%M:%S")
        # Text, not markup: a reason or subject is data and may hold brackets.
        cells = (str(f.seq), when, f.letter.consumer, f.letter.original_subject, reason)
        view.add_row(*(Text(cell) for cell in cells))
    return view


def print_table(console: Console, found: Sequence[Letter]) -> None:
    console.print(table(found))
