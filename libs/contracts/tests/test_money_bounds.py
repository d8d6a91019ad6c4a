"""Money types are bounded in digits and exponent, so no amount can stall or exhaust a service."""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Annotated

import pytest
from pydantic import BaseModel, TypeAdapter, ValidationError
from tradeplane.contracts import Money, NonNegative, Quantity
from tradeplane.contracts.base import DECIMAL_PLACES, INTEGER_DIGITS, BoundedDecimal

money = TypeAdapter(Money)
quantity = TypeAdapter(Quantity)
non_negative = TypeAdapter(NonNegative)


@pytest.mark.parametrize(
    "text",
    ["1e100000000", "1E+100000000", "-1e-100000000", "1e3", "9" * 31, "0." + "1" * 41, "1" * 10_000],
)
def test_unbounded_or_exponent_strings_are_refused(text: str) -> None:
    with pytest.raises(ValidationError):
        money.validate_json(f'"{text}"')


@pytest.mark.parametrize("text", ["NaN", "sNaN", "Infinity", "-Infinity", "inf", "+inf"])
def test_non_finite_strings_are_refused(text: str) -> None:
    with pytest.raises(ValidationError, match="finite"):
        money.validate_python(text)


@pytest.mark.parametrize("value", [Decimal("NaN"), Decimal("Infinity"), Decimal("1E+100000000")])
def test_non_finite_or_huge_decimals_are_refused(value: Decimal) -> None:
    with pytest.raises(ValidationError):
        money.validate_python(value)


def test_huge_integers_are_refused() -> None:
    with pytest.raises(ValidationError, match="digits"):
        money.validate_json("1" + "0" * 4000)


@pytest.mark.parametrize("text", ["-1", "-0.00000001"])
def test_negative_amounts_are_refused_where_not_allowed(text: str) -> None:
    with pytest.raises(ValidationError, match="negative"):
        non_negative.validate_python(text)
    with pytest.raises(ValidationError, match="greater than zero"):
        quantity.validate_python(text)


@pytest.mark.parametrize("text", ["0", "0.000", "-0"])
def test_zero_is_not_a_quantity_but_is_non_negative(text: str) -> None:
    with pytest.raises(ValidationError, match="greater than zero"):
        quantity.validate_python(text)
    assert non_negative.validate_python(text) == 0
    assert not non_negative.dump_python(non_negative.validate_python(text)).startswith("-")


def test_largest_amounts_within_the_bounds_are_kept_exactly() -> None:
    text = "9" * INTEGER_DIGITS + "." + "9" * DECIMAL_PLACES
    assert money.dump_python(money.validate_python(text)) == text
    assert money.validate_python("-" + text) == Decimal("-" + text)
    assert money.validate_python(10**INTEGER_DIGITS - 1) == Decimal(10**INTEGER_DIGITS - 1)


def test_decimals_computed_finer_than_the_places_are_rounded_not_refused() -> None:
    value = Decimal(1) / Decimal(3) * Decimal("1e-20")
    kept = money.validate_python(value)
    assert kept.as_tuple().exponent == -DECIMAL_PLACES
    assert abs(kept - value) < Decimal("1e-40")


def test_decimal_objects_in_exponent_form_are_written_plainly() -> None:
    assert quantity.dump_python(quantity.validate_python(Decimal("1E+3"))) == "1000"


def test_json_schema_is_the_enforced_pattern() -> None:
    pattern = TypeAdapter(Quantity).json_schema()["pattern"]
    accepted = ["1", "0.5", "00.10", "123456789012345678901234567890.1"]
    refused = ["0", "0.000", "-1", "1e5", ".5", "5.", " 5", "1" * 31]
    assert all(re.search(pattern, text) for text in accepted)
    assert not any(re.search(pattern, text) for text in refused)
    for text in accepted:
        quantity.validate_python(text)


def test_narrower_bounds_for_one_field() -> None:
    class Order(BaseModel):
        amount: Annotated[Decimal, BoundedDecimal(positive=True, integer_digits=15)]

    assert Order.model_validate({"amount": "999999999999999.5"}).amount == Decimal("999999999999999.5")
    with pytest.raises(ValidationError, match="15 digits"):
        Order.model_validate({"amount": "1000000000000000"})
