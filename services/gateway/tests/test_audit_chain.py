"""The audit log's hash chains: an edited, deleted, inserted or cut-off entry is found and named."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID, uuid4

from tradeplane.gateway.audit_chain import GENESIS, Entry, Head, entry_hash, verify

T0 = datetime(2026, 12, 7, 12, 0, tzinfo=UTC)


def chain(n: int, name: str = "gateway") -> list[Entry]:
    entries, previous = [], GENESIS
    for seq in range(1, n + 1):
        entry = Entry(
            chain=name,
            seq=seq,
            event_id=uuid4(),
            occurred_at=T0 + timedelta(seconds=seq),
            producer=name,
            actor=f"user-{seq}",
            action="http.request",
            target="/api/orders",
            reason="",
            details='{"ip": "10.0.0.1", "status": 202}',
            prev_hash=previous,
        )
        entry = dataclasses.replace(entry, hash=entry_hash(entry))
        entries.append(entry)
        previous = entry.hash
    return entries


def head(entries: list[Entry]) -> dict[str, Head]:
    return {entries[-1].chain: Head(entries[-1].seq, entries[-1].hash)}


def test_an_untouched_chain_verifies() -> None:
    entries = chain(5)
    assert verify(entries, head(entries)) == []


def test_an_edited_entry_is_named() -> None:
    entries = chain(5)
    tampered = [*entries]
    tampered[2] = dataclasses.replace(entries[2], actor="someone-else")
    [problem] = verify(tampered, head(entries))
    assert (problem.kind, problem.seq, problem.event_id) == ("edited", 3, entries[2].event_id)
    assert str(entries[2].event_id) in problem.message


def test_an_edit_with_its_hash_recomputed_breaks_the_next_link() -> None:
    entries = chain(5)
    edited = dataclasses.replace(entries[1], reason="nothing happened")
    tampered = [entries[0], dataclasses.replace(edited, hash=entry_hash(edited)), *entries[2:]]
    [problem] = verify(tampered, head(entries))
    assert (problem.kind, problem.seq) == ("edited", 3)


def test_a_deleted_entry_is_named_by_its_place() -> None:
    entries = chain(5)
    [problem] = verify([*entries[:2], *entries[3:]], head(entries))
    assert (problem.kind, problem.seq) == ("deleted", 3)
    assert "#3 deleted" in problem.message and str(entries[3].event_id) in problem.message


def test_entries_cut_off_the_end_show_against_the_head() -> None:
    entries = chain(5)
    [problem] = verify(entries[:3], head(entries))
    assert (problem.kind, problem.seq) == ("deleted", 4)
    assert "#4..#5" in problem.message


def test_an_entry_appended_behind_the_writers_back_is_inserted() -> None:
    entries = chain(5)
    forged = dataclasses.replace(entries[-1], seq=6, event_id=UUID(int=6), prev_hash=entries[-1].hash)
    forged = dataclasses.replace(forged, hash=entry_hash(forged))
    [problem] = verify([*entries, forged], head(entries))
    assert (problem.kind, problem.event_id) == ("inserted", forged.event_id)


def test_each_chain_is_checked_on_its_own() -> None:
    gateway, risk = chain(3), chain(4, "risk")
    heads = head(gateway) | head(risk)
    tampered_risk = [*risk[:1], dataclasses.replace(risk[1], action="halt.released"), *risk[2:]]
    [problem] = verify([*gateway, *tampered_risk], heads)
    assert (problem.chain, problem.seq) == ("risk", 2)


def test_the_hash_covers_the_place_and_every_field() -> None:
    entry = chain(1)[0]
    changes: dict[str, Any] = {
        "chain": "risk",
        "seq": 2,
        "event_id": uuid4(),
        "occurred_at": T0,
        "producer": "risk",
        "actor": "x",
        "action": "y",
        "target": "z",
        "reason": "r",
        "details": "{}",
        "prev_hash": "f" * 64,
    }
    for name, value in changes.items():
        assert entry_hash(dataclasses.replace(entry, **{name: value})) != entry.hash, name
