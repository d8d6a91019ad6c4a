"""Portfolio risk in Decimal: historical VaR 95, Sharpe, max drawdown and beta against a benchmark."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

from tradeplane.gateway.domain import portfolio_risk as risk

START = datetime(2026, 11, 1, tzinfo=UTC)


def series(values: list[str], hour: int = 23) -> list[tuple[datetime, Decimal]]:
    return [(START + timedelta(days=i, hours=hour), Decimal(v)) for i, v in enumerate(values)]


def test_daily_closes_keep_each_utc_days_last_value() -> None:
    points = [
        (START + timedelta(hours=1), Decimal("100")),
        (START + timedelta(hours=20), Decimal("105")),
        (datetime(2026, 11, 2, 1, tzinfo=UTC) + timedelta(hours=0), Decimal("99")),
    ]

    closes = risk.daily_closes(reversed(points))

    assert list(closes.values()) == [Decimal("105"), Decimal("99")]


def test_var95_is_the_loss_of_the_fifth_percentile_day() -> None:
    daily = [Decimal(x) / 100 for x in range(-10, 10)]  # 20 days: -10 % ... +9 %

    assert risk.var95(daily) == Decimal("0.1")  # nearest rank 1 of 20
    assert risk.var95([Decimal("0.01"), Decimal("0.02")]) == 0  # no losing day
    assert risk.var95([Decimal("0.01")]) is None


def test_sharpe_annualises_mean_over_deviation_with_365_days() -> None:
    daily = [Decimal("0.01"), Decimal("-0.01"), Decimal("0.03")]
    expected = Decimal("0.01") / Decimal("0.02") * Decimal(365).sqrt()

    assert risk.sharpe(daily) == expected
    assert risk.sharpe([Decimal("0.01")] * 3) is None  # no deviation


def test_max_drawdown_is_the_deepest_fall_from_a_running_peak() -> None:
    values = [Decimal(v) for v in ("100", "120", "90", "130", "117")]

    assert risk.max_drawdown(values) == Decimal("0.25")


def test_a_portfolio_that_doubles_the_benchmark_has_beta_two() -> None:
    bench = series(["100", "110", "99", "108.9"])
    # Each day the portfolio's return is twice the benchmark's: +20 %, -20 %, +20 %.
    equity = series(["1000", "1200", "960", "1152"])

    found = risk.assess(equity, bench)

    assert found.beta == Decimal(2)
    assert (found.days, found.beta_days) == (3, 3)
    shown = found.as_json("BTC/USDT")
    assert shown["beta"] == "2.0000" and shown["maxDrawdownPct"] == "20.0000"
    assert shown["var95Pct"] == "20.0000" and shown["var95Usd"] == "230.40"


def test_a_short_history_has_no_metrics_but_its_equity() -> None:
    shown = risk.assess(series(["1000"]), []).as_json("BTC/USDT")

    assert (shown["equity"], shown["var95Pct"], shown["sharpeRatio"], shown["beta"]) == (
        "1000.00",
        None,
        None,
        None,
    )
    assert shown["maxDrawdownPct"] == "0.0000"
