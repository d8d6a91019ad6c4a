"""Risk state over time: day and week roll-over in the user's timezone, caps, halts and releases."""

from datetime import UTC, date, datetime
from decimal import Decimal
from uuid import uuid4
from zoneinfo import ZoneInfo

import pytest
from tradeplane.contracts import Side, TradingState
from tradeplane.riskrules import (
    Fill,
    RiskLimits,
    RiskState,
    StateChanged,
    TransitionCode,
    on_fill,
    on_pnl,
    release,
    roll_day,
)

NY = ZoneInfo("America/New_York")
LIMITS = RiskLimits()
ACCOUNT = uuid4()


def at(day: int, hour: int, minute: int = 0) -> datetime:
    """June 2025 (the 11th is a Wednesday), New York wall-clock time, as UTC."""
    return datetime(2025, 6, day, hour, minute, tzinfo=NY).astimezone(UTC)


def started(equity: str = "10000", limits: RiskLimits = LIMITS, when: datetime | None = None) -> RiskState:
    state, _ = on_pnl(RiskState(), limits, now=when or at(11, 9), tz=NY, equity=Decimal(equity))
    return state


def lose(state: RiskState, amount: str, when: datetime, limits: RiskLimits = LIMITS):
    return on_pnl(state, limits, now=when, tz=NY, realized_delta=-Decimal(amount))


def test_new_local_day_resets_daily_pnl_and_trades_but_not_weekly():
    state, _ = lose(started(), "40", at(11, 10))
    state = on_fill(state, LIMITS, Fill(ACCOUNT, "BTC/USDT", Side.BUY, Decimal(1)), now=at(11, 11), tz=NY)[0]

    rolled, _ = roll_day(state, at(12, 0, 30), NY)

    assert (rolled.daily_realized_pnl, rolled.trades_today, rolled.weekly_realized_pnl) == (
        Decimal(0),
        0,
        Decimal(-40),
    )


def test_late_evening_in_user_timezone_is_still_the_same_day():
    state, _ = lose(started(), "40", at(11, 10))

    rolled, _ = roll_day(state, at(11, 23, 30), NY)

    assert at(11, 23, 30).date() == date(2025, 6, 12)
    assert (rolled.day, rolled.daily_realized_pnl) == (date(2025, 6, 11), Decimal(-40))


def test_new_iso_week_resets_weekly_pnl():
    state, _ = lose(started(), "40", at(11, 10))

    rolled, _ = roll_day(state, at(16, 0, 1), NY)

    assert (rolled.week, rolled.weekly_realized_pnl) == (date(2025, 6, 16), Decimal(0))


def test_event_older_than_the_stored_day_does_not_roll_back():
    state, _ = lose(started(), "40", at(11, 10))

    rolled, _ = roll_day(state, at(10, 23), NY)

    assert (rolled.day, rolled.daily_realized_pnl) == (date(2025, 6, 11), Decimal(-40))


def test_new_day_starts_from_the_last_known_equity():
    state, _ = on_pnl(started(), LIMITS, now=at(11, 15), tz=NY, equity=Decimal(9000))

    rolled, _ = roll_day(state, at(12, 9), NY)

    assert rolled.day_start_equity == Decimal(9000)


def test_realized_loss_accumulates_in_daily_and_weekly_pnl():
    state, _ = lose(started(), "30", at(11, 10))
    state, _ = lose(state, "20", at(11, 11))

    assert (state.daily_realized_pnl, state.weekly_realized_pnl) == (Decimal(-50), Decimal(-50))


def test_daily_loss_cap_halts_until_next_local_midnight():
    state, transitions = lose(started(), "100", at(11, 14))

    assert state.trading_state is TradingState.HALTED
    assert [(t.previous, t.current, t.code, t.until) for t in transitions] == [
        (TradingState.ACTIVE, TradingState.HALTED, TransitionCode.DAILY_LOSS, at(12, 0))
    ]


def test_loss_below_daily_cap_keeps_trading_active():
    state, transitions = lose(started(), "99.99", at(11, 14))

    assert (state.trading_state, transitions) == (TradingState.ACTIVE, [])


