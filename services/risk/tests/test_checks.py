"""Pre-trade checks: each rejection code, its place in the order, and the way out for reducing orders."""

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from uuid import uuid4
from zoneinfo import ZoneInfo

import pytest
from tradeplane.contracts import RejectCode, Side, TradingState
from tradeplane.riskrules import (
    Approved,
    ProposedOrder,
    Rejected,
    RiskLimits,
    RiskState,
    TradingHours,
    check_order,
    on_pnl,
    record_order,
)

NOW = datetime(2025, 6, 11, 12, tzinfo=UTC)
UTC_ZONE = ZoneInfo("UTC")
TOKYO = ZoneInfo("Asia/Tokyo")
LIMITS = RiskLimits()
USER, ACCOUNT, OTHER_ACCOUNT = uuid4(), uuid4(), uuid4()
REDUCING = Approved(reduces_position=True)


def order(side: Side = Side.BUY, quantity: str = "0.005", symbol: str = "BTC/USDT", price: str | None = None):
    return ProposedOrder(
        USER, ACCOUNT, symbol, side, Decimal(quantity), None if price is None else Decimal(price)
    )


def today(**fields) -> RiskState:
    return RiskState(day=date(2025, 6, 11), week=date(2025, 6, 9), day_start_equity=Decimal(10_000), **fields)


def holding(quantity: str, state: RiskState | None = None, account=ACCOUNT) -> RiskState:
    return (state or today()).with_position(account, "BTC/USDT", Decimal(quantity))


def decide(
    intent: ProposedOrder,
    state: RiskState | None = None,
    limits: RiskLimits = LIMITS,
    *,
    halted_global: bool = False,
    halted_user: bool = False,
    equity: str | None = "10000",
    now: datetime = NOW,
    tz: ZoneInfo = UTC_ZONE,
):
    return check_order(
        intent,
        limits,
        state or today(),
        halted_global=halted_global,
        halted_user=halted_user,
        price=Decimal(50_000),
        equity=None if equity is None else Decimal(equity),
        now=now,
        tz=tz,
    )


def code_of(decision) -> RejectCode | None:
    return decision.code if isinstance(decision, Rejected) else None


def test_order_within_every_limit_is_approved():
    assert decide(order()) == Approved(reduces_position=False)


def test_global_kill_switch_rejects_even_a_reducing_order():
    assert code_of(decide(order(Side.SELL), holding("0.01"), halted_global=True)) is RejectCode.KILL_SWITCH


def test_user_kill_switch_rejects_the_order():
    decision = decide(order(), halted_user=True)

    assert decision == Rejected(RejectCode.KILL_SWITCH, "trading is halted by the user kill switch")


def test_disabled_user_is_rejected_even_when_reducing():
    state = holding("0.01", today(disabled=True, disabled_reason="auth errors"))

    assert code_of(decide(order(Side.SELL), state)) is RejectCode.USER_DISABLED


def test_kill_switch_is_reported_before_disabled():
    assert code_of(decide(order(), today(disabled=True), halted_user=True)) is RejectCode.KILL_SWITCH


def test_halted_user_cannot_increase_a_position():
    state = today(trading_state=TradingState.HALTED, halted_until=NOW + timedelta(hours=1))

    assert code_of(decide(order(), state)) is RejectCode.TRADING_HALTED


def test_halted_user_can_still_reduce_a_position():
    state = holding("0.01", today(trading_state=TradingState.HALTED, halted_until=NOW + timedelta(hours=1)))

    assert decide(order(Side.SELL), state) == REDUCING


def test_expired_halt_no_longer_blocks():
    state = today(trading_state=TradingState.HALTED, halted_until=NOW - timedelta(seconds=1))

    assert isinstance(decide(order(), state), Approved)


def test_positions_on_another_account_do_not_make_an_order_reducing():
    state = holding(
        "0.05", today(trading_state=TradingState.HALTED, halted_until=NOW + timedelta(hours=1)), OTHER_ACCOUNT
    )

    assert code_of(decide(order(Side.SELL, "0.001"), state)) is RejectCode.TRADING_HALTED


