"""A user's figures from storage and marks: equity snapshots, and the `PnlUpdated` that reports them."""

from __future__ import annotations

import time
from collections.abc import Collection
from datetime import datetime, tzinfo
from decimal import Decimal
from uuid import UUID
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy.ext.asyncio import AsyncConnection
from tradeplane.contracts import Message, Meta, PnlUpdated

from .adapters import curves, repo
from .domain.breakdown import Period
from .domain.marks import Marks
from .domain.valuation import TOTAL, UserFigures, local_start, user_figures

UTC_NAME = "UTC"
PRODUCER = "pnl"
# Another replica may learn a new timezone; closes written meanwhile in the old one are ignored.
_ZONE_TTL_SECONDS = 60.0


def zone(name: str | None) -> ZoneInfo:
    """The IANA zone `name`, or UTC when it is missing or unknown."""
    try:
        return ZoneInfo(name or UTC_NAME)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo(UTC_NAME)


class Curve:
    """Reads a user's positions and accounts, values them at the marks and records the equity."""

    def __init__(self, marks: Marks) -> None:
        self.marks = marks
        self._zones: dict[UUID, tuple[ZoneInfo, float]] = {}

    def remember(self, user_id: UUID, tz: ZoneInfo) -> None:
        self._zones[user_id] = (tz, time.monotonic() + _ZONE_TTL_SECONDS)

    async def figures(self, conn: AsyncConnection, user_id: UUID) -> UserFigures:
        held = await repo.holdings(conn, [user_id])
        bases = await repo.baselines(conn, [user_id])
        return user_figures(bases.get(user_id, {}), held.get(user_id, []), self.marks)

    async def timezone(self, conn: AsyncConnection, user_id: UUID) -> ZoneInfo:
        """The user's timezone as their last query told it (UTC until then); cached for a minute."""
        cached = self._zones.get(user_id)
        if cached is not None and cached[1] > time.monotonic():
            return cached[0]
        tz = zone(await curves.user_timezone(conn, user_id))
        self.remember(user_id, tz)
        return tz

    async def snapshot(
        self,
        conn: AsyncConnection,
        user_id: UUID,
        now: datetime,
        tz: ZoneInfo,
        accounts: Collection[UUID] | None = None,
    ) -> UserFigures:
        """Record the user's total equity and that of `accounts` (every account when None)."""
        figures = await self.figures(conn, user_id)
        scopes = [figures.total] + [
            f for account, f in figures.accounts.items() if accounts is None or account in accounts
        ]
        await curves.record_snapshots(conn, user_id, scopes, now, tz)
        return figures

    async def period_pnl(
        self, conn: AsyncConnection, user_id: UUID, figures: UserFigures, now: datetime, tz: tzinfo
    ) -> tuple[Decimal, Decimal, Decimal]:
        """(equity at the start of the local day, PnL since then, PnL since the week began)."""
        starts = (local_start(now, Period.DAILY, tz), local_start(now, Period.WEEKLY, tz))
        # An account first seen after a start had its baseline then: nothing happened before.
        day_open, week_open = [
            before if before is not None else figures.total.baseline
            for before in await curves.equity_before(conn, user_id, TOTAL, *starts)
        ]
        equity = figures.total.equity
        return day_open, equity - day_open, equity - week_open

    async def pnl_updated(
        self,
        conn: AsyncConnection,
        user_id: UUID,
        figures: UserFigures,
        now: datetime,
        tz: tzinfo,
        cause: Message | None = None,
    ) -> PnlUpdated:
        """The user's figures, with day and week in their timezone (UTC until a query tells us theirs)."""
        _, daily, weekly = await self.period_pnl(conn, user_id, figures, now, tz)
        return pnl_report(user_id, figures, daily, weekly, cause)


def pnl_report(
    user_id: UUID, figures: UserFigures, daily: Decimal, weekly: Decimal, cause: Message | None = None
) -> PnlUpdated:
    """The `PnlUpdated` of a user's figures and their PnL since the day and the week began."""
    total = figures.total
    fields = {
        "user_id": user_id,
        "realized_pnl": total.realized,
        "unrealized_pnl": total.unrealized,
        "fees": total.fees,
        "equity": figures.equity,
        "daily_pnl": daily,
        "weekly_pnl": weekly,
    }
    if cause is not None:
        event: PnlUpdated = cause.caused(PnlUpdated, PRODUCER, **fields)
        return event
    return PnlUpdated(meta=Meta(producer=PRODUCER, schema_version=PnlUpdated.SCHEMA_VERSION), **fields)