def test_daily_loss_percent_cap_applies_when_lower_than_usd_cap():
    limits = RiskLimits(circuit_breaker_daily_loss_pct=Decimal(5))
    state = started("1000", limits)

    _, transitions = lose(state, "50", at(11, 14), limits)

    assert [t.code for t in transitions] == [TransitionCode.DAILY_LOSS]


def test_circuit_breaker_halts_until_next_day_in_user_timezone():
    limits = RiskLimits(max_daily_loss_usd=Decimal(1000), max_weekly_loss_usd=Decimal(5000))

    state, transitions = lose(started(limits=limits), "300", at(11, 23), limits)

    assert [t.code for t in transitions] == [TransitionCode.CIRCUIT_BREAKER]
    assert state.halted_until == datetime(2025, 6, 12, 4, tzinfo=UTC)


def test_halt_ends_at_the_users_midnight_and_is_reported():
    state, _ = lose(started(), "100", at(11, 14))

    still, before = roll_day(state, at(11, 23, 59), NY)
    resumed, after = roll_day(state, at(12, 0), NY)

    assert (still.trading_state, before) == (TradingState.HALTED, [])
    assert resumed.trading_state is TradingState.ACTIVE
    assert [(t.previous, t.current, t.code) for t in after] == [
        (TradingState.HALTED, TradingState.ACTIVE, TransitionCode.HALT_EXPIRED)
    ]


def test_weekly_loss_cap_halts_until_next_monday_in_user_timezone():
    limits = RiskLimits(max_weekly_loss_usd=Decimal(150))
    state, _ = lose(started(limits=limits, when=at(10, 9)), "90", at(10, 10), limits)

    state, transitions = lose(state, "70", at(11, 10), limits)

    assert [(t.code, t.until) for t in transitions] == [(TransitionCode.WEEKLY_LOSS, at(16, 0))]


def test_daily_and_weekly_caps_reached_together_halt_until_next_week():
    limits = RiskLimits(max_weekly_loss_usd=Decimal(150))
    state, _ = lose(started(limits=limits, when=at(10, 9)), "60", at(10, 10), limits)

    _, transitions = lose(state, "100", at(11, 10), limits)

    assert [(t.code, t.until) for t in transitions] == [(TransitionCode.WEEKLY_LOSS, at(16, 0))]


def test_weekly_cap_reached_while_halted_for_the_day_extends_the_halt():
    limits = RiskLimits(max_weekly_loss_usd=Decimal(150))
    state, _ = lose(started(limits=limits), "100", at(11, 10), limits)

    state, transitions = lose(state, "60", at(11, 11), limits)

    assert [(t.previous, t.current, t.code) for t in transitions] == [
        (TradingState.HALTED, TradingState.HALTED, TransitionCode.WEEKLY_LOSS)
    ]
    assert state.halted_until == at(16, 0)


def test_cap_already_reached_does_not_halt_again_after_release():
    state, _ = lose(started(), "100", at(11, 10))
    state, _ = release(state)

    state, transitions = lose(state, "10", at(11, 11))

    assert (state.trading_state, transitions) == (TradingState.ACTIVE, [])


def test_release_from_halt_returns_to_active_and_reports_it():
    state, _ = lose(started(), "100", at(11, 10))

    released, transitions = release(state)

    assert (released.trading_state, released.halted_until) == (TradingState.ACTIVE, None)
    assert transitions == [
        StateChanged(TradingState.HALTED, TradingState.ACTIVE, TransitionCode.RELEASED, "released")
    ]


def test_release_while_active_reports_nothing():
    state = started()

    assert release(state) == (state, [])


def test_drawdown_cap_moves_to_reducing():
    state, transitions = on_pnl(started(), LIMITS, now=at(11, 12), tz=NY, equity=Decimal(8500))

    assert (state.trading_state, state.drawdown_pct) == (TradingState.REDUCING, Decimal(15))
    assert [(t.previous, t.current, t.code) for t in transitions] == [
        (TradingState.ACTIVE, TradingState.REDUCING, TransitionCode.MAX_DRAWDOWN)
    ]


