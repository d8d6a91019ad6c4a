"""Platform ceilings: how far traders may loosen their own limits (an admin may go beyond for one user).

The ceilings are themselves a set of limits, so their ranges and consistency are those of `RiskLimits`.
Lowering a ceiling leaves limits already set as they are: their owners may keep or tighten them.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from pydantic.alias_generators import to_camel
from tradeplane.riskrules.limits import RiskLimits

CAPPED: tuple[str, ...] = tuple(
    name for name in RiskLimits.model_fields if name not in ("allowed_symbols", "trading_hours")
)
"""The limits a ceiling bounds: numbers where a larger value is a looser limit."""


@dataclass(frozen=True)
class Excess:
    """A limit set above its ceiling."""

    name: str
    value: Decimal | int
    ceiling: Decimal | int

    @property
    def field(self) -> str:
        return to_camel(self.name)

    @property
    def ceiling_text(self) -> str:
        return _text(self.ceiling)

    @property
    def message(self) -> str:
        return (
            f"{self.field} {_text(self.value)} is above the platform ceiling of {self.ceiling_text} "
            "(an admin may set it higher for you)"
        )


def view(ceilings: RiskLimits) -> dict[str, Any]:
    """The ceilings as the API shows them (camelCase, amounts as strings)."""
    return ceilings.model_dump(mode="json", include=set(CAPPED))


def excesses(new: RiskLimits, current: RiskLimits, ceilings: RiskLimits) -> list[Excess]:
    """The limits `new` loosens beyond their ceiling; a value no looser than the current one passes."""
    found = []
    for name in CAPPED:
        value, ceiling = getattr(new, name), getattr(ceilings, name)
        if value > ceiling and value > getattr(current, name):
            found.append(Excess(name, value, ceiling))
    return found


def _text(number: Decimal | int) -> str:
    return format(number, "f") if isinstance(number, Decimal) else str(number)
