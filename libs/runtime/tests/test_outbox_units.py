"""The outbox's statement shapes: events ride the caller's write as a CTE, within PostgreSQL's limits."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Column, Integer, Table, insert
from sqlalchemy.dialects import postgresql
from tradeplane.contracts import AuditRecorded, new_meta
from tradeplane.runtime import Tx, service_metadata
from tradeplane.runtime.outbox import MAX_INLINE_EVENTS

metadata = service_metadata("unit")
things = Table("things", metadata, Column("n", Integer, primary_key=True))


class RecordingConnection:
    def __init__(self) -> None:
        self.statements: list[str] = []

    async def execute(self, statement: Any) -> None:
        self.statements.append(" ".join(str(statement.compile(dialect=postgresql.dialect())).split()))


def _tx(conn: RecordingConnection) -> Tx:
    return Tx(conn, metadata.tables["unit.outbox"])  # type: ignore[arg-type]


def _emit(tx: Tx, count: int) -> None:
    for i in range(count):
        tx.emit("tp.audit.unit", AuditRecorded(meta=new_meta("unit"), actor="unit", action=f"a{i}"))


async def test_events_emitted_before_a_write_are_inserted_by_that_same_statement() -> None:
    conn = RecordingConnection()
    tx = _tx(conn)
    _emit(tx, 2)

    await tx.execute(insert(things).values(n=1))

    [statement] = conn.statements
    assert statement.startswith("WITH outbox_rows AS (INSERT INTO unit.outbox")
    assert statement.count("::UUID") == 2  # both events, in the VALUES of that one INSERT
    assert "INSERT INTO unit.things" in statement
    assert (len(tx.written), len(tx.pending)) == (2, 0)
    assert [e.event_id for e in tx.envelopes] == [e.event_id for e in tx.written]


async def test_events_emitted_after_the_write_wait_for_the_transactions_end() -> None:
    conn = RecordingConnection()
    tx = _tx(conn)
    _emit(tx, 1)
    await tx.execute(insert(things).values(n=1))
    _emit(tx, 1)

    assert (len(tx.written), len(tx.pending)) == (1, 1)
    assert tx.envelopes == [*tx.written, *tx.pending]  # published in the order they were emitted


async def test_too_many_events_for_one_statement_are_left_for_their_own_insert() -> None:
    conn = RecordingConnection()
    tx = _tx(conn)
    _emit(tx, MAX_INLINE_EVENTS + 1)

    await tx.execute(insert(things).values(n=1))

    [statement] = conn.statements
    assert statement.startswith("INSERT INTO unit.things") and "outbox" not in statement
    assert (len(tx.written), len(tx.pending)) == (0, MAX_INLINE_EVENTS + 1)
