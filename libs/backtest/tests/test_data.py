"""Datasets: synthetic regimes keep OHLC invariants and move as named; CSV errors name their line."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from tradeplane.backtest.data import (
    DatasetError,
    Period,
    Regime,
    canonical_line,
    dataset_hash,
    open_dataset,
    parse_csv,
    parse_spec,
    synthetic,
    trusted_candle,
)
from tradeplane.paper.markets import PAPER_MARKETS
from tradeplane.strategies.candles import Candle, Timeframe

T0 = datetime(2024, 1, 1, tzinfo=UTC)
SYMBOLS = st.sampled_from(sorted(PAPER_MARKETS))
TIMEFRAMES = st.sampled_from(list(Timeframe))
SEEDS = st.integers(min_value=0, max_value=10**12)


def period(timeframe: Timeframe, count: int) -> Period:
    return Period(timeframe, T0, T0 + timeframe.duration * count)


@settings(max_examples=60, deadline=None)
@given(st.sampled_from(list(Regime)), SEEDS, SYMBOLS, TIMEFRAMES, st.integers(min_value=1, max_value=400))
def test_synthetic_candles_keep_the_ohlc_invariants_on_the_markets_grid(
    regime: Regime, seed: int, symbol: str, timeframe: Timeframe, count: int
) -> None:
    tick = PAPER_MARKETS[symbol].price_precision
    candles = list(synthetic(regime, seed, symbol, period(timeframe, count)))

    assert len(candles) == count
    previous_close = None
    for i, c in enumerate(candles):
        # What pydantic would build from the same values: the unvalidated construction is the same model.
        assert Candle.model_validate(c.model_dump()) == c
        assert c.t == T0 + timeframe.duration * i
        assert 0 < c.low <= min(c.open, c.close) <= max(c.open, c.close) <= c.high
        assert all(price % tick == 0 for price in (c.open, c.high, c.low, c.close))
        assert c.volume > 0
        if previous_close is not None:
            assert c.open == previous_close
        previous_close = c.close


@settings(max_examples=25, deadline=None)
@given(SEEDS, TIMEFRAMES)
def test_regimes_move_as_named(seed: int, timeframe: Timeframe) -> None:
    span = period(timeframe, 500)

    def closes(regime: Regime) -> list[Decimal]:
        return [c.close for c in synthetic(regime, seed, "BTC/USDT", span)]

    start = Decimal("65000")
    up, down, flat, crash = (
        closes(r) for r in (Regime.UPTREND, Regime.DOWNTREND, Regime.RANGE, Regime.CRASH)
    )
    assert up[-1] > start * Decimal("1.15")
    assert down[-1] < start * Decimal("0.85")
    assert all(abs(c / start - 1) < Decimal("0.15") for c in flat)
    # A crash: calm for the first third, then a fall of more than a third.
    assert all(abs(c / start - 1) < Decimal("0.1") for c in crash[: len(crash) // 3])
    assert min(crash) < start * Decimal("0.65")


def test_the_same_spec_gives_the_same_candles_and_another_seed_other_ones() -> None:
    span = period(Timeframe.M1, 300)
    a = open_dataset("synthetic:crash:7", ["BTC/USDT"], span)
    b = open_dataset("synthetic:crash:7", ["BTC/USDT"], span)
    c = open_dataset("synthetic:crash:8", ["BTC/USDT"], span)
    assert list(a.candles()) == list(b.candles())
    assert a.sha256() == b.sha256() == dataset_hash(b.candles())
    assert c.sha256() != a.sha256()
    assert len(a.sha256()) == 64


def test_symbols_are_merged_in_time_order() -> None:
    dataset = open_dataset("synthetic:range:1", ["ETH/USDT", "BTC/USDT"], period(Timeframe.H1, 3))
    assert [(c.t.hour, c.symbol) for c in dataset.candles()] == [
        (h, s) for h in range(3) for s in ("BTC/USDT", "ETH/USDT")
    ]


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("synthetic:sideways:1", "unknown regime 'sideways'"),
        ("synthetic:range:x", "must be a whole number"),
        ("ftp:somewhere", "is not synthetic:<regime>:<seed>, csv:<path> or recorded"),
    ],
)
def test_a_bad_spec_says_what_is_wrong(spec: str, message: str) -> None:
    with pytest.raises(DatasetError, match=message):
        parse_spec(spec)


def test_recorded_candles_need_the_host_to_give_them() -> None:
    with pytest.raises(DatasetError, match="need the marketdata service"):
        open_dataset("recorded", ["BTC/USDT"], period(Timeframe.H1, 3))


def test_recorded_candles_are_replayed_within_the_period_and_none_is_a_clear_error() -> None:
    stored = list(synthetic(Regime.RANGE, 1, "BTC/USDT", period(Timeframe.H1, 5)))
    dataset = open_dataset("recorded", ["BTC/USDT"], period(Timeframe.H1, 3), recorded={"BTC/USDT": stored})
    assert list(dataset.candles()) == stored[:3]
    assert dataset.spec == "recorded"
    with pytest.raises(DatasetError, match="no recorded 1h candle of BTC/USDT between"):
        open_dataset("recorded", ["BTC/USDT"], period(Timeframe.H1, 3), recorded={"BTC/USDT": []})


CSV = """t,open,high,low,close,volume
2024-01-01T00:00:00Z,65000,65100.5,64900,65050.25,1.50
1704067260,65050.25,65060,65000,65010,2
2024-01-01T00:02:00+00:00,65010,65010,65010,65010,1E+1
"""


def test_csv_parses_iso_and_unix_times_with_canonical_numbers() -> None:
    candles = parse_csv(CSV, "BTC/USDT", Timeframe.M1)
    assert [c.t for c in candles] == [T0, T0 + timedelta(minutes=1), T0 + timedelta(minutes=2)]
    assert [str(c.volume) for c in candles] == ["1.5", "2", "10"]
    assert candles[0].high == Decimal("65100.50")
    assert canonical_line(candles[0]) == "BTC/USDT,1m,1704067200,65000.00,65100.50,64900.00,65050.25,1.5\n"
    assert all(Candle.model_validate(c.model_dump()) == c for c in candles)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("time,o,h,l,c,v\n", "line 1: the header must be t,open,high,low,close,volume"),
        (CSV + "2024-01-01T00:03:00Z,1,2,3\n", "line 5: expected 6 columns, got 4"),
        (CSV + "2024-01-01T00:03:00Z,65010,abc,65000,65010,1\n", "line 5: high 'abc' is not a number"),
        (
            CSV + "2024-01-01T00:03:00Z,65010,65000,65020,65010,1\n",
            "line 5: needs low <= open, close <= high",
        ),
        (
            CSV + "2024-01-01T00:03:00Z,65010.001,65020,65000,65010,1\n",
            r"line 5: open 65010.001 is not a whole",
        ),
        (
            CSV + "2024-01-01T00:01:00Z,65010,65020,65000,65010,1\n",
            "line 5: t .* is not after the line before",
        ),
        (CSV + "2024-01-01T00:03:30Z,65010,65020,65000,65010,1\n", "line 5: t .* is not aligned to the 1m"),
        (CSV + "2024-01-01T00:03:00,65010,65020,65000,65010,1\n", "line 5: t .* needs a timezone"),
        (CSV + "2024-01-01T00:03:00Z,65010,65020,65000,65010,-1\n", "line 5: volume -1 is negative"),
        (CSV + "yesterday,65010,65020,65000,65010,1\n", "line 5: t 'yesterday' is not an ISO 8601 time"),
        ("t,open,high,low,close,volume\n", "the CSV holds no candles"),
    ],
)
def test_csv_errors_name_the_line(text: str, message: str) -> None:
    with pytest.raises(DatasetError, match=message):
        parse_csv(text, "BTC/USDT", Timeframe.M1)


def test_a_csv_dataset_is_cut_to_the_period_and_hashed(tmp_path: Path) -> None:
    path = tmp_path / "btc.csv"
    path.write_text(CSV)
    dataset = open_dataset(
        f"csv:{path}", ["BTC/USDT"], Period(Timeframe.M1, T0 + timedelta(minutes=1), T0 + timedelta(hours=1))
    )
    assert [c.t for c in dataset.candles()] == [T0 + timedelta(minutes=1), T0 + timedelta(minutes=2)]
    assert dataset.sha256() == dataset_hash(parse_csv(CSV, "BTC/USDT", Timeframe.M1)[1:])
    with pytest.raises(DatasetError, match="cannot read"):
        open_dataset(f"csv:{tmp_path / 'missing.csv'}", ["BTC/USDT"], period(Timeframe.M1, 5))


def test_too_many_candles_are_refused_before_any_is_made() -> None:
    span = Period(Timeframe.M1, T0, T0 + timedelta(days=365 * 12))
    with pytest.raises(DatasetError, match="exceed the limit"):
        open_dataset("synthetic:range:1", ["BTC/USDT"], span)


def test_trusted_candle_equals_a_validated_one() -> None:
    values = dict(
        symbol="BTC/USDT",
        timeframe=Timeframe.H1,
        t=T0,
        open=Decimal("1.00"),
        high=Decimal("2.00"),
        low=Decimal("0.50"),
        close=Decimal("1.50"),
        volume=Decimal("3"),
    )
    trusted = trusted_candle(**values)  # type: ignore[arg-type]
    assert trusted == Candle(**values)
    assert trusted.closes_at == T0 + timedelta(hours=1)
    assert trusted.model_dump_json() == Candle(**values).model_dump_json()
