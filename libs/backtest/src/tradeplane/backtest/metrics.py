"""A backtest's report: the equity curve, closed trades and the metrics docs/api.md "Backtests" lists.

All in Decimal, computed in the default context (28 digits), so they are the same on every machine.
Ratios follow empyrical's definitions (risk-free rate 0): Sharpe and Sortino over daily returns
annualised with 365 periods (crypto trades every day), Calmar = CAGR / max drawdown. Percentages are
percent numbers (12.5 means 12.5%), `cagr` included.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation, Overflow
from itertools import pairwise

from tradeplane.contracts import Side

PERIODS_PER_YEAR = 365
YEAR = timedelta(days=365)
SAMPLES = 1000
"""The equity and drawdown series carry at most about this many points (every candle counts for the
metrics; the series is for charts)."""

_ZERO = Decimal(0)
_ONE = Decimal(1)
_HUNDRED = Decimal(100)
_PCT = Decimal("0.0001")
_MONEY = Decimal("0.00000001")
_ANNUAL = Decimal(PERIODS_PER_YEAR)
_SQRT_ANNUAL = _ANNUAL.sqrt()
_HUGE = Decimal("1E+15")


def pct(value: Decimal) -> Decimal:
    return value.quantize(_PCT)


def money(value: Decimal) -> Decimal:
    return value.quantize(_MONEY)


@dataclass(frozen=True, slots=True)
class ClosedTrade:
    """A sell matched against earlier buys (first in, first out), net of both sides' fees."""

    symbol: str
    quantity: Decimal
    entry_price: Decimal
    """Average price of the lots the sell closed."""
    exit_price: Decimal
    entry_at: datetime
    """When the oldest of those lots was bought."""
    exit_at: datetime
    pnl: Decimal
    fees: Decimal

    @property
    def return_pct(self) -> Decimal:
        cost = self.quantity * self.entry_price
        return pct(self.pnl / cost * _HUNDRED) if cost else _ZERO


@dataclass(slots=True)
class _Lot:
    quantity: Decimal
    price: Decimal
    fee_per_unit: Decimal
    at: datetime


class Ledger:
    """Lots per symbol from buys; each sell closes the oldest ones into a `ClosedTrade`."""

    def __init__(self) -> None:
        self._lots: dict[str, deque[_Lot]] = {}
        self.trades: list[ClosedTrade] = []

    def opening(self, symbol: str, quantity: Decimal, price: Decimal, at: datetime) -> None:
        """Holdings the backtest starts with, valued at the first price (no fee)."""
        if quantity > 0:
            self._lots.setdefault(symbol, deque()).append(_Lot(quantity, price, _ZERO, at))

    def fill(
        self, symbol: str, side: Side, quantity: Decimal, price: Decimal, fee: Decimal, at: datetime
    ) -> ClosedTrade | None:
        lots = self._lots.setdefault(symbol, deque())
        if side is Side.BUY:
            lots.append(_Lot(quantity, price, fee / quantity, at))
            return None
        left = quantity
        cost = entry_fees = _ZERO
        first = at
        while left > 0 and lots:
            lot = lots[0]
            taken = min(lot.quantity, left)
            if cost == 0:
                first = lot.at
            cost += taken * lot.price
            entry_fees += taken * lot.fee_per_unit
            lot.quantity -= taken
            left -= taken
            if lot.quantity == 0:
                lots.popleft()
        if left > 0:
            # Sold what no recorded buy covers: counted as bought at the sale price.
            cost += left * price
        fees = entry_fees + fee
        trade = ClosedTrade(
            symbol=symbol,
            quantity=quantity,
            entry_price=cost / quantity,
            exit_price=price,
            entry_at=first,
            exit_at=at,
            pnl=quantity * price - cost - fees,
            fees=fees,
        )
        self.trades.append(trade)
        return trade


