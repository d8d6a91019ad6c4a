"""The strategy contract: a config model and five hooks over a `StrategyContext`, all synchronous and pure."""

from __future__ import annotations

from typing import Any, Generic, TypeVar

from pydantic import ConfigDict, Field
from pydantic.config import JsonDict
from tradeplane.contracts.base import CamelModel

from .candles import Candle
from .context import OpenOrder, StrategyContext
from .intents import Fill

UPDATABLE: JsonDict = {"updatable": True}
"""`json_schema_extra` of a config field a running bot may change (`PUT /api/bots/{id}`)."""


def updatable(default: Any = ..., **kwargs: Any) -> Any:
    """A config field a running bot accepts a new value for."""
    return Field(default, json_schema_extra=UPDATABLE, **kwargs)


class StrategyConfig(CamelModel):
    """Base of every strategy's config: immutable, camelCase in JSON, unknown fields refused."""

    model_config = ConfigDict(field_title_generator=lambda name, _: name.replace("_", " ").capitalize())


ConfigT = TypeVar("ConfigT", bound=StrategyConfig)


class Strategy(Generic[ConfigT]):
    """Subclass and override the hooks you need; keep state in attributes, decide only from what the
    hooks give.

    A hook must not read the wall clock, sleep, do I/O or use unseeded randomness: use `ctx.now`,
    `ctx.set_timer`, `ctx.random`. Candles arrive only once closed.
    """

    def __init__(self, config: ConfigT) -> None:
        self.config = config

    def on_start(self, ctx: StrategyContext) -> None:
        """The user started the bot (a host resuming from a snapshot does not call it again)."""

    def on_candle(self, ctx: StrategyContext, candle: Candle) -> None:
        """A candle closed; `ctx.price(candle.symbol)` is its close."""

    def on_timer(self, ctx: StrategyContext, name: str) -> None:
        """A timer set with `ctx.set_timer` fired."""

    def on_run(self, ctx: StrategyContext) -> None:
        """A manual run (`POST /api/bots/{id}/run`); by default nothing."""

    def on_fill(self, ctx: StrategyContext, fill: Fill, order: OpenOrder) -> None:
        """One of the bot's intents (partly) filled; `order.remaining` is zero once it is complete."""

    def on_stop(self, ctx: StrategyContext) -> None:
        """The bot is stopping; the host cancels open orders or closes positions if the user asked."""

    def state(self) -> dict[str, Any]:
        """What the strategy remembers, as JSON-able data (the host stores it with the context's snapshot)."""
        return {}

    def restore(self, state: dict[str, Any]) -> None:
        """Take back what `state` returned, on a fresh instance built from the same config."""

    def update_config(self, ctx: StrategyContext, config: ConfigT) -> None:
        """A running bot got new values for its updatable fields."""
        self.config = config
