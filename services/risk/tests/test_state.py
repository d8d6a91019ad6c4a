"""RiskState: storage form (JSONB) and the position bookkeeping."""

import json
from datetime import UTC, date, datetime
from decimal import Decimal
from uuid import uuid4

from tradeplane.contracts import TradingState, VenueErrorCategory
from tradeplane.riskrules import RiskState, TransitionCode

ACCOUNT = uuid4()


def busy_state() -> RiskState:
    return RiskState(
        trading_state=TradingState.HALTED,
        halt_code=TransitionCode.DAILY_LOSS,
        halt_reason="daily loss",
        halted_until=datetime(2025, 6, 12, 4, tzinfo=UTC),
        resume_state=TradingState.REDUCING,
        day=date(2025, 6, 11),
        week=date(2025, 6, 9),
        day_start_equity=Decimal("10000"),
        daily_realized_pnl=Decimal("-120.50"),
        weekly_realized_pnl=Decimal("-1E+2"),
        equity=Decimal("9879.5"),
        peak_equity=Decimal("11000"),
        drawdown_pct=Decimal("10.1864"),
        trades_today=4,
        recent_orders=(datetime(2025, 6, 11, 12, tzinfo=UTC),),
        positions={ACCOUNT: {"BTC/USDT": Decimal("-0.25")}},
        consecutive_errors={VenueErrorCategory.AUTH: 2},
        error_totals={VenueErrorCategory.AUTH: 2, VenueErrorCategory.RATE_LIMIT: 1},
        disabled=True,
        disabled_reason="broken",
    )


def test_state_survives_a_json_round_trip():
    state = busy_state()

    stored = json.loads(json.dumps(state.to_dict()))

    assert RiskState.from_dict(stored) == state


def test_decimals_are_stored_as_plain_strings():
    stored = busy_state().to_dict()

    assert stored["daily_realized_pnl"] == "-120.50"
    assert stored["weekly_realized_pnl"] == "-100"
    assert stored["positions"] == {str(ACCOUNT): {"BTC/USDT": "-0.25"}}


def test_empty_stored_dict_reads_as_a_fresh_state():
    assert RiskState.from_dict({}) == RiskState()


def test_total_errors_sum_every_category():
    assert busy_state().total_errors == 3


def test_closing_a_position_removes_it():
    state = RiskState().with_position(ACCOUNT, "BTC/USDT", Decimal(1))

    flat = state.with_position(ACCOUNT, "BTC/USDT", Decimal(0))

    assert flat.positions == {}
    assert flat.position(ACCOUNT, "BTC/USDT") == 0


def test_public_view_uses_the_api_field_names():
    view = busy_state().public_view()

    assert view["tradingState"] == "Halted"
    assert view["dailyPnl"] == "-120.50"
    assert view["errorCount"] == 3
    assert view["disabled"] is True