def test_symbol_outside_the_allowed_list_is_rejected():
    limits = RiskLimits(allowed_symbols=("ETH/USDT",))

    assert code_of(decide(order(), limits=limits)) is RejectCode.SYMBOL_NOT_ALLOWED


def test_symbol_on_the_allowed_list_passes():
    limits = RiskLimits(allowed_symbols=("ETH/USDT", "BTC/USDT"))

    assert isinstance(decide(order(), limits=limits), Approved)


def test_reducing_order_in_a_symbol_no_longer_allowed_passes():
    limits = RiskLimits(allowed_symbols=("ETH/USDT",))

    assert decide(order(Side.SELL), holding("0.01"), limits) == REDUCING


def test_trading_hours_across_midnight_allow_late_evening_in_user_timezone():
    limits = RiskLimits(trading_hours=TradingHours(start="22:00", end="06:00"))
    eleven_pm_tokyo = datetime(2025, 6, 11, 14, tzinfo=UTC)

    assert isinstance(decide(order(), limits=limits, now=eleven_pm_tokyo, tz=TOKYO), Approved)


def test_trading_hours_across_midnight_reject_midday_in_user_timezone():
    limits = RiskLimits(trading_hours=TradingHours(start="22:00", end="06:00"))
    noon_tokyo = datetime(2025, 6, 11, 3, tzinfo=UTC)

    assert (
        code_of(decide(order(), limits=limits, now=noon_tokyo, tz=TOKYO)) is RejectCode.OUTSIDE_TRADING_HOURS
    )


def test_reducing_order_outside_trading_hours_passes():
    limits = RiskLimits(trading_hours=TradingHours(start="22:00", end="06:00"))
    noon_tokyo = datetime(2025, 6, 11, 3, tzinfo=UTC)

    assert decide(order(Side.SELL), holding("0.01"), limits, now=noon_tokyo, tz=TOKYO) == REDUCING


def sent_before(*seconds: int) -> RiskState:
    return today(recent_orders=tuple(NOW - timedelta(seconds=s) for s in seconds))


def test_rate_limit_rejects_an_order_beyond_the_per_minute_cap():
    limits = RiskLimits(max_orders_per_minute=3)

    assert code_of(decide(order(), sent_before(50, 30, 10), limits)) is RejectCode.RATE_LIMIT


def test_rate_limit_window_slides_past_orders_a_minute_old():
    limits = RiskLimits(max_orders_per_minute=3)

    assert isinstance(decide(order(), sent_before(60, 30, 10), limits), Approved)


def test_rate_limit_applies_to_reducing_orders_too():
    limits = RiskLimits(max_orders_per_minute=1)

    assert code_of(decide(order(Side.SELL), holding("0.01", sent_before(5)), limits)) is RejectCode.RATE_LIMIT


def test_record_order_forgets_orders_older_than_a_minute():
    state = record_order(sent_before(90, 20), NOW)

    assert state.recent_orders == (NOW - timedelta(seconds=20), NOW)


def test_daily_trade_cap_rejects_an_increasing_order():
    assert code_of(decide(order(), today(trades_today=20))) is RejectCode.MAX_DAILY_TRADES


def test_daily_trade_cap_lets_a_reducing_order_through():
    assert decide(order(Side.SELL), holding("0.01", today(trades_today=20))) == REDUCING


def test_yesterdays_trades_do_not_count_today():
    state = RiskState(day=date(2025, 6, 10), week=date(2025, 6, 9), trades_today=20)

    assert isinstance(decide(order(), state), Approved)


def test_order_notional_above_the_cap_is_rejected():
    assert code_of(decide(order(quantity="0.3"), equity="1000000")) is RejectCode.MAX_ORDER_NOTIONAL


def test_order_notional_exactly_at_the_cap_is_approved():
    assert isinstance(decide(order(quantity="0.2"), equity="1000000"), Approved)


