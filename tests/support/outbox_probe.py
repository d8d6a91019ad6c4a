"""A two-role test process for the outbox and idempotent-consumer guarantees, on the real runtime.

`python -m tests.support.outbox_probe produce N` commits N audit events through the outbox (plus one
transaction that rolls back), then exits. `... consume` counts every audit event it processes in its
own table, exactly once per event id, until it is killed.
"""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path
from typing import Any

from faststream.nats import NatsRouter
from sqlalchemy import Column, Integer, Table, Uuid, insert, text
from tradeplane.contracts import AuditRecorded, new_meta, streams, subjects
from tradeplane.runtime import Runtime, ServiceSettings, consumer, declare_streams, serve, service_metadata

SCHEMA = os.environ.get("PROBE_SCHEMA", "probe")
metadata = service_metadata(SCHEMA)
received = Table("received", metadata, Column("event_id", Uuid, primary_key=True), Column("n", Integer))
produced = Table("produced", metadata, Column("n", Integer, primary_key=True))
"""The producer's own change, written by the statement that also writes its event (`Tx.execute`)."""
ROLLED_BACK_ACTION = "rolled-back"


class Rollback(Exception):
    pass


def runtime() -> Runtime:
    settings = ServiceSettings(migrate_on_start=False)
    return Runtime("probe", settings, metadata, Path(__file__).parent)


async def create_tables(rt: Runtime) -> None:
    async with rt.engine.begin() as conn:
        await conn.execute(text(f'CREATE SCHEMA IF NOT EXISTS "{SCHEMA}"'))
        await conn.run_sync(metadata.create_all)


async def produce(count: int) -> None:
    rt = runtime()
    await rt.broker.connect()
    await declare_streams(rt.broker)
    await create_tables(rt)
    try:
        async with rt.outbox.transaction() as tx:
            tx.emit(
                subjects.audit("probe", "probe"),
                AuditRecorded(meta=new_meta("probe"), actor="probe", action=ROLLED_BACK_ACTION),
            )
            await tx.execute(insert(produced).values(n=-1))
            raise Rollback
    except Rollback:
        pass
    for i in range(count):
        async with rt.outbox.transaction() as tx:
            tx.emit(
                subjects.audit("probe", "probe"),
                AuditRecorded(meta=new_meta("probe"), actor="probe", action=f"n{i}"),
            )
            await tx.execute(insert(produced).values(n=i))
    await rt.outbox.stop()
    await rt.broker.stop()
    await rt.engine.dispose()


def consume_app() -> tuple[Any, ServiceSettings]:
    rt = runtime()
    router = NatsRouter()

    @consumer(
        router,
        lambda: rt.broker,
        AuditRecorded,
        subject=f"{subjects.PREFIX}.audit.>",
        durable="probe-consumer",
        queue="probe-consumer",
        stream=streams.AUDIT,
        producer="probe",
        max_workers=4,
    )
    async def on_audit(event: AuditRecorded) -> None:
        async with rt.engine.begin() as conn:
            if not await rt.inbox.claim(conn, "probe-consumer", event.meta.event_id):
                return
            await asyncio.sleep(0.002)  # widen the window in which a SIGKILL lands mid-transaction
            await conn.execute(
                text(
                    f'INSERT INTO "{SCHEMA}".received (event_id, n) VALUES (:e, 1) '
                    f"ON CONFLICT (event_id) DO UPDATE SET n = received.n + 1"
                ),
                {"e": event.meta.event_id},
            )

    async def setup() -> None:
        await create_tables(rt)

    return rt.asgi([router], on_startup=[setup]), rt.settings


if __name__ == "__main__":
    if sys.argv[1] == "produce":
        asyncio.run(produce(int(sys.argv[2])))
    else:
        app, settings = consume_app()
        serve(app, settings)
