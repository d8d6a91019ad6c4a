"""PnL's periodic work: equity snapshots, price-driven PnlUpdated, saving marks and retrying unknown
baselines.

Saving marks runs on every replica (each hears every ticker); the rest runs on the leader only,
so replicas side by side neither double the snapshots nor report the same price move twice.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from contextlib import suppress
from uuid import UUID

from tradeplane.contracts import subjects, utcnow
from tradeplane.runtime import Periodic, Runtime

from . import metrics
from .accounts import Accounts
from .adapters import repo
from .adapters.leader import Leader
from .booking import Booker
from .config import Settings
from .equity_figures import Curve

log = logging.getLogger(__name__)


class Background:
    """The loops that keep equity, marks and baselines current."""

    def __init__(
        self, rt: Runtime, settings: Settings, curve: Curve, booker: Booker, accounts: Accounts
    ) -> None:
        self.rt = rt
        self.settings = settings
        self.curve = curve
        self.booker = booker
        self.accounts = accounts
        self.leader = Leader(rt.engine, "pnl")
        self._periodic = Periodic()

    async def load_marks(self) -> None:
        async with self.rt.engine.connect() as conn:
            for mark in await repo.load_marks(conn):
                self.curve.marks.update(*mark, saved=True)
        self.curve.marks.take_changed()

    async def start(self) -> None:
        s = self.settings
        await self.leader.check()
        loops: list[tuple[str, float, Callable[[], Awaitable[object]]]] = [
            ("pnl-leader-check", s.pnl_leader_check_seconds, self.leader.check),
            ("pnl-snapshot", s.pnl_snapshot_seconds, self.snapshot_open),
            ("pnl-price-moves", s.pnl_update_throttle_seconds, self.report_price_moves),
            ("pnl-save-marks", s.pnl_mark_flush_seconds, self.save_marks),
            ("pnl-retry-baselines", s.pnl_baseline_retry_seconds, self.retry_baselines),
        ]
        for name, seconds, fn in loops:
            self._periodic.start(name, seconds, fn, at_once=False)

    async def stop(self) -> None:
        await self._periodic.stop()
        with suppress(Exception):
            await self.save_marks()
        await self.leader.release()

    async def snapshot_open(self) -> None:
        """Snapshot every user with an open position: their equity moves with the prices."""
        if not self.leader.is_leader:
            return
        async with self.rt.engine.connect() as conn:
            users = await repo.users_holding(conn)
        for user_id in users:
            async with self.rt.engine.begin() as conn:
                await self.curve.snapshot(conn, user_id, utcnow(), await self.curve.timezone(conn, user_id))

    async def report_price_moves(self) -> None:
        """Publish `PnlUpdated` for holders of symbols whose price moved, if their unrealized PnL did."""
        symbols = self.curve.marks.take_changed()
        if not symbols or not self.leader.is_leader:
            return
        async with self.rt.engine.connect() as conn:
            users = await repo.users_holding(conn, sorted(symbols))
        for user_id in users:
            await self._report(user_id)

    async def _report(self, user_id: UUID) -> None:
        last = self.booker.last_unrealized
        async with self.rt.outbox.transaction() as tx:
            figures = await self.curve.figures(tx.conn, user_id)
            if last.get(user_id) == figures.total.unrealized:
                return
            tz = await self.curve.timezone(tx.conn, user_id)
            event = await self.curve.pnl_updated(tx.conn, user_id, figures, utcnow(), tz)
            tx.emit(subjects.pnl_updated(user_id), event)
        last[user_id] = figures.total.unrealized
        metrics.PNL_UPDATES.inc()

    async def save_marks(self) -> None:
        updated = self.curve.marks.take_unsaved()
        if updated:
            async with self.rt.engine.begin() as conn:
                await repo.save_marks(conn, updated)

    async def retry_baselines(self) -> None:
        if self.leader.is_leader:
            await self.accounts.retry_pending()