def test_reducing_order_above_the_notional_cap_passes():
    assert decide(order(Side.SELL, "0.3"), holding("0.5"), equity="1000000") == REDUCING


def test_limit_order_notional_uses_its_limit_price():
    assert isinstance(decide(order(quantity="0.3", price="30000"), equity="1000000"), Approved)


def test_daily_loss_cap_rejects_increasing_order():
    state = today(daily_realized_pnl=Decimal(-100), weekly_realized_pnl=Decimal(-100))

    assert code_of(decide(order(), state)) is RejectCode.DAILY_LOSS


def test_daily_loss_cap_lets_a_reducing_order_through():
    state = holding("0.01", today(daily_realized_pnl=Decimal(-100), weekly_realized_pnl=Decimal(-100)))

    assert decide(order(Side.SELL), state) == REDUCING


def test_weekly_loss_cap_rejects_increasing_order():
    assert code_of(decide(order(), today(weekly_realized_pnl=Decimal(-500)))) is RejectCode.WEEKLY_LOSS


def test_circuit_breaker_rejects_increasing_order():
    limits = RiskLimits(max_daily_loss_usd=Decimal(1000), max_weekly_loss_usd=Decimal(5000))
    state = today(daily_realized_pnl=Decimal(-300), weekly_realized_pnl=Decimal(-300))

    assert code_of(decide(order(), state, limits)) is RejectCode.CIRCUIT_BREAKER


def test_reducing_state_rejects_an_increasing_order():
    assert code_of(decide(order(), today(trading_state=TradingState.REDUCING))) is RejectCode.REDUCE_ONLY


def test_order_that_flips_the_position_does_not_count_as_reducing():
    state = holding("0.005", today(trading_state=TradingState.REDUCING))

    assert code_of(decide(order(Side.SELL, "0.01"), state)) is RejectCode.REDUCE_ONLY


def test_drawdown_cap_moves_to_reducing_and_reducing_order_passes():
    state, _ = on_pnl(holding("0.01"), LIMITS, now=NOW, tz=UTC_ZONE, equity=Decimal(10_000))
    state, _ = on_pnl(state, LIMITS, now=NOW, tz=UTC_ZONE, equity=Decimal(8_500))

    assert state.trading_state is TradingState.REDUCING
    assert decide(order(Side.SELL, "0.004"), state, equity="8500") == REDUCING


def test_drawdown_over_a_lowered_cap_rejects_increasing_order():
    state = today(equity=Decimal(8500), peak_equity=Decimal(10_000), drawdown_pct=Decimal(15))
    limits = RiskLimits(max_drawdown_pct=Decimal(10))

    assert code_of(decide(order(), state, limits, equity="8500")) is RejectCode.MAX_DRAWDOWN


def test_position_above_max_pct_of_equity_is_rejected():
    assert code_of(decide(order(quantity="0.006"), holding("0.005"))) is RejectCode.MAX_POSITION


def test_position_exactly_at_max_pct_of_equity_is_approved():
    assert isinstance(decide(order(quantity="0.005"), holding("0.005")), Approved)


def test_short_position_grows_with_sells_and_is_capped():
    assert code_of(decide(order(Side.SELL, "0.004"), holding("-0.008"))) is RejectCode.MAX_POSITION


def test_reducing_order_is_never_rejected_for_position_size():
    assert decide(order(Side.SELL, "0.01"), holding("0.05")) == REDUCING


def test_zero_equity_allows_no_new_position():
    assert code_of(decide(order(), equity="0")) is RejectCode.MAX_POSITION


def test_unknown_equity_rejects_an_increasing_order_equity_unknown_not_max_position():
    decision = decide(order(), equity=None)

    assert code_of(decision) is RejectCode.EQUITY_UNKNOWN
    assert "retry" in decision.message


def test_unknown_equity_lets_a_reducing_order_through():
    assert decide(order(Side.SELL, "0.01"), holding("0.05"), equity=None) == REDUCING


def test_proposed_order_needs_a_positive_quantity():
    with pytest.raises(ValueError, match="quantity"):
        order(quantity="0")
