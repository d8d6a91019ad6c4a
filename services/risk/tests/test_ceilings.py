"""Platform ceilings: which limits a trader's change takes beyond them, and the defaults' room."""

from decimal import Decimal

import pytest
from pydantic import ValidationError
from tradeplane.risk.config import Ceilings
from tradeplane.risk.domain.ceilings import CAPPED, excesses, view
from tradeplane.riskrules import RiskLimits

CEILINGS = Ceilings().limits()
DEFAULTS = RiskLimits()


def test_limits_up_to_the_ceilings_pass():
    at_ceilings = RiskLimits.model_validate(view(CEILINGS))

    assert excesses(at_ceilings, DEFAULTS, CEILINGS) == []


def test_limit_beyond_its_ceiling_names_the_field_and_the_ceiling():
    loose = DEFAULTS.model_copy(update={"max_daily_loss_usd": Decimal(10) ** 9})

    [excess] = excesses(loose, DEFAULTS, CEILINGS)

    assert (excess.field, excess.ceiling_text) == ("maxDailyLossUsd", "100000")
    assert "100000" in excess.message


def test_every_limit_beyond_its_ceiling_is_named():
    loose = RiskLimits(
        max_orders_per_minute=10_000, circuit_breaker_daily_loss_pct=Decimal(100), max_daily_loss_pct=100
    )

    names = [e.field for e in excesses(loose, DEFAULTS, CEILINGS)]

    assert names == ["maxDailyLossPct", "circuitBreakerDailyLossPct", "maxOrdersPerMinute"]


def test_a_limit_an_admin_set_above_the_ceiling_may_be_kept_or_tightened_not_loosened():
    granted = DEFAULTS.model_copy(update={"max_orders_per_minute": 2_000})

    kept = excesses(granted, granted, CEILINGS)
    tightened = excesses(granted.model_copy(update={"max_orders_per_minute": 1_000}), granted, CEILINGS)
    loosened = excesses(granted.model_copy(update={"max_orders_per_minute": 3_000}), granted, CEILINGS)

    assert (kept, tightened, [e.field for e in loosened]) == ([], [], ["maxOrdersPerMinute"])


def test_default_ceilings_leave_room_for_a_rebalancer_holding_half_in_btc():
    rebalancer = DEFAULTS.model_copy(update={"max_position_pct": Decimal(60)})

    assert excesses(rebalancer, DEFAULTS, CEILINGS) == []


def test_default_ceilings_are_at_or_above_every_default_limit():
    assert all(getattr(CEILINGS, name) >= getattr(DEFAULTS, name) for name in CAPPED)


def test_view_shows_only_the_capped_limits_camel_case():
    assert view(CEILINGS) == {
        "maxPositionPct": "100",
        "maxOrderNotional": "1000000",
        "maxDailyLossUsd": "100000",
        "maxDailyLossPct": "50",
        "maxWeeklyLossUsd": "250000",
        "maxDrawdownPct": "75",
        "maxDailyTrades": 5000,
        "circuitBreakerDailyLossPct": "50",
        "maxOrdersPerMinute": 600,
    }


def test_inconsistent_default_ceilings_are_refused_at_start():
    with pytest.raises(ValidationError):
        Ceilings(max_daily_loss_pct=Decimal(1))