@dataclass(slots=True)
class EquityCurve:
    """The account's value after every step, reduced to what the metrics need as it goes.

    Keeps the running peak, the deepest drawdown and the longest time under water, the value at each
    UTC day's (and month's) last step, and about `SAMPLES` evenly spaced points for the series.
    """

    start: datetime
    initial: Decimal
    steps: int
    every: int = 1
    peak: Decimal = _ZERO
    peak_at: datetime | None = None
    worst: Decimal = _ZERO
    """Deepest fall from a running peak, as a fraction (0.25 is 25%)."""
    longest_under: timedelta = timedelta(0)
    exposed: int = 0
    counted: int = 0
    days: list[tuple[datetime, Decimal]] = field(default_factory=list)
    samples: list[tuple[datetime, Decimal, Decimal]] = field(default_factory=list)
    last: tuple[datetime, Decimal] | None = None
    _day_end: datetime | None = None

    def __post_init__(self) -> None:
        self.every = max(1, -(-self.steps // SAMPLES))
        self.peak, self.peak_at = self.initial, self.start
        self.days.append((self.start, self.initial))
        self._day_end = _next_day(self.start)

    def add(self, at: datetime, value: Decimal, exposed: bool) -> None:
        assert self._day_end is not None
        if at > self._day_end and self.last is not None:
            self.days.append(self.last)
            self._day_end = _next_day(at - timedelta(microseconds=1))
        drawdown = _ZERO
        if value >= self.peak:
            self.peak, self.peak_at = value, at
        elif self.peak > 0:
            drawdown = (self.peak - value) / self.peak
            if drawdown > self.worst:
                self.worst = drawdown
            assert self.peak_at is not None
            under = at - self.peak_at
            if under > self.longest_under:
                self.longest_under = under
        if exposed:
            self.exposed += 1
        if self.counted % self.every == 0 or self.counted == self.steps - 1:
            self.samples.append((at, value, drawdown))
        self.counted += 1
        self.last = (at, value)

    def finish(self) -> None:
        if self.last is not None and self.days[-1][0] != self.last[0]:
            self.days.append(self.last)
        if self.last is not None and (not self.samples or self.samples[-1][0] != self.last[0]):
            at, value = self.last
            drawdown = (self.peak - value) / self.peak if self.peak > 0 and value < self.peak else _ZERO
            self.samples.append((at, value, drawdown))

    @property
    def final(self) -> Decimal:
        return self.initial if self.last is None else self.last[1]


def _next_day(at: datetime) -> datetime:
    """The end of `at`'s UTC day: the last step at or before it is that day's close."""
    return at.replace(hour=0, minute=0, second=0, microsecond=0) + timedelta(days=1)


def daily_returns(closes: Sequence[tuple[datetime, Decimal]]) -> list[Decimal]:
    """Simple returns between consecutive daily closes (the first is the starting value)."""
    return [value / before - 1 if before else _ZERO for (_, before), (_, value) in pairwise(closes)]


def sharpe_ratio(returns: Sequence[Decimal]) -> Decimal | None:
    """mean / sample standard deviation x √365; None with fewer than two returns or none varying."""
    n = len(returns)
    if n < 2:
        return None
    mean = sum(returns, _ZERO) / n
    variance = sum(((r - mean) ** 2 for r in returns), _ZERO) / (n - 1)
    if variance == 0:
        return None
    return mean / variance.sqrt() * _SQRT_ANNUAL


def sortino_ratio(returns: Sequence[Decimal]) -> Decimal | None:
    """mean x 365 / (√mean(min(r, 0)²) x √365); None without a losing day (empyrical says +inf)."""
    n = len(returns)
    if n < 2:
        return None
    downside = (sum((min(r, _ZERO) ** 2 for r in returns), _ZERO) / n).sqrt()
    if downside == 0:
        return None
    return sum(returns, _ZERO) / n * _ANNUAL / (downside * _SQRT_ANNUAL)


def cagr(initial: Decimal, final: Decimal, span: timedelta) -> Decimal | None:
    """Compound annual growth as a fraction; None when it cannot be told (no time, no money) or is
    absurdly large (a short period annualised)."""
    if initial <= 0 or span <= timedelta(0):
        return None
    if final <= 0:
        return -_ONE
    try:
        grown = (final / initial) ** (
            Decimal(YEAR // timedelta(microseconds=1)) / (span // timedelta(microseconds=1))
        )
    except (Overflow, InvalidOperation):
        return None
    if grown > _HUGE:
        return None
    return grown - 1


def monthly_returns(closes: Sequence[tuple[datetime, Decimal]]) -> list[dict[str, str]]:
    """Return per calendar month (UTC), from the month's last daily close over the one before."""
    ends: list[tuple[str, Decimal]] = []
    start = closes[0][1] if closes else _ZERO
    for at, value in closes[1:]:
        # A daily close stamped at midnight belongs to the day (and month) it closed.
        month = (at - timedelta(microseconds=1)).strftime("%Y-%m")
        if ends and ends[-1][0] == month:
            ends[-1] = (month, value)
        else:
            ends.append((month, value))
    report = []
    before = start
    for month, value in ends:
        change = pct((value / before - 1) * _HUNDRED) if before else _ZERO
        report.append({"month": month, "returnPct": format(change, "f")})
        before = value
    return report


def _ratio(value: Decimal | None) -> Decimal | None:
    return None if value is None else pct(value)


def metrics(
    curve: EquityCurve,
    trades: Sequence[ClosedTrade],
    *,
    fees: Decimal,
    turnover: Decimal,
    fills: int,
    buy_and_hold: Decimal,
    span: timedelta,
) -> dict[str, Decimal | int | None]:
    """The `metrics` object of a result (docs/api.md), every figure a Decimal (or a count, or None)."""
    returns = daily_returns(curve.days)
    growth = cagr(curve.initial, curve.final, span)
    pnls = [t.pnl for t in trades]
    wins = [p for p in pnls if p > 0]
    losses = [p for p in pnls if p < 0]
    gross_loss = -sum(losses, _ZERO)
    calmar = growth / curve.worst if growth is not None and curve.worst > 0 else None
    return {
        "initialEquity": money(curve.initial),
        "finalEquity": money(curve.final),
        "totalReturnPct": pct((curve.final / curve.initial - 1) * _HUNDRED if curve.initial else _ZERO),
        "cagr": None if growth is None else pct(growth * _HUNDRED),
        "sharpeRatio": _ratio(sharpe_ratio(returns)),
        "sortinoRatio": _ratio(sortino_ratio(returns)),
        "calmarRatio": _ratio(calmar),
        "maxDrawdownPct": pct(curve.worst * _HUNDRED),
        "maxDrawdownDurationSeconds": int(curve.longest_under.total_seconds()),
        "winRate": pct(_HUNDRED * len(wins) / len(pnls) if pnls else _ZERO),
        "profitFactor": pct(sum(wins, _ZERO) / gross_loss) if gross_loss else None,
        "expectancy": money(sum(pnls, _ZERO) / len(pnls) if pnls else _ZERO),
        "bestTrade": None if not pnls else money(max(pnls)),
        "worstTrade": None if not pnls else money(min(pnls)),
        "totalTrades": len(pnls),
        "totalFills": fills,
        "fees": money(fees),
        "turnover": pct(turnover / curve.initial if curve.initial else _ZERO),
        "exposurePct": pct(_HUNDRED * curve.exposed / curve.counted if curve.counted else _ZERO),
        "buyAndHoldReturnPct": pct(buy_and_hold * _HUNDRED),
    }
