"""The jobs table: claims with `FOR UPDATE SKIP LOCKED`, leases, and every status change with its event
in the same transaction (the outbox)."""

from __future__ import annotations

import json
import zlib
from collections.abc import Mapping, Sequence
from datetime import timedelta
from typing import Any
from uuid import UUID

from sqlalchemy import and_, func, select, text, update
from sqlalchemy.engine import MappingResult, RowMapping
from sqlalchemy.ext.asyncio import AsyncConnection
from tradeplane.contracts import new_meta, subjects
from tradeplane.contracts.backtests import BacktestDone, BacktestProgress, BacktestStatus
from tradeplane.runtime.outbox import Outbox, Tx

from .jobs import Job, Outcome
from .tables import jobs

SERVICE = "backtests"
ACTIVE = (BacktestStatus.QUEUED.value, BacktestStatus.RUNNING.value)


class LimitReached(Exception):
    def __init__(self, active: int) -> None:
        super().__init__(f"{active} backtests queued or running")
        self.active = active


def _status_event(tx: Tx, row: RowMapping) -> None:
    """The event of the job's new status: `BacktestProgress` while it is queued or running,
    `BacktestDone` once it has ended."""
    user_id = row["user_id"]
    job: dict[str, Any] = {
        "meta": new_meta(SERVICE),
        "backtest_id": row["id"],
        "user_id": user_id,
        "status": BacktestStatus(row["status"]),
    }
    if row["status"] in ACTIVE:
        tx.emit(subjects.backtest_progress(user_id), BacktestProgress(**job, progress=row["progress"]))
        return
    done = BacktestDone(
        **job, error=row["error"], result_hash=row["result_hash"], dataset_hash=row["dataset_hash"]
    )
    tx.emit(subjects.backtest_done(user_id), done)


async def _update(tx: Tx, where: Any, **values: Any) -> MappingResult:
    """UPDATE the jobs `where` picks to `values`; the changed rows as they are now."""
    changed = await tx.conn.execute(update(jobs).where(where).values(**values).returning(*jobs.c))
    return changed.mappings()


