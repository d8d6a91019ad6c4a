"""What a strategy may see and do: an injected clock, timers, its own allocation, seeded randomness, a
log, emit.

The host (the bots service, a backtest, `run_offline`) owns the context and drives it through
`StrategyDriver`; a strategy never reads the wall clock or does I/O, so the same code runs live, on
paper and in backtests.
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import ROUND_DOWN, Decimal
from typing import Any
from uuid import UUID

from tradeplane.contracts import OrderType, Side

from .intents import Action, Cancel, Fill, Intent, LogEntry, LogLevel, Market, RunKey, intent_id

DEFAULT_QUANTITY_PLACES = Decimal("0.00000001")
_MICROSECOND = timedelta(microseconds=1)
MARKET_BUY_BUFFER = Decimal("0.01")
"""A market buy reserves its cost at the last price plus this share: the fill price is not known yet."""


@dataclass(frozen=True, slots=True)
class OpenOrder:
    """An intent the host has not closed yet (unfilled, partly filled, or a cancel not yet confirmed)."""

    intent: Intent
    filled: Decimal = Decimal(0)

    @property
    def remaining(self) -> Decimal:
        return self.intent.quantity - self.filled


@dataclass(frozen=True, slots=True)
class Timer:
    due: datetime
    every: timedelta | None = None


class StrategyContext:
    """One bot's view of the world. Strategy-facing methods first; host-facing ones (`_`-free) at the end."""

    def __init__(
        self,
        bot_id: UUID,
        balances: Mapping[str, Decimal],
        now: datetime,
        seed: int = 0,
        markets: Mapping[str, Market] | None = None,
        market_buy_buffer: Decimal = MARKET_BUY_BUFFER,
    ) -> None:
        if now.tzinfo is None:
            raise ValueError("the clock must be timezone-aware (UTC)")
        self.bot_id = bot_id
        self.random = random.Random(seed)
        self._seed = seed
        self._unused_random = self.random.getstate()
        self.market_buy_buffer = market_buy_buffer
        self._now = now
        self._balances = {asset: Decimal(amount) for asset, amount in balances.items()}
        self._markets = dict(markets or {})
        self._prices: dict[str, Decimal] = {}
        self._open: dict[UUID, OpenOrder] = {}
        self._timers: dict[str, Timer] = {}
        self._outbox: list[Action] = []
        self._logs: list[LogEntry] = []
        self._run: RunKey = 0
        self._step = 0

    # --- what a strategy reads -------------------------------------------------------------

    @property
    def now(self) -> datetime:
        return self._now

    @property
    def balances(self) -> dict[str, Decimal]:
        """The bot's own holdings (its allocation, moved by its fills), a copy."""
        return dict(self._balances)

    def balance(self, asset: str) -> Decimal:
        return self._balances.get(asset, Decimal(0))

    def free(self, asset: str) -> Decimal:
        """The balance less what the bot's open orders reserve: the most a new order may spend."""
        return self.balance(asset) - sum((self._reserved(o, asset) for o in self._open.values()), Decimal(0))

    @property
    def open_orders(self) -> tuple[OpenOrder, ...]:
        return tuple(self._open.values())

    def price(self, symbol: str) -> Decimal | None:
        """The last close seen of `symbol` (None before its first candle)."""
        return self._prices.get(symbol)

    def market(self, symbol: str) -> Market | None:
        return self._markets.get(symbol)

    def round_quantity(self, symbol: str, quantity: Decimal) -> Decimal:
        """Round down to the market's quantity step (8 places when unknown)."""
        market = self._markets.get(symbol)
        step = market.quantity_step if market and market.quantity_step else DEFAULT_QUANTITY_PLACES
        return (quantity / step).to_integral_value(rounding=ROUND_DOWN) * step

    def round_price(self, symbol: str, price: Decimal) -> Decimal:
        market = self._markets.get(symbol)
        if market is None or market.price_step is None:
            return price
        return (price / market.price_step).to_integral_value() * market.price_step

    def meets_minimums(self, symbol: str, quantity: Decimal, price: Decimal) -> bool:
        market = self._markets.get(symbol)
        if quantity <= 0:
            return False
        if market is None:
            return True
        return quantity >= market.min_quantity and quantity * price >= market.min_notional

    def buy_cost(self, symbol: str, quantity: Decimal, price: Decimal | None = None) -> Decimal | None:
        """What a buy reserves: at its limit price, or at the last price plus the market-buy buffer."""
        if price is not None:
            return quantity * price
        last = self._prices.get(symbol)
        return None if last is None else quantity * last * (1 + self.market_buy_buffer)

    # --- what a strategy does --------------------------------------------------------------

    def log(self, level: LogLevel | str, message: str, data: Mapping[str, Any] | None = None) -> None:
        self._logs.append(
            LogEntry(at=self._now, level=LogLevel(level), message=message, data=dict(data or {}))
        )

    def set_timer(self, name: str, *, at: datetime | None = None, every: timedelta | None = None) -> None:
        """Fire `on_timer(name)` at `at`, or every `every` (first at `at`, else one period from now)."""
        if at is None and every is None:
            raise ValueError("a timer needs `at` or `every`")
        if every is not None and every <= timedelta(0):
            raise ValueError("a timer's period must be positive")
        due = at if at is not None else self._now + (every or timedelta(0))
        self._timers[name] = Timer(due=due, every=every)

    def cancel_timer(self, name: str) -> None:
        self._timers.pop(name, None)

    def next_timer(self) -> datetime | None:
        """When the next timer fires (the bot's `nextRunAt`)."""
        return min((t.due for t in self._timers.values()), default=None)

    def intent(self, side: Side, symbol: str, quantity: Decimal, price: Decimal | None = None) -> Intent:
        """A new intent with the next deterministic id of this run (Limit when priced, else Market)."""
        step, self._step = self._step, self._step + 1
        return Intent(
            intent_id=intent_id(self.bot_id, self._run, step),
            bot_id=self.bot_id,
            run=self._run,
            step=step,
            symbol=symbol,
            side=side,
            type=OrderType.MARKET if price is None else OrderType.LIMIT,
            quantity=quantity,
            price=price,
        )

    def buy(self, symbol: str, quantity: Decimal, price: Decimal | None = None) -> Intent | None:
        return self.emit(self.intent(Side.BUY, symbol, quantity, price))

    def sell(self, symbol: str, quantity: Decimal, price: Decimal | None = None) -> Intent | None:
        return self.emit(self.intent(Side.SELL, symbol, quantity, price))

    def emit(self, intent: Intent) -> Intent | None:
        """Send `intent`, unless it would spend more than the bot's own free balance: then log and drop it."""
        if intent.bot_id != self.bot_id or intent.intent_id in self._open:
            raise ValueError("emit takes a new intent of this bot (made with ctx.intent)")
        refusal = self._refusal(intent)
        if refusal is not None:
            self.log(LogLevel.WARNING, "order refused: beyond the bot's allocation", refusal)
            return None
        self._open[intent.intent_id] = OpenOrder(intent)
        self._outbox.append(intent)
        return intent

    def cancel(self, intent_id: UUID) -> None:
        """Ask to cancel an open intent; its reservation holds until the host confirms the order closed."""
        if intent_id not in self._open:
            self.log(LogLevel.WARNING, "cancel of an order that is not open", {"intentId": str(intent_id)})
            return
        self._outbox.append(Cancel(intent_id=intent_id))

    # --- the guard -------------------------------------------------------------------------

    def _reserved(self, order: OpenOrder, asset: str) -> Decimal:
        intent = order.intent
        if intent.side is Side.SELL:
            return order.remaining if intent.base == asset else Decimal(0)
        if intent.quote != asset:
            return Decimal(0)
        return self.buy_cost(intent.symbol, order.remaining, intent.price) or Decimal(0)

    def _refusal(self, intent: Intent) -> dict[str, Any] | None:
        if intent.side is Side.SELL:
            asset, needed = intent.base, intent.quantity
        else:
            asset = intent.quote
            cost = self.buy_cost(intent.symbol, intent.quantity, intent.price)
            if cost is None:
                return {"reason": "NO_PRICE", "symbol": intent.symbol}
            needed = cost
        free = self.free(asset)
        if needed <= free:
            return None
        return {
            "reason": "ALLOCATION_EXCEEDED",
            "symbol": intent.symbol,
            "side": intent.side.value,
            "asset": asset,
            "needed": str(needed),
            "free": str(free),
        }

    # --- host side: used by StrategyDriver ---------------------------------------------------

    def begin_run(self, run: RunKey, now: datetime) -> None:
        if now < self._now:
            raise ValueError("the clock never goes back")
        self._run, self._step, self._now = run, 0, now

    def drain(self) -> tuple[list[Action], list[LogEntry]]:
        actions, logs = self._outbox, self._logs
        self._outbox, self._logs = [], []
        return actions, logs

    def record_price(self, symbol: str, price: Decimal) -> None:
        self._prices[symbol] = price

    def apply_fill(self, fill: Fill) -> OpenOrder | None:
        """Move the balances by `fill`; None for a fill of an intent this bot does not hold open."""
        order = self._open.get(fill.intent_id)
        if order is None:
            return None
        intent = order.intent
        notional = fill.quantity * fill.price
        sign = 1 if intent.side is Side.BUY else -1
        self._add(intent.base, sign * fill.quantity)
        self._add(intent.quote, -sign * notional)
        self._add(fill.fee_currency or intent.quote, -fill.fee)
        order = OpenOrder(intent, order.filled + fill.quantity)
        if order.remaining <= 0:
            del self._open[fill.intent_id]
        else:
            self._open[fill.intent_id] = order
        return order

    def close_order(self, intent_id: UUID) -> OpenOrder | None:
        """The host says the order is done (cancelled, rejected, expired): release its reservation."""
        return self._open.pop(intent_id, None)

    def pop_due_timers(self) -> list[str]:
        """The timers due at `now`, earliest first; periodic ones are rescheduled past `now`."""
        if not self._timers:
            return []
        due = sorted((t.due, name) for name, t in self._timers.items() if t.due <= self._now)
        for _, name in due:
            timer = self._timers.pop(name)
            if timer.every is not None:
                periods = (self._now - timer.due) // timer.every + 1
                self._timers[name] = Timer(due=timer.due + periods * timer.every, every=timer.every)
        return [name for _, name in due]

    def snapshot(self) -> dict[str, Any]:
        """The context's state as JSON-able data, for a host to store and `restore` after a restart."""
        state = self.random.getstate()
        # The generator's 625 words only once the strategy drew from it: most never do.
        drawn = None if state == self._unused_random else [state[0], list(state[1]), state[2]]
        return {
            "now": self._now.isoformat(),
            "balances": {asset: str(amount) for asset, amount in self._balances.items()},
            "prices": {symbol: str(price) for symbol, price in self._prices.items()},
            "openOrders": [
                {"intent": o.intent.model_dump(mode="json"), "filled": str(o.filled)}
                for o in self._open.values()
            ],
            "timers": {
                name: {
                    "due": t.due.isoformat(),
                    "everyUs": None if t.every is None else t.every // _MICROSECOND,
                }
                for name, t in self._timers.items()
            },
            "random": drawn,
        }

    def restore(self, snapshot: Mapping[str, Any]) -> None:
        """Take back the state `snapshot` recorded (markets and the buffer come from the host, as at
        start)."""
        self._now = datetime.fromisoformat(snapshot["now"])
        self._balances = {asset: Decimal(amount) for asset, amount in snapshot["balances"].items()}
        self._prices = {symbol: Decimal(price) for symbol, price in snapshot["prices"].items()}
        orders = [
            OpenOrder(Intent.model_validate(o["intent"]), Decimal(o["filled"]))
            for o in snapshot["openOrders"]
        ]
        self._open = {o.intent.intent_id: o for o in orders}
        self._timers = {
            name: Timer(
                due=datetime.fromisoformat(t["due"]),
                every=None if t["everyUs"] is None else t["everyUs"] * _MICROSECOND,
            )
            for name, t in snapshot["timers"].items()
        }
        if snapshot["random"] is None:  # never drawn from: as seeded
            self.random.seed(self._seed)
        else:
            version, internal, gauss = snapshot["random"]
            self.random.setstate((version, tuple(internal), gauss))

    def _add(self, asset: str, amount: Decimal) -> None:
        self._balances[asset] = self.balance(asset) + amount
