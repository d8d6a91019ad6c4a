"""Strategies and bots at the gateway: the built-in strategies as API objects, bot request bodies, and
the check of a bot's config against its strategy's model before the bots service is asked.

The strategies come from the pure library `tradeplane.strategies`, so the gateway answers
`GET /api/strategies` itself and refuses a config that does not fit (422 naming the field) without a
round trip; the bots service validates again.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Annotated, Any, Literal
from uuid import UUID

from pydantic import AfterValidator, ConfigDict, Field, StringConstraints, ValidationError, WithJsonSchema
from tradeplane.strategies import STRATEGIES, StrategySpec, StrategyType, config_schema, updatable_fields

from .envelope import ApiError, field_errors
from .schemas import Body, Currency, OrderAmount, Out

_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_NAME_PATTERN = r"^[^\x00-\x1f\x7f]*[^\s\x00-\x1f\x7f][^\x00-\x1f\x7f]*$"
BotStatus = Literal["Stopped", "Running", "Paused", "Error"]
BotLogLevel = Literal["debug", "info", "warning", "error"]


def _known_strategy(value: str) -> str:
    if value not in STRATEGIES:
        raise ValueError(f"unknown strategy; one of {', '.join(STRATEGIES)}")
    return value


def _bot_name(value: str) -> str:
    if _CONTROL.search(value) or not value.strip():
        raise ValueError("must be printable text that is not blank")
    return value.strip()


StrategyId = Annotated[
    str,
    StringConstraints(max_length=64),
    AfterValidator(_known_strategy),
    WithJsonSchema({"type": "string", "enum": list(STRATEGIES)}),
]
BotName = Annotated[
    str,
    StringConstraints(min_length=1, max_length=100),
    AfterValidator(_bot_name),
    WithJsonSchema({"type": "string", "minLength": 1, "maxLength": 100, "pattern": _NAME_PATTERN}),
]
Allocation = Annotated[
    dict[Currency, OrderAmount],
    Field(
        min_length=1,
        max_length=20,
        description="The share of the account the bot may use, per asset.",
        examples=[{"USDT": "5000"}],
        json_schema_extra={"additionalProperties": False},
    ),
]
Config = Annotated[
    dict[str, Any],
    Field(
        max_length=100,
        description="Fits the strategy's `configSchema` (GET /api/strategies/{id}).",
        examples=[{"targets": {"BTC": "0.5", "USDT": "0.5"}, "intervalSeconds": 3600}],
    ),
]


class BotCreate(Body):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "name": "BTC/USDT 50-50",
                    "strategy": "rebalancer",
                    "venueId": "6f1c0d2e-4b7a-4c39-9d0e-2a1b3c4d5e6f",
                    "config": {
                        "targets": {"BTC": "0.5", "USDT": "0.5"},
                        "intervalSeconds": 3600,
                        "driftThresholdPct": "5",
                    },
                    "allocation": {"USDT": "10000"},
                    "dryRun": True,
                }
            ]
        }
    )

    name: BotName
    strategy: StrategyId
    venue_id: UUID
    config: Config
    allocation: Allocation | None = None
    dry_run: bool | None = None


class BotUpdate(Body):
    """Changes to a bot; `config` replaces the whole config (a running bot takes only updatable fields)."""

    model_config = ConfigDict(
        json_schema_extra={"examples": [{"config": {"targets": {"BTC": "0.6", "USDT": "0.4"}}}]}
    )

    name: BotName | None = None
    config: Config | None = None
    dry_run: bool | None = None
    allocation: Allocation | None = None


class BotStop(Body):
    cancel_open_orders: bool = True
    """Cancel the bot's resting orders."""
    close_positions: bool = False
    """Sell what the bot bought (market orders), back to its allocation's quote asset."""


class BotOut(Out):
    """A bot, as the bots service keeps it (docs/api.md "Strategies and bots")."""

    id: UUID
    name: str
    strategy: str
    venue_id: UUID
    venue: str
    environment: Literal["Paper", "Live"]
    status: BotStatus
    dry_run: bool
    config: dict[str, Any]
    allocation: dict[str, str] | None
    created_at: datetime
    started_at: datetime | None
    last_activity: datetime | None
    last_run_at: datetime | None
    next_run_at: datetime | None
    error: str | None
    """Why the bot is in Error (or what it last could not do)."""
    profit_loss: str | None
    profit_loss_percent: str | None
    trades_last24h: int | None
    active_positions: int | None


class BotLogOut(Out):
    at: datetime
    level: BotLogLevel
    message: str
    data: dict[str, Any] | None


class StrategyOut(Out):
    id: str
    name: str
    type: StrategyType
    description: str
    config_schema: dict[str, Any]
    updatable_fields: list[str]
    """Config fields a running bot accepts new values for."""
    version: str


def strategy_json(found: StrategySpec) -> dict[str, Any]:
    return StrategyOut(
        id=found.id,
        name=found.name,
        type=found.type,
        description=found.description,
        config_schema=config_schema(found.id),
        updatable_fields=sorted(updatable_fields(found.id)),
        version=found.version,
    ).model_dump(mode="json", by_alias=True)


def check_config(strategy_id: str, config: dict[str, Any]) -> None:
    """422 VALIDATION_ERROR naming each offending field (`config.<field>`) when `config` does not fit."""
    found = STRATEGIES.get(strategy_id)
    if found is None:
        raise ApiError(
            422,
            "VALIDATION_ERROR",
            "the request is not valid",
            fields=[
                {
                    "field": "strategy",
                    "location": "body",
                    "message": "unknown strategy",
                    "type": "value_error",
                }
            ],
        )
    try:
        found.config.model_validate(config)
    except ValidationError as exc:
        errors = [err | {"loc": ("body", "config", *err["loc"])} for err in exc.errors()]
        raise ApiError(
            422,
            "VALIDATION_ERROR",
            f"the config does not fit the {strategy_id} strategy",
            **field_errors(errors),
        ) from None
