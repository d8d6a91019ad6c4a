"""The equity curve: marked snapshots, when to take them, and daily equity and returns in a timezone."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta, tzinfo
from decimal import Decimal
from itertools import pairwise
from typing import Any

_ZERO = Decimal(0)
_ONE_DAY = timedelta(days=1)


@dataclass(frozen=True, slots=True)
class EquitySnapshot:
    """Cash plus positions marked to market at one instant (quote currency)."""

    at: datetime
    cash: Decimal
    positions_value: Decimal

    @property
    def equity(self) -> Decimal:
        return self.cash + self.positions_value

    def to_dict(self) -> dict[str, Any]:
        return {
            "at": self.at.isoformat(),
            "cash": str(self.cash),
            "positions_value": str(self.positions_value),
            "equity": str(self.equity),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> EquitySnapshot:
        at = datetime.fromisoformat(data["at"])
        return cls(at, Decimal(data["cash"]), Decimal(data["positions_value"]))


def take_snapshot(at: datetime, cash: Decimal, holdings: Iterable[tuple[Decimal, Decimal]]) -> EquitySnapshot:
    """Snapshot from cash and (signed quantity, mark price) pairs; a short is worth a negative amount."""
    if at.utcoffset() is None:
        raise ValueError("snapshot time must be timezone-aware")
    value = sum((quantity * mark for quantity, mark in holdings), _ZERO)
    return EquitySnapshot(at, cash, value)


def should_snapshot(
    last: datetime | None, now: datetime, interval: timedelta, *, changed: bool = False
) -> bool:
    """True on a change, when there is no snapshot yet, or once `interval` has passed since `last`."""
    return changed or last is None or now - last >= interval


def daily_equity(snapshots: Iterable[EquitySnapshot], tz: tzinfo) -> list[tuple[date, Decimal]]:
    """The last equity of each local calendar day in `tz`, with days between snapshots carried forward.

    Snapshots are taken on every change and on a timer, so a day without one had no change.
    """
    closes: dict[date, Decimal] = {}
    for snap in sorted(snapshots, key=lambda s: s.at):
        closes[snap.at.astimezone(tz).date()] = snap.equity
    return _fill_days(closes)


def combine_daily(*series: Sequence[tuple[date, Decimal]]) -> list[tuple[date, Decimal]]:
    """Sum several daily equity series (e.g. one per account), each carried forward over its gaps."""
    days = sorted({day for one in series for day, _ in one})
    totals = dict.fromkeys(days, _ZERO)
    for one in series:
        values = dict(one)
        current = _ZERO
        for day in days:
            current = values.get(day, current)
            totals[day] += current
    return _fill_days(totals)


def daily_returns(daily: Sequence[tuple[date, Decimal]]) -> list[Decimal]:
    """Simple returns between consecutive days; a day after zero or negative equity has no defined return."""
    return [today / yesterday - 1 for (_, yesterday), (_, today) in pairwise(daily) if yesterday > 0]


def _fill_days(closes: dict[date, Decimal]) -> list[tuple[date, Decimal]]:
    if not closes:
        return []
    days = sorted(closes)
    filled: list[tuple[date, Decimal]] = []
    day, current = days[0], closes[days[0]]
    while day <= days[-1]:
        current = closes.get(day, current)
        filled.append((day, current))
        day += _ONE_DAY
    return filled
