"""Sharpe, Sortino and max drawdown, defined exactly as empyrical defines them (risk-free rate 0).

Sharpe and Sortino are ratios of statistics, not money: they are computed in float and returned
as Decimal rounded to 12 significant digits (the float carries no more). Max drawdown is exact.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from decimal import Context, Decimal

PERIODS_PER_YEAR = 365
"""Crypto trades every day, so daily returns annualize over 365 days rather than 252."""

_SIGNIFICANT = Context(prec=12)
_ZERO = Decimal(0)


def sharpe_ratio(returns: Sequence[Decimal], periods: int = PERIODS_PER_YEAR) -> Decimal | None:
    """mean(r) / std(r, ddof=1) * sqrt(periods); None with fewer than two returns or no dispersion."""
    if len(returns) < 2 or min(returns) == max(returns):
        return None
    values = [float(r) for r in returns]
    mean = math.fsum(values) / len(values)
    variance = math.fsum((v - mean) ** 2 for v in values) / (len(values) - 1)
    if variance == 0:
        return None
    return _decimal(mean / math.sqrt(variance) * math.sqrt(periods))


def sortino_ratio(returns: Sequence[Decimal], periods: int = PERIODS_PER_YEAR) -> Decimal | None:
    """mean(r) * periods / (sqrt(mean(min(r, 0)^2)) * sqrt(periods)); None without a losing period.

    empyrical answers +inf when no return is negative; an API cannot carry that, so None.
    """
    if len(returns) < 2:
        return None
    values = [float(r) for r in returns]
    downside = math.sqrt(math.fsum(min(v, 0.0) ** 2 for v in values) / len(values))
    if downside == 0:
        return None
    mean = math.fsum(values) / len(values)
    return _decimal(mean * periods / (downside * math.sqrt(periods)))


def value_at_risk(returns: Sequence[Decimal], confidence: Decimal = Decimal("0.95")) -> Decimal | None:
    """Historical one-period VaR: the loss fraction not exceeded in `confidence` of periods (0 if none).

    Nearest-rank quantile of the returns, so no interpolation; None with fewer than 20 returns,
    too few for a 5% tail to mean anything.
    """
    if len(returns) < 20:
        return None
    ordered = sorted(returns)
    rank = math.ceil((1 - confidence) * len(ordered))
    return max(-ordered[max(rank, 1) - 1], _ZERO)


def max_drawdown(equity: Sequence[Decimal]) -> Decimal:
    """The deepest fall from a running peak, as a negative fraction (-0.25 is a 25% drawdown); 0 if none."""
    worst = _ZERO
    peak: Decimal | None = None
    for value in equity:
        if peak is None or value > peak:
            peak = value
        elif peak > 0:
            worst = min(worst, (value - peak) / peak)
    return worst


def _decimal(value: float) -> Decimal:
    return _SIGNIFICANT.create_decimal_from_float(value)
