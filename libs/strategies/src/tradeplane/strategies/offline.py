"""`run_offline`: a tiny test and demo harness driving a strategy over a candle list.

Not the backtest engine (issue 13 brings that, with the paper venue's matching, fees, partial fills
and risk checks): here a market intent fills whole at the next candle's open of its symbol, a limit
intent fills whole at its price once a later candle trades through it, with a flat fee in the quote.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any
from uuid import UUID

from tradeplane.contracts import OrderType, Side

from .candles import Candle
from .context import StrategyContext
from .driver import RunOutput, StrategyDriver
from .intents import Fill, Intent, LogEntry, Market
from .registry import build
from .strategy import Strategy, StrategyConfig

OFFLINE_BOT = UUID("00000000-0000-5000-8000-000000000001")


@dataclass
class OfflineResult:
    intents: list[Intent] = field(default_factory=list)
    fills: list[Fill] = field(default_factory=list)
    logs: list[LogEntry] = field(default_factory=list)
    balances: dict[str, Decimal] = field(default_factory=dict)
    open_intents: list[Intent] = field(default_factory=list)


def run_offline(
    strategy: str | Strategy[Any],
    config: Mapping[str, Any] | StrategyConfig | None,
    candles: Sequence[Candle],
    balances: Mapping[str, Decimal],
    seed: int = 0,
    *,
    fee_rate: Decimal = Decimal(0),
    markets: Mapping[str, Market] | None = None,
    bot_id: UUID = OFFLINE_BOT,
    restart_after: int | None = None,
) -> OfflineResult:
    """Drive `strategy` (an id and its config, or an instance and None) over `candles`, in order.

    `restart_after=k` (with a strategy id) stores the bot's snapshot as JSON after `k` candles and
    goes on with a bot rebuilt from it, as the bots service would after a restart.
    """
    if not candles:
        raise ValueError("run_offline needs at least one candle")
    if restart_after is not None and not isinstance(strategy, str):
        raise ValueError("restart_after needs a strategy id, to build the strategy again")

    def new_driver() -> StrategyDriver:
        instance = build(strategy, config or {}) if isinstance(strategy, str) else strategy
        ctx = StrategyContext(bot_id, balances, now=candles[0].t, seed=seed, markets=markets)
        return StrategyDriver(instance, ctx)

    driver = new_driver()
    result = OfflineResult()
    _collect(result, driver.start(driver.ctx.now))
    for index, candle in enumerate(candles):
        if index == restart_after:
            stored = json.dumps(driver.snapshot())
            driver = new_driver()
            driver.restore(json.loads(stored))
        _feed(driver, candle, fee_rate, result)
    result.balances = driver.ctx.balances
    result.open_intents = [order.intent for order in driver.ctx.open_orders]
    return result


def _feed(driver: StrategyDriver, candle: Candle, fee_rate: Decimal, result: OfflineResult) -> None:
    """Fill what rests against `candle`, then show the strategy the closed candle."""
    for intent in _resting(driver.ctx, candle.symbol):
        price = _fill_price(intent, candle)
        if price is not None:
            fill = Fill(
                intent_id=intent.intent_id,
                quantity=intent.quantity,
                price=price,
                fee=intent.quantity * price * fee_rate,
                at=candle.t,
            )
            result.fills.append(fill)
            _collect(result, [driver.fill(fill)])
    _collect(result, driver.candle(candle))


def _resting(ctx: StrategyContext, symbol: str) -> list[Intent]:
    """The open intents of `symbol`, as they stand before this candle (fills may add more)."""
    return [o.intent for o in ctx.open_orders if o.intent.symbol == symbol]


def _fill_price(intent: Intent, candle: Candle) -> Decimal | None:
    if intent.type is OrderType.MARKET:
        return candle.open
    assert intent.price is not None
    if intent.side is Side.BUY and candle.low <= intent.price:
        return min(intent.price, candle.open)
    if intent.side is Side.SELL and candle.high >= intent.price:
        return max(intent.price, candle.open)
    return None


def _collect(result: OfflineResult, outputs: Sequence[RunOutput | None]) -> None:
    for out in outputs:
        if out is not None:
            result.intents.extend(out.intents)
            result.logs.extend(out.logs)
