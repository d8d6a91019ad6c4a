"""Portfolio risk from the equity series, in Decimal: historical VaR 95 of daily returns, annualised
Sharpe, max drawdown, and beta against a benchmark's daily closes (BTC). Pure: the route fetches."""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

DAYS_PER_YEAR = 365
"""Crypto trades every day: returns annualise with 365 (as the backtests' Sharpe does)."""
_PLACES = Decimal("0.0001")


def daily_closes(points: Iterable[tuple[datetime, Decimal]]) -> dict[date, Decimal]:
    """The last value of each UTC day (points in any order)."""
    closes: dict[date, tuple[datetime, Decimal]] = {}
    for at, value in points:
        day = _utc_day(at)
        if day not in closes or closes[day][0] <= at:
            closes[day] = (at, value)
    return {day: value for day, (_, value) in sorted(closes.items())}


def _utc_day(at: datetime) -> date:
    offset = at.utcoffset()
    return (at - offset).date() if offset else at.date()


def returns(closes: dict[date, Decimal]) -> dict[date, Decimal]:
    """Each day's simple return on the previous day in the series (a day after a zero value is skipped)."""
    out: dict[date, Decimal] = {}
    days = sorted(closes)
    for before, day in itertools.pairwise(days):
        if closes[before] > 0:
            out[day] = closes[day] / closes[before] - 1
    return out


def _mean(xs: Sequence[Decimal]) -> Decimal:
    return sum(xs, Decimal(0)) / len(xs)


def _variance(xs: Sequence[Decimal]) -> Decimal:
    mean = _mean(xs)
    return sum(((x - mean) ** 2 for x in xs), Decimal(0)) / (len(xs) - 1)


def var95(daily: Sequence[Decimal]) -> Decimal | None:
    """Historical VaR at 95 %: the loss of the 5th-percentile day (nearest rank), as a positive
    fraction; None with fewer than 2 returns."""
    if len(daily) < 2:
        return None
    ordered = sorted(daily)
    rank = max(1, math.ceil(Decimal("0.05") * len(ordered)))
    return max(Decimal(0), -ordered[rank - 1])


def sharpe(daily: Sequence[Decimal]) -> Decimal | None:
    if len(daily) < 2:
        return None
    deviation = _variance(daily).sqrt()
    if deviation == 0:
        return None
    return _mean(daily) / deviation * Decimal(DAYS_PER_YEAR).sqrt()


def max_drawdown(values: Iterable[Decimal]) -> Decimal:
    """The deepest fall from a running peak, as a positive fraction (0 when it never fell)."""
    peak, deepest = Decimal(0), Decimal(0)
    for value in values:
        peak = max(peak, value)
        if peak > 0:
            deepest = max(deepest, (peak - value) / peak)
    return deepest


def beta(portfolio: dict[date, Decimal], benchmark: dict[date, Decimal]) -> tuple[Decimal | None, int]:
    """Covariance of the two return series over the benchmark's variance, on the days both have; and
    how many days that was."""
    days = sorted(set(portfolio) & set(benchmark))
    if len(days) < 2:
        return None, len(days)
    p = [portfolio[d] for d in days]
    b = [benchmark[d] for d in days]
    mean_p, mean_b = _mean(p), _mean(b)
    covariance = sum(((x - mean_p) * (y - mean_b) for x, y in zip(p, b, strict=True)), Decimal(0))
    spread = sum(((y - mean_b) ** 2 for y in b), Decimal(0))
    if spread == 0:
        return None, len(days)
    return covariance / spread, len(days)


@dataclass(frozen=True, slots=True)
class PortfolioRisk:
    equity: Decimal | None
    var95: Decimal | None
    sharpe: Decimal | None
    max_drawdown: Decimal
    beta: Decimal | None
    days: int
    beta_days: int

    def as_json(self, benchmark: str) -> dict[str, object]:
        var_usd = None if self.var95 is None or self.equity is None else self.equity * self.var95
        return {
            "equity": _text(self.equity, Decimal("0.01")),
            "var95Pct": _text(None if self.var95 is None else self.var95 * 100),
            "var95Usd": _text(var_usd, Decimal("0.01")),
            "sharpeRatio": _text(self.sharpe),
            "maxDrawdownPct": _text(self.max_drawdown * 100),
            "beta": _text(self.beta),
            "benchmark": benchmark,
            "observations": self.days,
            "betaObservations": self.beta_days,
            "method": "historical, daily UTC closes of the equity curve; Sharpe annualised with 365 days",
        }


def _text(value: Decimal | None, places: Decimal = _PLACES) -> str | None:
    return None if value is None else format(value.quantize(places), "f")


def assess(
    equity: Sequence[tuple[datetime, Decimal]], benchmark: Sequence[tuple[datetime, Decimal]]
) -> PortfolioRisk:
    daily = returns(daily_closes(equity))
    bench = returns(daily_closes(benchmark))
    found_beta, beta_days = beta(daily, bench)
    series = list(daily.values())
    return PortfolioRisk(
        equity=equity[-1][1] if equity else None,
        var95=var95(series),
        sharpe=sharpe(series),
        max_drawdown=max_drawdown(v for _, v in equity),
        beta=found_beta,
        days=len(series),
        beta_days=beta_days,
    )
