"""What a backtest is asked to do (`POST /api/backtests` in docs/api.md), validated at the edge."""

from __future__ import annotations

from decimal import Decimal
from enum import StrEnum
from typing import Annotated, Any, Self

from pydantic import (
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)
from tradeplane.contracts import NonNegative, UtcDatetime
from tradeplane.contracts.base import CamelModel
from tradeplane.contracts.orders import SYMBOL_PATTERN
from tradeplane.paper.markets import PAPER_MARKETS
from tradeplane.riskrules import RiskLimits
from tradeplane.strategies.candles import Timeframe
from tradeplane.strategies.registry import STRATEGIES, build

from .data import MAX_CANDLES, DatasetError, Period, parse_spec


class Intrabar(StrEnum):
    """The path a candle's price takes between its open and close, as the matching sees it."""

    OHLC = "ohlc"
    """open → high → low → close, always."""
    ADAPTIVE = "adaptive"
    """open → low → high → close when the open is nearer the low than the high, else open → high → low
    → close (the nearer extreme is reached first)."""


Symbol = Annotated[str, Field(pattern=SYMBOL_PATTERN)]

EXAMPLE: dict[str, Any] = {
    "strategy": "grid",
    "config": {
        "symbol": "BTC/USDT",
        "lower": "60000",
        "upper": "70000",
        "levels": 21,
        "quantityPerLevel": "0.01",
    },
    "timeframe": "1h",
    "start": "2024-01-01T00:00:00Z",
    "end": "2024-02-01T00:00:00Z",
    "initialBalances": {"USDT": "10000"},
    "dataset": "synthetic:range:42",
}
"""A request (as JSON) that trades: a 21-level grid over a month of seeded range-bound hourly candles."""


class BacktestRequest(CamelModel):
    """A strategy, its config and the market it runs on: the same request gives the same result."""

    model_config = ConfigDict(serialize_by_alias=True)

    strategy: str
    config: dict[str, Any]
    symbols: tuple[Symbol, ...] | None = None
    """The markets replayed; by default the config's `symbol` (or the rebalancer's target markets)."""
    timeframe: Timeframe
    start: UtcDatetime
    end: UtcDatetime
    initial_balances: dict[str, NonNegative]
    dataset: str = "synthetic:range:42"
    limits: RiskLimits | None = None
    """The pre-trade risk limits; None means the platform defaults (a user's own, through the API)."""
    intrabar: Intrabar = Intrabar.ADAPTIVE
    seed: int = Field(default=0, ge=0, le=2**63 - 1)
    """The strategy's random seed (`ctx.random`)."""

    @field_validator("strategy")
    @classmethod
    def _known_strategy(cls, value: str) -> str:
        if value not in STRATEGIES:
            raise ValueError(f"unknown strategy {value!r}; known: {', '.join(sorted(STRATEGIES))}")
        return value

    @field_validator("config")
    @classmethod
    def _config_fits_schema(cls, value: dict[str, Any], info: ValidationInfo) -> dict[str, Any]:
        strategy = info.data.get("strategy")
        if strategy is None:
            return value
        try:
            model = build(strategy, value).config
        except ValidationError as exc:
            problems = "; ".join(
                f"{'.'.join(str(p) for p in error['loc']) or 'config'}: {error['msg']}"
                for error in exc.errors()
            )
            raise ValueError(f"config does not fit the {strategy} schema: {problems}") from None
        normalized: dict[str, Any] = model.model_dump(mode="json", by_alias=True)
        return normalized

    @field_validator("symbols")
    @classmethod
    def _paper_markets(cls, value: tuple[str, ...] | None) -> tuple[str, ...] | None:
        if value is None:
            return None
        if not value:
            raise ValueError("symbols must list at least one market (or be left out)")
        unknown = [s for s in value if s not in PAPER_MARKETS]
        if unknown:
            raise ValueError(f"no market data for {unknown}; known: {', '.join(sorted(PAPER_MARKETS))}")
        return tuple(sorted(set(value)))

    @field_validator("initial_balances")
    @classmethod
    def _some_money(cls, value: dict[str, Decimal]) -> dict[str, Decimal]:
        if not any(amount > 0 for amount in value.values()):
            raise ValueError("initialBalances needs a positive balance of at least one asset")
        return dict(sorted(value.items()))

    @field_validator("dataset")
    @classmethod
    def _dataset_spec(cls, value: str) -> str:
        try:
            parse_spec(value)
        except DatasetError as exc:
            raise ValueError(str(exc)) from None
        return value

    @model_validator(mode="after")
    def _period(self) -> Self:
        if self.end <= self.start:
            raise _field_error("end", "end must be after start", self.end.isoformat())
        if self.end - self.start < self.timeframe.duration:
            raise _field_error(
                "end", f"the period holds no whole {self.timeframe} candle", self.end.isoformat()
            )
        markets = self.markets
        if not markets:
            raise _field_error("symbols", "name the symbols to replay (the config names none)", None)
        unknown = [s for s in markets if s not in PAPER_MARKETS]
        if unknown:
            raise _field_error("symbols", f"no market data for {unknown}", None)
        priced = {part for symbol in markets for part in symbol.split("/")}
        unpriced = sorted(set(self.initial_balances) - priced)
        if unpriced:
            raise _field_error(
                "initialBalances",
                f"{', '.join(unpriced)} is not traded in the replayed markets ({', '.join(markets)})",
                None,
            )
        candles = self.period.count * len(markets)
        if candles > MAX_CANDLES:
            raise _field_error(
                "end",
                f"{candles:,} candles ({len(markets)} symbols x {self.period.count:,}) exceed the limit of "
                f"{MAX_CANDLES:,}; shorten the period, use fewer symbols or a longer timeframe",
                self.end.isoformat(),
            )
        return self

    @property
    def period(self) -> Period:
        return Period(self.timeframe, self.start, self.end)

    @property
    def markets(self) -> tuple[str, ...]:
        """The symbols replayed: as given, else the ones the config trades."""
        if self.symbols is not None:
            return self.symbols
        symbol = self.config.get("symbol")
        if isinstance(symbol, str):
            return (symbol,)
        targets = self.config.get("targets")
        quote = self.config.get("quote")
        if isinstance(targets, dict) and isinstance(quote, str):
            return tuple(sorted(f"{asset}/{quote}" for asset in targets if asset != quote))
        return ()

    def canonical(self) -> dict[str, Any]:
        """The request as JSON data, defaults filled in (what `resultHash` covers)."""
        data: dict[str, Any] = self.model_dump(mode="json", by_alias=True)
        data["symbols"] = list(self.markets)
        return data


def _field_error(field: str, message: str, value: Any) -> ValidationError:
    from pydantic_core import InitErrorDetails, PydanticCustomError

    return ValidationError.from_exception_data(
        "BacktestRequest",
        [InitErrorDetails(type=PydanticCustomError("backtest_request", message), loc=(field,), input=value)],
    )