class SqlJobStore:
    """`JobStore` on PostgreSQL, plus what the queries need (create, list, get, cancel)."""

    def __init__(self, outbox: Outbox) -> None:
        self._outbox = outbox

    # --- the worker's side ----------------------------------------------------------------

    async def requeue_owned(self, owner: str, max_attempts: int) -> list[UUID]:
        return await self._requeue(jobs.c.lease_owner == owner, max_attempts)

    async def requeue_expired(self, max_attempts: int) -> list[UUID]:
        return await self._requeue(jobs.c.lease_until < func.now(), max_attempts)

    async def _requeue(self, which: Any, max_attempts: int) -> list[UUID]:
        requeued: list[UUID] = []
        async with self._outbox.transaction() as tx:
            stale = (
                await tx.conn.execute(
                    select(jobs.c.id, jobs.c.attempts)
                    .where(jobs.c.status == BacktestStatus.RUNNING.value, which)
                    .with_for_update(skip_locked=True)
                )
            ).all()
            for job_id, attempts in stale:
                if attempts >= max_attempts:
                    values: dict[str, Any] = {
                        "status": BacktestStatus.FAILED.value,
                        "error": f"the worker running it stopped {attempts} times; not run again",
                        "finished_at": func.now(),
                    }
                else:
                    values = {"status": BacktestStatus.QUEUED.value, "progress": 0.0}
                changed = await _update(tx, jobs.c.id == job_id, lease_owner=None, lease_until=None, **values)
                row = changed.one()
                _status_event(tx, row)
                if row["status"] != BacktestStatus.FAILED.value:
                    requeued.append(job_id)
        return requeued

    async def claim(self, owner: str, lease_seconds: float) -> Job | None:
        oldest = (
            select(jobs.c.id)
            .where(jobs.c.status == BacktestStatus.QUEUED.value)
            .order_by(jobs.c.seq)
            .limit(1)
            .with_for_update(skip_locked=True)
            .scalar_subquery()
        )
        async with self._outbox.transaction() as tx:
            claimed = await _update(
                tx,
                jobs.c.id == oldest,
                status=BacktestStatus.RUNNING.value,
                progress=0.0,
                lease_owner=owner,
                lease_until=func.now() + timedelta(seconds=lease_seconds),
                started_at=func.now(),
                attempts=jobs.c.attempts + 1,
            )
            row = claimed.one_or_none()
            if row is None:
                return None
            _status_event(tx, row)
        return Job(row["id"], row["user_id"], row["request"])

    def _mine(self, job_id: UUID, owner: str) -> Any:
        return and_(
            jobs.c.id == job_id,
            jobs.c.lease_owner == owner,
            jobs.c.status == BacktestStatus.RUNNING.value,
        )

    async def report(self, job_id: UUID, owner: str, progress: float, lease_seconds: float) -> bool:
        async with self._outbox.transaction() as tx:
            before = (
                await tx.conn.execute(
                    select(jobs.c.progress).where(self._mine(job_id, owner)).with_for_update()
                )
            ).scalar_one_or_none()
            if before is None:
                return False
            lease_until = func.now() + timedelta(seconds=lease_seconds)
            row = (await _update(tx, jobs.c.id == job_id, progress=progress, lease_until=lease_until)).one()
            if progress != before:
                _status_event(tx, row)
        return True

    async def finish(self, job_id: UUID, owner: str, outcome: Outcome) -> bool:
        if outcome.result is not None:
            values: dict[str, Any] = {
                "status": BacktestStatus.DONE.value,
                "progress": 1.0,
                "result": json.loads(outcome.result),
                "result_hash": outcome.result_hash,
                "dataset_hash": outcome.dataset_hash,
            }
        else:
            values = {"status": BacktestStatus.FAILED.value, "error": outcome.error or "failed"}
        async with self._outbox.transaction() as tx:
            finished = await _update(
                tx,
                self._mine(job_id, owner),
                lease_owner=None,
                lease_until=None,
                finished_at=func.now(),
                **values,
            )
            row = finished.one_or_none()
            if row is None:
                return False
            _status_event(tx, row)
        return True

    # --- the queries' side ----------------------------------------------------------------

    async def create(
        self, job_id: UUID, user_id: UUID, request: Mapping[str, Any], per_user: int
    ) -> RowMapping:
        """A Queued job; LimitReached when the user already has `per_user` queued or running."""
        async with self._outbox.transaction() as tx:
            # One creator a user at a time: two concurrent creates cannot both pass the limit.
            lock_key = zlib.crc32(f"backtests:{user_id}".encode())
            await tx.conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": lock_key})
            active = (
                await tx.conn.execute(
                    select(func.count())
                    .select_from(jobs)
                    .where(jobs.c.user_id == user_id, jobs.c.status.in_(ACTIVE))
                )
            ).scalar_one()
            if active >= per_user:
                raise LimitReached(active)
            row = (
                (
                    await tx.conn.execute(
                        jobs.insert()
                        .values(id=job_id, user_id=user_id, request=dict(request))
                        .returning(*jobs.c)
                    )
                )
                .mappings()
                .one()
            )
            _status_event(tx, row)
        return row

    async def cancel(self, user_id: UUID, job_id: UUID) -> RowMapping | None:
        """Queued or Running → Cancelled (the worker running it notices at its next report)."""
        async with self._outbox.transaction() as tx:
            cancelled = await _update(
                tx,
                and_(jobs.c.id == job_id, jobs.c.user_id == user_id, jobs.c.status.in_(ACTIVE)),
                status=BacktestStatus.CANCELLED.value,
                lease_owner=None,
                lease_until=None,
                finished_at=func.now(),
            )
            row = cancelled.one_or_none()
            if row is not None:
                _status_event(tx, row)
        return row

    async def remove(self, conn: AsyncConnection, user_id: UUID, job_id: UUID) -> bool:
        """Delete a finished job."""
        deleted = await conn.execute(
            jobs.delete().where(jobs.c.id == job_id, jobs.c.user_id == user_id, jobs.c.status.not_in(ACTIVE))
        )
        return bool(deleted.rowcount)


SUMMARY_COLUMNS = [c for c in jobs.c if c.name != "result"]


async def get(conn: AsyncConnection, user_id: UUID, job_id: UUID) -> RowMapping | None:
    return (
        (await conn.execute(select(jobs).where(jobs.c.id == job_id, jobs.c.user_id == user_id)))
        .mappings()
        .one_or_none()
    )


async def many(conn: AsyncConnection, user_id: UUID, ids: Sequence[UUID]) -> list[RowMapping]:
    metrics = jobs.c.result["metrics"].label("metrics")
    rows = await conn.execute(
        select(*SUMMARY_COLUMNS, metrics).where(jobs.c.user_id == user_id, jobs.c.id.in_(list(ids)))
    )
    return list(rows.mappings().all())


async def page(
    conn: AsyncConnection, user_id: UUID, status: str | None, offset: int, limit: int
) -> tuple[list[RowMapping], int]:
    where = [jobs.c.user_id == user_id]
    if status is not None:
        where.append(jobs.c.status == status)
    total = (await conn.execute(select(func.count()).select_from(jobs).where(*where))).scalar_one()
    rows = await conn.execute(
        select(*SUMMARY_COLUMNS).where(*where).order_by(jobs.c.seq.desc()).offset(offset).limit(limit)
    )
    return list(rows.mappings().all()), int(total)


__all__ = ["LimitReached", "SqlJobStore", "get", "many", "page"]
