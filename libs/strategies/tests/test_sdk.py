"""The SDK's contract: closed candles, an injected clock, timers, stable intent ids and the allocation
guard."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from pydantic import ValidationError
from tradeplane.contracts import OrderType, Side
from tradeplane.strategies import (
    Cancel,
    Candle,
    Fill,
    Intent,
    LogLevel,
    Strategy,
    StrategyConfig,
    StrategyContext,
)
from tradeplane.strategies import intent_id as make_intent_id

from .builders import BOT, T0, D, candles, driver


class Recorder(Strategy[StrategyConfig]):
    """Records what it saw; buys one unit of whatever closes, on each candle, if told to."""

    def __init__(self, buy: str | None = None) -> None:
        super().__init__(StrategyConfig())
        self.buy = buy
        self.seen: list[tuple[datetime, str]] = []

    def on_start(self, ctx: StrategyContext) -> None:
        ctx.set_timer("tick", every=timedelta(hours=2))
        ctx.set_timer("once", at=T0 + timedelta(minutes=90))

    def on_candle(self, ctx: StrategyContext, candle: Candle) -> None:
        self.seen.append((ctx.now, f"candle {ctx.price(candle.symbol)}"))
        if self.buy is not None:
            ctx.buy(candle.symbol, D(self.buy), price=candle.close)

    def on_timer(self, ctx: StrategyContext, name: str) -> None:
        self.seen.append((ctx.now, name))


def test_candle_with_close_above_high_is_refused() -> None:
    with pytest.raises(ValidationError, match="low <= open, close <= high"):
        Candle(symbol="BTC/USDT", timeframe="1m", t=T0, open="10", high="11", low="9", close="12", volume="1")


@pytest.mark.parametrize(
    "field, value", [("t", datetime(2026, 1, 1)), ("open", 10.5), ("volume", "-1"), ("close", "NaN")]
)
def test_candle_refuses_naive_times_floats_and_bad_numbers(field: str, value: object) -> None:
    fields: dict[str, object] = {"symbol": "BTC/USDT", "timeframe": "1m", "t": T0, "open": "10", "high": "11"}
    fields |= {"low": "9", "close": "10", "volume": "1", field: value}
    with pytest.raises(ValidationError):
        Candle.model_validate(fields)


def test_strategy_sees_a_candle_at_its_close_time_with_its_close_as_price() -> None:
    strategy = Recorder()
    bot = driver(strategy, {"USDT": "100"})
    bot.start(T0)
    bot.candle(candles(["100"])[0])
    assert strategy.seen[0] == (T0 + timedelta(hours=1), "candle 100")


def test_timers_fire_once_per_advance_in_due_order_and_periodic_ones_reschedule() -> None:
    strategy = Recorder()
    bot = driver(strategy, {"USDT": "100"})
    bot.start(T0)
    outputs = bot.advance(T0 + timedelta(hours=5))
    assert [o.trigger for o in outputs] == ["timer:once", "timer:tick"]
    assert bot.ctx.next_timer() == T0 + timedelta(hours=6)
    assert [o.trigger for o in bot.advance(T0 + timedelta(hours=6))] == ["timer:tick"]


def test_clock_never_goes_back() -> None:
    ctx = StrategyContext(BOT, {}, now=T0)
    with pytest.raises(ValueError, match="never goes back"):
        ctx.begin_run(1, T0 - timedelta(seconds=1))


def test_intent_ids_are_uuid5_of_bot_run_and_step() -> None:
    bot = driver(Recorder(buy="1"), {"USDT": "1000"})
    bot.start(T0)
    [out, *_] = bot.candle(candles(["100"])[0])
    [intent] = out.intents
    assert (intent.run, intent.step) == (1, 0)
    assert intent.intent_id == make_intent_id(BOT, 1, 0)
    assert intent.intent_id.version == 5


def test_a_restarted_bot_replaying_the_same_events_emits_the_same_intent_ids() -> None:
    def ids() -> list[str]:
        bot = driver(Recorder(buy="1"), {"USDT": "1000"})
        bot.start(T0)
        return [
            str(i.intent_id) for c in candles(["100", "101", "102"]) for o in bot.candle(c) for i in o.intents
        ]

    first, second = ids(), ids()
    assert first == second
    assert len(set(first)) == 3


def test_intent_refuses_a_limit_without_price_and_a_stop_type() -> None:
    common = {
        "intent_id": make_intent_id(BOT, 0, 0),
        "bot_id": BOT,
        "run": 0,
        "step": 0,
        "symbol": "BTC/USDT",
    }
    with pytest.raises(ValidationError, match="need a price"):
        Intent(**common, side=Side.BUY, type=OrderType.LIMIT, quantity=D(1))
    with pytest.raises(ValidationError, match="Market or Limit"):
        Intent(**common, side=Side.BUY, type=OrderType.STOP, quantity=D(1), price=D(1))


def test_buy_beyond_the_bots_free_quote_is_dropped_with_a_warning() -> None:
    ctx = StrategyContext(BOT, {"USDT": D(1000)}, now=T0)
    assert ctx.buy("BTC/USDT", D(6), price=D(100)) is not None
    assert ctx.buy("BTC/USDT", D(5), price=D(100)) is None
    actions, logs = ctx.drain()
    assert len(actions) == 1
    assert logs[-1].level is LogLevel.WARNING
    assert logs[-1].data == {
        "reason": "ALLOCATION_EXCEEDED",
        "symbol": "BTC/USDT",
        "side": "Buy",
        "asset": "USDT",
        "needed": "500",
        "free": "400",
    }


def test_sell_beyond_the_bots_base_is_dropped() -> None:
    ctx = StrategyContext(BOT, {"BTC": D("0.5"), "USDT": D(0)}, now=T0)
    assert ctx.sell("BTC/USDT", D("0.6")) is None
    assert ctx.sell("BTC/USDT", D("0.5")) is not None


def test_market_buy_reserves_the_last_price_plus_a_buffer_and_needs_a_price() -> None:
    ctx = StrategyContext(BOT, {"USDT": D(1000)}, now=T0)
    assert ctx.buy("BTC/USDT", D(1)) is None
    assert ctx.drain()[1][-1].data == {"reason": "NO_PRICE", "symbol": "BTC/USDT"}
    ctx.record_price("BTC/USDT", D(100))
    assert ctx.buy("BTC/USDT", D(9)) is not None
    assert ctx.free("USDT") == D("91.00")


def test_cancel_keeps_the_reservation_until_the_host_closes_the_order() -> None:
    ctx = StrategyContext(BOT, {"USDT": D(1000)}, now=T0)
    intent = ctx.buy("BTC/USDT", D(10), price=D(100))
    assert intent is not None
    ctx.cancel(intent.intent_id)
    assert ctx.drain()[0] == [intent, Cancel(intent_id=intent.intent_id)]
    assert ctx.free("USDT") == 0
    ctx.close_order(intent.intent_id)
    assert ctx.free("USDT") == 1000


def test_fills_move_the_bots_balances_and_partial_fills_keep_the_order_open() -> None:
    ctx = StrategyContext(BOT, {"USDT": D(1000)}, now=T0)
    intent = ctx.buy("BTC/USDT", D(2), price=D(100))
    assert intent is not None
    order = ctx.apply_fill(Fill(intent_id=intent.intent_id, quantity=D(1), price=D(99), fee=D("0.1"), at=T0))
    assert order is not None and order.remaining == 1
    assert ctx.balances == {"USDT": D("900.9"), "BTC": D(1)}
    assert ctx.free("USDT") == D("800.9")
    ctx.apply_fill(Fill(intent_id=intent.intent_id, quantity=D(1), price=D(100), at=T0))
    assert ctx.open_orders == ()


def test_fill_of_an_unknown_intent_is_ignored() -> None:
    bot = driver(Recorder(), {"USDT": "10"})
    fill = Fill(intent_id=make_intent_id(BOT, 9, 9), quantity=D(1), price=D(1), at=T0)
    assert bot.fill(fill) is None
    assert bot.ctx.balances == {"USDT": D(10)}


def test_seeded_random_source_repeats() -> None:
    draws = [StrategyContext(BOT, {}, now=T0, seed=7).random.random() for _ in range(2)]
    assert draws[0] == draws[1]


def test_a_snapshot_keeps_the_random_source_where_it_stood() -> None:
    used, fresh = (StrategyContext(BOT, {}, now=T0, seed=7) for _ in range(2))
    used.random.random()
    untouched_used, untouched_fresh = (StrategyContext(BOT, {}, now=T0, seed=7) for _ in range(2))
    untouched_used.restore(used.snapshot())
    untouched_fresh.restore(fresh.snapshot())

    assert fresh.snapshot()["random"] is None  # never drawn from: nothing to store
    assert untouched_used.random.random() == used.random.random()
    assert untouched_fresh.random.random() == fresh.random.random()


def test_log_lines_carry_the_injected_time() -> None:
    ctx = StrategyContext(BOT, {}, now=datetime(2026, 3, 1, tzinfo=UTC))
    ctx.log("info", "hello", {"k": "v"})
    [entry] = ctx.drain()[1]
    assert (entry.at, entry.level, entry.message, entry.data) == (ctx.now, LogLevel.INFO, "hello", {"k": "v"})


def test_emitting_the_same_intent_twice_is_a_bug_in_the_strategy() -> None:
    ctx = StrategyContext(BOT, {"USDT": D(1000)}, now=T0)
    intent = ctx.buy("BTC/USDT", D(1), price=D(100))
    assert intent is not None
    with pytest.raises(ValueError, match="new intent of this bot"):
        ctx.emit(intent)
