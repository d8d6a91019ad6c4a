"""Closed-trade PnL grouped by day, week (from Monday) or month in the user's own timezone."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta, tzinfo
from decimal import Decimal
from enum import StrEnum

from .trades import ClosedTrade


class Period(StrEnum):
    DAILY = "daily"
    WEEKLY = "weekly"
    MONTHLY = "monthly"


@dataclass(frozen=True, slots=True)
class PeriodSummary:
    """Trades that closed within one period; `start` is the period's first local calendar day."""

    start: date
    pnl: Decimal
    trades: int
    wins: int
    losses: int


def period_start(day: date, period: Period) -> date:
    if period is Period.WEEKLY:
        return day - timedelta(days=day.weekday())
    if period is Period.MONTHLY:
        return day.replace(day=1)
    return day


def breakdown(trades: Iterable[ClosedTrade], period: Period, tz: tzinfo) -> list[PeriodSummary]:
    """One summary per period that has trades, oldest first; a trade counts where it exited, in `tz`."""
    groups: dict[date, list[ClosedTrade]] = {}
    for trade in trades:
        start = period_start(trade.exit_at.astimezone(tz).date(), period)
        groups.setdefault(start, []).append(trade)
    return [_summary(start, groups[start]) for start in sorted(groups)]


def _summary(start: date, trades: list[ClosedTrade]) -> PeriodSummary:
    return PeriodSummary(
        start=start,
        pnl=sum((t.pnl_usd for t in trades), Decimal(0)),
        trades=len(trades),
        wins=sum(1 for t in trades if t.is_win),
        losses=sum(1 for t in trades if t.is_loss),
    )
