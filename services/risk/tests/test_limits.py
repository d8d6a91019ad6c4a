"""RiskLimits: defaults, ranges, consistency and the helpers the checks rely on."""

from datetime import time
from decimal import Decimal
from typing import Any

import pytest
from pydantic import ValidationError
from tradeplane.riskrules import RiskLimits, TradingHours


def error_fields(data: dict[str, Any]) -> list[tuple[str | int, ...]]:
    with pytest.raises(ValidationError) as caught:
        RiskLimits.model_validate(data)
    return [error["loc"] for error in caught.value.errors()]


def test_defaults_follow_the_issue():
    limits = RiskLimits()

    assert limits.model_dump(mode="json") == {
        "maxPositionPct": "5",
        "maxOrderNotional": "10000",
        "maxDailyLossUsd": "100",
        "maxDailyLossPct": "5",
        "maxWeeklyLossUsd": "500",
        "maxDrawdownPct": "15",
        "maxDailyTrades": 20,
        "circuitBreakerDailyLossPct": "3",
        "maxOrdersPerMinute": 60,
        "allowedSymbols": None,
        "tradingHours": None,
    }


def test_snake_case_names_are_accepted_too():
    limits = RiskLimits.model_validate({"max_position_pct": 7})

    assert limits.max_position_pct == Decimal(7)


def test_dump_and_validate_round_trip():
    limits = RiskLimits.model_validate(
        {
            "maxPositionPct": "2.5",
            "allowedSymbols": ["BTC/USDT"],
            "tradingHours": {"start": "22:00", "end": "06:00"},
        }
    )

    assert RiskLimits.model_validate(limits.model_dump(mode="json")) == limits


def test_percent_given_as_json_float_is_read_exactly():
    limits = RiskLimits.model_validate_json('{"maxPositionPct": 2.3}')

    assert limits.max_position_pct == Decimal("2.3")


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("maxPositionPct", "1.99"),
        ("maxPositionPct", 101),
        ("maxOrderNotional", 0),
        ("maxOrderNotional", "-5"),
        ("maxDailyLossUsd", 0),
        ("maxDailyLossPct", 0),
        ("maxDailyLossPct", 101),
        ("maxWeeklyLossUsd", "0"),
        ("maxDrawdownPct", "0.5"),
        ("maxDrawdownPct", 101),
        ("maxDailyTrades", 0),
        ("maxDailyTrades", 10_001),
        ("circuitBreakerDailyLossPct", 0),
        ("circuitBreakerDailyLossPct", 101),
        ("maxOrdersPerMinute", 0),
        ("maxOrdersPerMinute", 10_001),
        ("maxOrderNotional", "NaN"),
    ],
)
def test_out_of_range_value_is_rejected_naming_the_field(field, value):
    assert error_fields({field: value}) == [(field,)]


@pytest.mark.parametrize("field", ["maxOrderNotional", "maxDailyLossUsd", "maxWeeklyLossUsd"])
def test_money_field_rejects_float(field):
    assert error_fields({field: 250.5}) == [(field,)]


@pytest.mark.parametrize("field", ["maxDailyTrades", "maxPositionPct"])
def test_boolean_is_not_taken_for_a_number(field):
    assert error_fields({field: True}) == [(field,)]


def test_unknown_field_is_rejected():
    assert error_fields({"maxLeverage": 3}) == [("maxLeverage",)]


def test_circuit_breaker_above_daily_loss_pct_is_rejected_naming_it():
    assert error_fields({"maxDailyLossPct": 4, "circuitBreakerDailyLossPct": 4.5}) == [
        ("circuitBreakerDailyLossPct",)
    ]


def test_lowering_daily_loss_pct_below_default_circuit_breaker_is_rejected():
    with pytest.raises(
        ValidationError, match=r"circuitBreakerDailyLossPct \(3\) must not exceed maxDailyLossPct"
    ):
        RiskLimits.model_validate({"maxDailyLossPct": 2})


def test_weekly_loss_below_daily_loss_is_rejected_naming_weekly():
    assert error_fields({"maxDailyLossUsd": 600}) == [("maxWeeklyLossUsd",)]


def test_trading_hours_with_equal_start_and_end_are_rejected():
    assert error_fields({"tradingHours": {"start": "09:00", "end": "09:00"}}) == [("tradingHours",)]


@pytest.mark.parametrize("value", ["9:00", "24:00", "12:60", "noon", 900])
def test_trading_hours_must_be_hh_mm(value):
    assert error_fields({"tradingHours": {"start": value, "end": "17:00"}}) == [("tradingHours", "start")]


@pytest.mark.parametrize("symbols", [["btc/usdt"], ["BTCUSDT"], []])
def test_malformed_or_empty_allowed_symbols_are_rejected(symbols):
    assert error_fields({"allowedSymbols": symbols}) == [("allowedSymbols",)]


def test_duplicate_allowed_symbols_collapse():
    limits = RiskLimits(allowed_symbols=("BTC/USDT", "ETH/USDT", "BTC/USDT"))

    assert limits.allowed_symbols == ("BTC/USDT", "ETH/USDT")


def test_limits_are_immutable():
    limits = RiskLimits()

    with pytest.raises(ValidationError):
        limits.max_daily_trades = 5  # type: ignore[misc]


def test_daily_loss_cap_is_the_lower_of_usd_and_percent():
    limits = RiskLimits(max_daily_loss_usd=Decimal(100), max_daily_loss_pct=Decimal(5))

    assert limits.daily_loss_cap(Decimal(1000)) == Decimal(50)
    assert limits.daily_loss_cap(Decimal(10_000)) == Decimal(100)


def test_daily_loss_cap_is_the_usd_cap_while_equity_is_unknown():
    assert RiskLimits().daily_loss_cap(None) == Decimal(100)


def test_trading_hours_within_a_day_include_start_and_exclude_end():
    hours = TradingHours(start="09:00", end="17:00")

    assert [hours.contains(time(h, m)) for h, m in [(8, 59), (9, 0), (16, 59), (17, 0)]] == [
        False,
        True,
        True,
        False,
    ]


def test_trading_hours_across_midnight_cover_both_sides_of_it():
    hours = TradingHours(start="22:00", end="06:00")

    assert [hours.contains(time(h, m)) for h, m in [(21, 59), (22, 0), (0, 0), (5, 59), (6, 0), (12, 0)]] == [
        False,
        True,
        True,
        True,
        False,
        False,
    ]
