"""Sharpe, Sortino and max drawdown agree with empyrical on the same equity series."""

from __future__ import annotations

import math
from datetime import date, timedelta
from decimal import Decimal

import empyrical
import numpy as np
from hypothesis import assume, given
from hypothesis import strategies as st
from tradeplane.pnl.domain.equity import daily_returns
from tradeplane.pnl.domain.ratios import max_drawdown, sharpe_ratio, sortino_ratio

equities = st.lists(st.integers(1, 100_000_000).map(lambda n: Decimal(n) / 100), min_size=2, max_size=60)


def returns_of(curve: list[Decimal]) -> list[Decimal]:
    start = date(2024, 1, 1)
    return daily_returns([(start + timedelta(days=i), value) for i, value in enumerate(curve)])


def agrees(ours: Decimal, theirs: float) -> bool:
    return math.isclose(float(ours), theirs, rel_tol=1e-6, abs_tol=1e-9)


def well_conditioned(returns: list[Decimal]) -> bool:
    # Returns equal to within float noise make both float computations noise; neither is "right".
    values = np.array([float(r) for r in returns])
    return bool(np.std(values, ddof=1) > 1e-9 * np.max(np.abs(values)))


@given(equities)
def test_sharpe_matches_empyrical_over_365_days(curve):
    returns = returns_of(curve)
    assume(len(returns) >= 2 and well_conditioned(returns))
    ours = sharpe_ratio(returns)
    theirs = empyrical.sharpe_ratio(np.array([float(r) for r in returns]), annualization=365)

    assert ours is not None and agrees(ours, theirs)


@given(equities)
def test_sortino_matches_empyrical_or_is_none_when_empyrical_is_infinite(curve):
    returns = returns_of(curve)
    assume(len(returns) >= 2)
    ours = sortino_ratio(returns)
    theirs = empyrical.sortino_ratio(np.array([float(r) for r in returns]), annualization=365)

    assert agrees(ours, theirs) if ours is not None else not math.isfinite(theirs)


@given(equities)
def test_max_drawdown_matches_empyrical(curve):
    theirs = empyrical.max_drawdown(np.array([float(r) for r in returns_of(curve)]))

    assert agrees(max_drawdown(curve), theirs)


def test_sharpe_is_none_without_dispersion():
    assert sharpe_ratio([Decimal("0.01")] * 5) is None


def test_sharpe_is_none_with_a_single_return():
    assert sharpe_ratio([Decimal("0.01")]) is None


def test_max_drawdown_is_the_deepest_fall_from_a_running_peak():
    curve = [Decimal(v) for v in (100, 120, 90, 110, 60, 130)]

    assert max_drawdown(curve) == Decimal("-0.5")


def test_max_drawdown_of_a_rising_curve_is_zero():
    assert max_drawdown([Decimal(1), Decimal(2), Decimal(3)]) == 0
