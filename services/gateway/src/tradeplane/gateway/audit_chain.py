"""The audit log as hash chains: each stored entry carries the SHA-256 of the entry before it in its chain
(one chain per publishing service), so an edited, deleted or inserted entry shows.

An entry's hash covers its place (chain, sequence number), the previous entry's hash and all its fields
(the details as PostgreSQL prints the stored JSONB, so what is hashed is exactly what is kept). The
chain's head (last sequence number and hash) is kept apart, so entries cut off the end show too.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from itertools import groupby
from uuid import UUID

GENESIS = "0" * 64
"""The `prev_hash` of a chain's first entry."""


@dataclass(frozen=True, slots=True)
class Entry:
    """One stored audit entry, as the hash sees it."""

    chain: str
    seq: int
    event_id: UUID
    occurred_at: datetime
    producer: str
    actor: str
    action: str
    target: str
    reason: str
    details: str
    """The details as JSON text, as PostgreSQL prints the stored JSONB (`details::text`)."""
    prev_hash: str
    hash: str = ""


def entry_hash(entry: Entry) -> str:
    """SHA-256 (hex) of the previous hash and the entry's canonical form."""
    fields = [
        entry.chain,
        entry.seq,
        str(entry.event_id),
        entry.occurred_at.astimezone(UTC).isoformat(),
        entry.producer,
        entry.actor,
        entry.action,
        entry.target,
        entry.reason,
        entry.details,
    ]
    canonical = json.dumps(fields, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(f"{entry.prev_hash}\n{canonical}".encode()).hexdigest()


@dataclass(frozen=True, slots=True)
class Head:
    seq: int
    hash: str


@dataclass(frozen=True, slots=True)
class Problem:
    """Where a chain stops being what was written: the first bad entry of one chain."""

    chain: str
    seq: int
    event_id: UUID | None
    kind: str
    """`edited`, `deleted` or `inserted`."""
    message: str


def verify(entries: Iterable[Entry], heads: Mapping[str, Head]) -> list[Problem]:
    """The first problem of each chain (entries sorted by chain, then seq), [] when every chain holds."""
    problems: list[Problem] = []
    seen: set[str] = set()
    for chain, rows in groupby(entries, key=lambda e: e.chain):
        seen.add(chain)
        head = heads.get(chain)
        if problem := _first_problem(chain, rows, head):
            problems.append(problem)
    for chain, head in heads.items():
        if chain not in seen and head.seq > 0:
            problems.append(_cut(chain, 0, head))
    return problems


def _first_problem(chain: str, rows: Iterator[Entry], head: Head | None) -> Problem | None:
    expected, previous = 1, GENESIS
    for entry in rows:
        where = f"chain {chain!r}, #{entry.seq}, entry {entry.event_id}"
        if head is None or entry.seq > head.seq:
            return Problem(chain, entry.seq, entry.event_id, "inserted", f"{where}: beyond the chain's head")
        if entry.seq > expected:
            missing = f"#{expected}" if entry.seq == expected + 1 else f"#{expected}..#{entry.seq - 1}"
            return Problem(
                chain, expected, None, "deleted", f"chain {chain!r}: {missing} deleted (before {where})"
            )
        if entry.prev_hash != previous:
            return Problem(
                chain,
                entry.seq,
                entry.event_id,
                "edited",
                f"{where}: does not follow the entry before it (that one was edited, or this one inserted)",
            )
        if entry_hash(entry) != entry.hash:
            return Problem(chain, entry.seq, entry.event_id, "edited", f"{where}: edited (its hash differs)")
        expected, previous = entry.seq + 1, entry.hash
    last = expected - 1
    if head is not None and head.seq > last:
        return _cut(chain, last, head)
    if head is not None and head.hash != previous:
        message = f"chain {chain!r}: #{last}, the last entry, was rewritten"
        return Problem(chain, last, None, "edited", message)
    return None


def _cut(chain: str, last: int, head: Head) -> Problem:
    return Problem(
        chain,
        last + 1,
        None,
        "deleted",
        f"chain {chain!r}: #{last + 1}..#{head.seq} deleted from the end (the head is #{head.seq})",
    )
