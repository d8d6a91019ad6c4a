"""Drives one strategy over its context: each event is one numbered run whose intents have stable ids."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from functools import partial
from typing import Any
from uuid import UUID

from .candles import Candle
from .context import StrategyContext
from .intents import Action, Cancel, Fill, Intent, LogEntry
from .strategy import Strategy


@dataclass(frozen=True, slots=True)
class RunOutput:
    """What one run produced, in order: the host sends the actions and stores the logs."""

    run: int
    at: datetime
    trigger: str
    actions: tuple[Action, ...]
    logs: tuple[LogEntry, ...]

    @property
    def intents(self) -> list[Intent]:
        return [a for a in self.actions if isinstance(a, Intent)]

    @property
    def cancels(self) -> list[Cancel]:
        return [a for a in self.actions if isinstance(a, Cancel)]


class StrategyDriver:
    """The host's handle on a bot: feed it events, get back `RunOutput`s.

    `next_run` is the number the next run gets; a host that persists it before dispatching an event
    and replays the event after a crash gets the same intent ids again, so it sends no order twice.
    """

    def __init__(self, strategy: Strategy[Any], ctx: StrategyContext, next_run: int = 0) -> None:
        self.strategy = strategy
        self.ctx = ctx
        self.next_run = next_run

    def start(self, now: datetime) -> list[RunOutput]:
        return [self._run(now, "start", self.strategy.on_start), *self.advance(now)]

    def candle(self, candle: Candle) -> list[RunOutput]:
        """A closed candle: the strategy sees it at its close time, then any timers due by then fire."""
        now = max(self.ctx.now, candle.closes_at)
        self.ctx.record_price(candle.symbol, candle.close)
        out = self._run(
            now, f"candle:{candle.symbol}:{candle.timeframe}", lambda c: self.strategy.on_candle(c, candle)
        )
        return [out, *self.advance(now)]

    def advance(self, now: datetime) -> list[RunOutput]:
        """Move the clock to `now` and fire the timers due by then."""
        self.ctx.begin_run(self.next_run, max(self.ctx.now, now))
        return [
            self._run(self.ctx.now, f"timer:{name}", partial(self._on_timer, name))
            for name in self.ctx.pop_due_timers()
        ]

    def fill(self, fill: Fill) -> RunOutput | None:
        """Book a fill of one of the bot's intents; None (and nothing booked) if it is not one of them."""
        order = self.ctx.apply_fill(fill)
        if order is None:
            return None
        return self._run(max(self.ctx.now, fill.at), "fill", lambda c: self.strategy.on_fill(c, fill, order))

    def order_closed(self, intent_id: UUID) -> None:
        """The order ended unfilled or part-filled (cancelled, rejected): its reservation is released."""
        self.ctx.close_order(intent_id)

    def run_now(self, now: datetime) -> RunOutput:
        return self._run(max(self.ctx.now, now), "manual", self.strategy.on_run)

    def stop(self, now: datetime) -> RunOutput:
        return self._run(max(self.ctx.now, now), "stop", self.strategy.on_stop)

    def act(self, now: datetime, trigger: str, hook: Callable[[StrategyContext], None]) -> RunOutput:
        """A run of the host's own, numbered like any other (a config update, closing positions at a
        stop): `hook` works on the context as a strategy would."""
        return self._run(max(self.ctx.now, now), trigger, hook)

    def snapshot(self) -> dict[str, Any]:
        """Everything needed to resume this bot after a restart, as JSON-able data."""
        return {"nextRun": self.next_run, "context": self.ctx.snapshot(), "strategy": self.strategy.state()}

    def restore(self, snapshot: dict[str, Any]) -> None:
        """Resume from `snapshot` (on a driver built like the original: same strategy config, bot id,
        markets)."""
        self.next_run = snapshot["nextRun"]
        self.ctx.restore(snapshot["context"])
        self.strategy.restore(snapshot["strategy"])

    def _on_timer(self, name: str, ctx: StrategyContext) -> None:
        self.strategy.on_timer(ctx, name)

    def _run(self, now: datetime, trigger: str, hook: Callable[[StrategyContext], None]) -> RunOutput:
        run, self.next_run = self.next_run, self.next_run + 1
        self.ctx.begin_run(run, now)
        hook(self.ctx)
        actions, logs = self.ctx.drain()
        return RunOutput(run=run, at=now, trigger=trigger, actions=tuple(actions), logs=tuple(logs))
