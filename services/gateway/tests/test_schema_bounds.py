"""Request bodies state their bounds in the OpenAPI document and enforce exactly those."""

from __future__ import annotations

import re
from typing import Any

import pytest
from pydantic import ValidationError
from tradeplane.gateway.schemas import LoginRequest, PlaceOrder, TradingLimits

VENUE = "6f1c7f0e-4d0b-5a55-9a3e-2b8f5d1c9e47"


def order(**fields: Any) -> dict[str, Any]:
    return {"venueId": VENUE, "symbol": "BTC/USDT", "side": "Buy", "quantity": "0.1"} | fields


@pytest.mark.parametrize("value", ["100", "100.000", "0.5", "5"])
def test_percent_limit_up_to_100_is_accepted_and_matches_the_pattern(value: str) -> None:
    pattern = TradingLimits.model_json_schema()["properties"]["maxPositionPct"]["anyOf"][0]["pattern"]

    assert re.search(pattern, value)
    assert str(TradingLimits.model_validate({"maxPositionPct": value}).max_position_pct) == value


@pytest.mark.parametrize("value", ["100.01", "0", "-1", "1e2", "1000"])
def test_percent_limit_outside_0_to_100_is_refused_and_fails_the_pattern(value: str) -> None:
    pattern = TradingLimits.model_json_schema()["properties"]["maxPositionPct"]["anyOf"][0]["pattern"]

    assert not re.search(pattern, value)
    with pytest.raises(ValidationError):
        TradingLimits.model_validate({"maxPositionPct": value})


def test_null_limit_is_left_out_but_null_symbols_and_hours_are_kept() -> None:
    body = {"maxOrderNotional": None, "allowedSymbols": None, "tradingHours": None}

    assert TradingLimits.model_validate(body).params() == {"allowedSymbols": None, "tradingHours": None}


@pytest.mark.parametrize(
    ("fields", "valid"),
    [
        ({"type": "Market"}, True),
        ({"type": "Market", "price": "1"}, False),
        ({"type": "Limit", "price": "1"}, True),
        ({"type": "Limit"}, False),
        ({"type": "Stop", "stopPrice": "1"}, True),
        ({"type": "StopLimit", "price": "1"}, False),
        ({"type": "StopLimit", "price": "1", "stopPrice": "2"}, True),
    ],
)
def test_prices_each_order_type_needs_are_in_the_schema_and_enforced(
    fields: dict[str, Any], valid: bool
) -> None:
    body = order(**fields)
    branches = [
        b
        for b in PlaceOrder.model_json_schema()["oneOf"]
        if b["properties"]["type"]["const"] == fields["type"]
    ]
    [branch] = branches
    fits = all(name in body for name in branch["required"]) and all(
        (body.get(name) is None) == (rule["type"] == "null")
        for name, rule in branch["properties"].items()
        if name != "type" and name in body
    )

    assert fits is valid
    if valid:
        PlaceOrder.model_validate(body)
    else:
        with pytest.raises(ValidationError):
            PlaceOrder.model_validate(body)


def test_login_schema_requires_email_or_username() -> None:
    assert {tuple(b["required"]) for b in LoginRequest.model_json_schema()["anyOf"]} == {
        ("email",),
        ("username",),
    }
    with pytest.raises(ValidationError):
        LoginRequest.model_validate({"password": "x"})