def test_drawdown_is_measured_from_the_peak_equity():
    state, _ = on_pnl(started(), LIMITS, now=at(11, 10), tz=NY, equity=Decimal(12000))

    state, transitions = on_pnl(state, LIMITS, now=at(11, 11), tz=NY, equity=Decimal(11000))

    assert (state.peak_equity, state.drawdown_pct, transitions) == (Decimal(12000), Decimal("8.3333"), [])


def test_reducing_state_outlives_the_day():
    state, _ = on_pnl(started(), LIMITS, now=at(11, 12), tz=NY, equity=Decimal(8500))

    rolled, transitions = roll_day(state, at(12, 9), NY)

    assert (rolled.trading_state, transitions) == (TradingState.REDUCING, [])


def test_release_from_reducing_rebases_the_peak_so_the_next_update_stays_active():
    state, _ = on_pnl(started(), LIMITS, now=at(11, 12), tz=NY, equity=Decimal(8500))
    state, _ = release(state)

    state, transitions = on_pnl(state, LIMITS, now=at(11, 13), tz=NY, equity=Decimal(8400))

    assert (state.trading_state, state.peak_equity, transitions) == (TradingState.ACTIVE, Decimal(8500), [])


def test_drawdown_reached_while_halted_comes_back_reducing_after_the_halt():
    state, _ = lose(started(), "100", at(11, 10))
    state, during = on_pnl(state, LIMITS, now=at(11, 12), tz=NY, equity=Decimal(8000))

    resumed, after = roll_day(state, at(12, 0), NY)

    assert (state.trading_state, during) == (TradingState.HALTED, [])
    assert resumed.trading_state is TradingState.REDUCING
    assert [(t.previous, t.current) for t in after] == [(TradingState.HALTED, TradingState.REDUCING)]


def test_halt_while_reducing_comes_back_reducing_next_day():
    state, _ = on_pnl(started(), LIMITS, now=at(11, 12), tz=NY, equity=Decimal(8500))
    state, halted = lose(state, "100", at(11, 13))

    resumed, _ = roll_day(state, at(12, 0), NY)

    assert [(t.previous, t.current) for t in halted] == [(TradingState.REDUCING, TradingState.HALTED)]
    assert resumed.trading_state is TradingState.REDUCING


def test_fills_move_the_signed_position():
    state = started()
    for side, quantity in [(Side.BUY, "0.5"), (Side.SELL, "0.2"), (Side.SELL, "1")]:
        state, _ = on_fill(
            state, LIMITS, Fill(ACCOUNT, "BTC/USDT", side, Decimal(quantity)), now=at(11, 10), tz=NY
        )

    assert state.position(ACCOUNT, "BTC/USDT") == Decimal("-0.7")


def test_only_the_first_fill_of_an_order_counts_as_a_trade():
    state = started()
    for quantity, cumulative in [("0.2", "0.2"), ("0.3", "0.5"), ("0.5", "1")]:
        fill = Fill(
            ACCOUNT, "BTC/USDT", Side.BUY, Decimal(quantity), order_filled_quantity=Decimal(cumulative)
        )
        state, _ = on_fill(state, LIMITS, fill, now=at(11, 10), tz=NY)

    assert state.trades_today == 1


def test_fill_with_realized_loss_can_halt():
    fill = Fill(ACCOUNT, "BTC/USDT", Side.SELL, Decimal(1), realized_pnl=Decimal(-150))

    state, transitions = on_fill(started(), LIMITS, fill, now=at(11, 10), tz=NY)

    assert (state.trading_state, [t.code for t in transitions]) == (
        TradingState.HALTED,
        [TransitionCode.DAILY_LOSS],
    )


def test_naive_datetime_is_refused():
    with pytest.raises(ValueError, match="timezone-aware"):
        roll_day(RiskState(), datetime(2025, 6, 11, 12), NY)
