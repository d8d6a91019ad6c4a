"""The candle builder: periods aligned to the epoch, closing at boundaries, gaps, restarts, OHLC."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st
from tradeplane.contracts.market import CandleClosed, Timeframe
from tradeplane.marketdata.candles import candle_message
from tradeplane.marketdata.domain.candles import Bar, CandleBuilder

T0 = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
M1, M5, H1 = Timeframe.M1, Timeframe.M5, Timeframe.H1


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def feed(builder: CandleBuilder, ticks: Sequence[tuple[float, str]]) -> list[Bar]:
    closed = []
    for seconds, price in ticks:
        closed += builder.add("paper", "BTC/USDT", Decimal(price), at(seconds))
    return closed


def test_a_candle_holds_open_high_low_close_of_its_period_and_opens_at_the_boundary() -> None:
    builder = CandleBuilder([M1])
    feed(builder, [(5, "100"), (10, "103"), (20, "98"), (59.9, "101")])

    bar = builder.forming("paper", "BTC/USDT", M1)

    assert bar is not None
    assert (bar.t, bar.open, bar.high, bar.low, bar.close, bar.closed) == (
        T0,
        Decimal(100),
        Decimal(103),
        Decimal(98),
        Decimal(101),
        False,
    )


def test_the_timer_closes_a_candle_at_its_end_even_without_a_later_tick() -> None:
    builder = CandleBuilder([M1])
    feed(builder, [(5, "100"), (30, "101")])

    assert builder.close_due(at(59.999)) == []
    [closed] = builder.close_due(at(60))

    assert (closed.t, closed.close, closed.closed) == (T0, Decimal(101), True)
    assert builder.forming("paper", "BTC/USDT", M1) is None
    assert builder.close_due(at(600)) == []  # closed once


def test_a_tick_of_a_later_period_closes_the_candle_before_it() -> None:
    builder = CandleBuilder([M1, M5])
    closed = feed(builder, [(5, "100"), (61, "102")])

    assert [(b.timeframe, b.t, b.close) for b in closed] == [(M1, T0, Decimal(100))]
    m5 = builder.forming("paper", "BTC/USDT", M5)
    assert m5 is not None and (m5.open, m5.close) == (Decimal(100), Decimal(102))


def test_a_period_without_ticks_makes_no_candle() -> None:
    builder = CandleBuilder([M1])
    closed = feed(builder, [(5, "100"), (185, "104")])  # nothing in minutes 1 and 2

    assert [b.t for b in closed] == [T0]
    forming = builder.forming("paper", "BTC/USDT", M1)
    assert forming is not None and forming.t == at(180)


def test_a_late_tick_for_a_closed_period_changes_nothing() -> None:
    builder = CandleBuilder([M1])
    feed(builder, [(5, "100")])
    builder.close_due(at(61))

    assert feed(builder, [(59, "150")]) == []
    assert builder.forming("paper", "BTC/USDT", M1) is None


def test_a_tick_counted_already_is_not_counted_again() -> None:
    builder = CandleBuilder([M1])
    feed(builder, [(5, "100"), (10, "120"), (10, "130"), (7, "90")])

    bar = builder.forming("paper", "BTC/USDT", M1)
    assert bar is not None and (bar.high, bar.low, bar.close) == (Decimal(120), Decimal(100), Decimal(120))


def test_after_a_restart_replayed_ticks_rebuild_the_forming_candle_without_double_counting() -> None:
    ticks = [(5, "100"), (20, "110"), (40, "90"), (50, "105")]
    whole = CandleBuilder([M1])
    feed(whole, ticks)
    before_crash = CandleBuilder([M1])
    feed(before_crash, ticks[:2])
    stored = before_crash.take_dirty()

    resumed = CandleBuilder([M1])
    resumed.resume(stored)
    assert resumed.replay_from() == at(20)
    feed(resumed, ticks)  # the stream replays from a little earlier: the known ticks are skipped

    assert resumed.forming("paper", "BTC/USDT", M1) == whole.forming("paper", "BTC/USDT", M1)


def test_after_a_restart_a_stored_closed_candle_is_not_built_again() -> None:
    first = CandleBuilder([M1])
    feed(first, [(5, "100")])
    [closed] = first.close_due(at(60))

    resumed = CandleBuilder([M1])
    resumed.resume([closed])
    assert resumed.replay_from() == at(60)

    assert feed(resumed, [(5, "100"), (30, "120")]) == []
    assert resumed.close_due(at(3600)) == []
    assert feed(resumed, [(61, "101")]) == []
    forming = resumed.forming("paper", "BTC/USDT", M1)
    assert forming is not None and forming.t == at(60)


def test_stored_candles_of_timeframes_not_built_are_ignored() -> None:
    builder = CandleBuilder([M1])
    other = Bar("paper", "BTC/USDT", H1, T0, *(Decimal(1),) * 4, Decimal(0), at(1))
    builder.resume([other])
    assert builder.replay_from() is None


def test_take_dirty_returns_only_the_forming_candles_changed_since() -> None:
    builder = CandleBuilder([M1])
    feed(builder, [(5, "100")])
    assert len(builder.take_dirty()) == 1
    assert builder.take_dirty() == []
    feed(builder, [(61, "100")])  # closes minute 0, opens minute 1
    assert [b.t for b in builder.take_dirty()] == [at(60)]


@given(
    st.lists(
        st.tuples(
            st.integers(min_value=0, max_value=4 * 3600 * 1000),
            st.decimals(min_value=Decimal("0.01"), max_value=Decimal(10**6), places=2),
        ),
        min_size=1,
        max_size=60,
    )
)
def test_every_candle_is_consistent_and_publishable(ticks: list[tuple[int, Decimal]]) -> None:
    builder = CandleBuilder(list(Timeframe))
    bars: list[Bar] = []
    for millis, price in sorted(ticks):
        bars += builder.add("paper", "BTC/USDT", price, at(millis / 1000))
    bars += builder.close_due(at(10 * 86400))

    prices = [p for _, p in ticks]
    for bar in bars:
        assert bar.low <= min(bar.open, bar.close) <= max(bar.open, bar.close) <= bar.high
        assert min(prices) <= bar.low and bar.high <= max(prices)
        assert bar.timeframe.floor(bar.t) == bar.t and bar.last_at < bar.closes_at
        message = candle_message(bar)
        assert CandleClosed.model_validate_json(message.model_dump_json()) == message
    keys = [(b.timeframe, b.t) for b in bars]
    assert len(keys) == len(set(keys))
