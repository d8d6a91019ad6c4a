"""Pure parts of the queries: merging limit updates, parameters, and the operator command's requests."""

from uuid import uuid4

import pytest
from pydantic import ValidationError
from tradeplane.risk.cli import request, run
from tradeplane.risk.params import HaltCommand, PageParams
from tradeplane.risk.queries import merged_limits
from tradeplane.riskrules import RiskLimits


def test_limits_not_named_keep_their_current_value():
    current = RiskLimits(max_daily_trades=5)
    assert merged_limits(current, {"maxOrdersPerMinute": 10}).max_daily_trades == 5


def test_snake_case_keys_are_accepted():
    assert merged_limits(RiskLimits(), {"max_daily_trades": 9}).max_daily_trades == 9


def test_out_of_range_limit_names_its_field():
    with pytest.raises(ValidationError) as error:
        merged_limits(RiskLimits(), {"maxPositionPct": 101})
    assert [e["loc"] for e in error.value.errors()] == [("maxPositionPct",)]


def test_unknown_limit_is_refused():
    with pytest.raises(ValidationError):
        merged_limits(RiskLimits(), {"maxLeverage": 3})


def test_blank_halt_reason_is_refused():
    with pytest.raises(ValidationError):
        HaltCommand.model_validate({"scope": "user", "reason": "   "})


def test_page_size_is_capped():
    with pytest.raises(ValidationError):
        PageParams.model_validate({"pageSize": 1000})


def test_engage_without_user_is_a_global_activate():
    assert request("engage", None, "incident") == (
        "killswitch.activate",
        {"scope": "global", "reason": "incident"},
    )


def test_release_of_a_user_names_them():
    user = uuid4()
    assert request("release", user, "ok") == (
        "killswitch.deactivate",
        {"scope": "user", "reason": "ok", "userId": str(user)},
    )


def test_status_asks_for_the_status():
    assert request("status", None, None) == ("killswitch.status", {})


def test_engage_without_a_reason_exits_2_without_asking():
    assert run(["engage"]) == 2
