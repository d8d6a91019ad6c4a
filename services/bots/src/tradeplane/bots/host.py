"""The bots of this replica's partitions, each a supervised unit: events in, one transaction per event out.

Every event a bot hears (a closed candle, a due timer, an outcome of one of its orders, a user's command)
becomes runs of its `StrategyDriver`; what they produce (the new snapshot and run number, log lines, the
`OrderRequested` and `CancelOrder` for the outbox) is committed in ONE transaction before the bus message
is acknowledged. A replica killed mid-run replays the event from the last snapshot under the same run
numbers, so the intents get the same ids and no order is sent twice. A strategy that raises puts its
own bot in Error and touches no other.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Sequence
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any, Protocol
from uuid import UUID, uuid5

from tradeplane.contracts import (
    BotLogged,
    BotStatus,
    BotStatusChanged,
    CancelOrder,
    Meta,
    OrderFilled,
    OrderRequested,
    OrderType,
    new_meta,
    subjects,
    utcnow,
)
from tradeplane.contracts.market import CandleClosed, Timeframe
from tradeplane.runtime import TransientError
from tradeplane.strategies import (
    Candle,
    Fill,
    Intent,
    Market,
    RunOutput,
    StrategyConfig,
    StrategyContext,
    StrategyDriver,
    registry,
)
from tradeplane.strategies.intents import split_symbol

from . import metrics
from .model import BotChange, BotRecord, FillRow, LogRow, NewOrder, OrderStatus, OrderUpdate, Store

log = logging.getLogger(__name__)

PRODUCER = "bots"
CANCEL_NAMESPACE = UUID("0c5b1f0e-2a7d-5d43-8f3e-6b9a1c2d4e5f")
"""uuid5 namespace of the event ids of the cancels a bot sends."""
ACTIVE = (BotStatus.RUNNING, BotStatus.PAUSED)


class Halts(Protocol):
    def blocks(self, user_id: UUID) -> str | None:
        """Why orders of `user_id` must not be sent now (a user or global halt), or None."""
        ...


class NoHalts:
    def blocks(self, user_id: UUID) -> str | None:
        return None


LastPrice = Callable[[str, str], Awaitable[Decimal | None]]
"""The last price the bus holds for (venue, symbol), for a bot that starts before hearing a ticker."""


class BotRefused(Exception):
    """A command the bot's state does not allow (answered as an error with this code and status)."""

    def __init__(self, code: str, message: str, status: int = 409, **details: Any) -> None:
        super().__init__(message)
        self.code, self.message, self.status, self.details = code, message, status, details


class FillsPending(TransientError):
    """An order closed with more filled than the bot has booked: its fills are still on their way."""


@dataclass
class Unit:
    """One bot: its committed record, its driver (built from the record's snapshot on demand), its lock."""

    bot: BotRecord
    driver: StrategyDriver | None = None
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)


def symbols_of(bot: BotRecord) -> list[str]:
    """The symbols a bot trades: its `symbol`, or for the rebalancer each target against the quote."""
    config = bot.config
    if "symbol" in config:
        return [str(config["symbol"])]
    quote = str(config.get("quote", "USDT"))
    return [f"{asset}/{quote}" for asset in sorted(config.get("targets", {})) if asset != quote]


def timeframe_of(bot: BotRecord, default: Timeframe) -> Timeframe:
    return Timeframe(bot.config["timeframe"]) if "timeframe" in bot.config else default


def markets_of(bot: BotRecord) -> dict[str, Market]:
    """The venue's rules for the bot's symbols, from the market specs `venues.resolve` gave at creation."""
    wanted = set(symbols_of(bot))
    found: dict[str, Market] = {}
    for spec in bot.markets:
        if spec.get("symbol") in wanted:
            step = Decimal(str(spec.get("stepSize") or 0))
            tick = Decimal(str(spec.get("tickSize") or 0))
            found[spec["symbol"]] = Market(
                symbol=spec["symbol"],
                min_quantity=Decimal(str(spec.get("minAmount") or 0)),
                min_notional=Decimal(str(spec.get("minNotional") or 0)),
                quantity_step=step if step > 0 else None,
                price_step=tick if tick > 0 else None,
            )
    return found


def describe(intent: Intent) -> str:
    """`buy 0.07 BTC/USDT market`, `sell 0.01 BTC/USDT limit at 66000`."""
    text = f"{intent.side.value.lower()} {intent.quantity} {intent.symbol} {intent.type.value.lower()}"
    return f"{text} at {intent.price}" if intent.type is OrderType.LIMIT else text


def close_positions(symbols: Sequence[str]) -> Callable[[StrategyContext], None]:
    """A host run that sells the bot's free base holdings of `symbols` at market."""

    def hook(ctx: StrategyContext) -> None:
        for symbol in symbols:
            base, _ = split_symbol(symbol)
            quantity = ctx.round_quantity(symbol, ctx.free(base))
            price = ctx.price(symbol)
            if quantity <= 0:
                continue
            if price is not None and not ctx.meets_minimums(symbol, quantity, price):
                ctx.log("info", "position below the market minimums: kept", {"symbol": symbol})
                continue
            ctx.sell(symbol, quantity)

    return hook


class Host:
    def __init__(
        self,
        store: Store,
        *,
        partitions: int,
        owned: Iterable[int],
        default_timeframe: Timeframe = Timeframe.M1,
        halts: Halts | None = None,
        clock: Callable[[], datetime] = utcnow,
        batch_size: int = 250,
        last_price: LastPrice | None = None,
    ) -> None:
        self.store = store
        self.partitions = partitions
        self.owned = tuple(sorted(set(owned)))
        self.default_timeframe = default_timeframe
        self.halts: Halts = halts or NoHalts()
        self.clock = clock
        self.batch_size = batch_size
        self._last_price = last_price
        self.units: dict[UUID, Unit] = {}
        self.prices: dict[tuple[str, str], Decimal] = {}
        self._candles: dict[tuple[str, str, str], set[UUID]] = {}
        self._tickers: dict[tuple[str, str], set[UUID]] = {}
        self._orders: dict[UUID, UUID] = {}
        """Open (sent, unfinished) order id → its bot."""
        self._active: set[UUID] = set()
        """Bots running or paused here (the `tp_bots_active` gauge), kept by `_route`."""

    # --- loading and routing ---------------------------------------------------------------

    async def load(self) -> None:
        """The active bots of the owned partitions and their open orders (before any event is heard)."""
        for bot in await self.store.load_active(self.owned):
            self.units[bot.id] = Unit(bot)
            self._route(self.units[bot.id])
            await self._warm(bot)
        self._orders = await self.store.open_orders(self.owned)
        log.info("bots loaded", extra={"active": len(self.units), "openOrders": len(self._orders)})

    async def _warm(self, bot: BotRecord) -> None:
        """Prices of the bot's symbols not heard yet, from the last tickers the bus keeps."""
        if self._last_price is None:
            return
        for symbol in symbols_of(bot):
            if (bot.venue, symbol) not in self.prices:
                try:
                    price = await self._last_price(bot.venue, symbol)
                except Exception:
                    log.warning("the last price could not be read", exc_info=True, extra={"symbol": symbol})
                    continue
                if price is not None:
                    self.prices.setdefault((bot.venue, symbol), price)

    def owns(self, user_id: UUID) -> bool:
        return subjects.partition_of(user_id, self.partitions) in self.owned

    def partition(self, user_id: UUID) -> int:
        return subjects.partition_of(user_id, self.partitions)

    def open_orders_of(self, bot_id: UUID) -> list[UUID]:
        return sorted(order for order, bot in self._orders.items() if bot == bot_id)

    def _route(self, unit: Unit) -> None:
        bot = unit.bot
        timeframe = timeframe_of(bot, self.default_timeframe).value
        for symbol in symbols_of(bot):
            candles = self._candles.setdefault((bot.venue, symbol, timeframe), set())
            tickers = self._tickers.setdefault((bot.venue, symbol), set())
            if bot.status is BotStatus.RUNNING:
                candles.add(bot.id)
            else:
                candles.discard(bot.id)
            if bot.status in ACTIVE:
                tickers.add(bot.id)
            else:
                tickers.discard(bot.id)
        if bot.status in ACTIVE:
            self._active.add(bot.id)
        else:
            self._active.discard(bot.id)
        metrics.ACTIVE.set(len(self._active))

    async def unit(self, bot_id: UUID) -> Unit | None:
        """The bot's unit, loaded from the store when it is not active here (a stopped bot)."""
        unit = self.units.get(bot_id)
        if unit is None:
            bot = await self.store.get(bot_id)
            if bot is None:
                return None
            unit = self.units.setdefault(bot_id, Unit(bot))
        return unit

    def driver(self, unit: Unit) -> StrategyDriver:
        """The bot's driver, rebuilt from its last committed snapshot when it has none in memory."""
        if unit.driver is None:
            bot = unit.bot
            ctx = StrategyContext(
                bot.id,
                balances={asset: Decimal(amount) for asset, amount in bot.allocation.items()},
                now=bot.created_at,
                seed=bot.id.int % (2**32),
                markets=markets_of(bot),
            )
            driver = StrategyDriver(registry.build(bot.strategy, bot.config), ctx, next_run=bot.next_run)
            if bot.snapshot is not None:
                driver.restore(bot.snapshot)
                driver.next_run = max(driver.next_run, bot.next_run)
            for symbol in symbols_of(bot):
                price = self.prices.get((bot.venue, symbol))
                if price is not None:
                    ctx.record_price(symbol, price)
            unit.driver = driver
        return unit.driver

    @asynccontextmanager
    async def _locked(self, units: Sequence[Unit]) -> AsyncIterator[None]:
        """Hold the locks of `units`, taken in one order (bot id) so that two batches never deadlock."""
        async with AsyncExitStack() as stack:
            for unit in sorted(units, key=lambda u: u.bot.id):
                await stack.enter_async_context(unit.lock)
            yield

    # --- market data and time --------------------------------------------------------------

    def on_ticker(self, venue: str, symbol: str, price: Decimal) -> None:
        """A price only: recorded in the bots that trade it, no run."""
        self.prices[(venue, symbol)] = price
        for bot_id in self._tickers.get((venue, symbol), ()):
            unit = self.units.get(bot_id)
            if unit is not None and unit.driver is not None:
                unit.driver.ctx.record_price(symbol, price)

    async def on_candle(self, closed: CandleClosed) -> int:
        """Fan a closed candle out to the running bots on its venue, symbol and timeframe; returns how
        many ran. A bot that saw this candle already (a redelivery) skips it."""
        self.prices[(closed.venue, closed.symbol)] = closed.close
        ids = sorted(self._candles.get((closed.venue, closed.symbol, closed.timeframe.value), ()))
        candle = Candle.of(closed)
        with metrics.CANDLE_SECONDS.time():
            return await self._fan_out(closed, candle, ids)

    async def _fan_out(self, closed: CandleClosed, candle: Candle, ids: list[UUID]) -> int:
        key = f"{closed.symbol}|{closed.timeframe.value}"
        ran = 0
        for start in range(0, len(ids), self.batch_size):
            units = [self.units[i] for i in ids[start : start + self.batch_size] if i in self.units]
            async with self._locked(units):
                now = self.clock()
                changes = []
                for unit in units:
                    seen = unit.bot.cursors.get(key)
                    if unit.bot.status is not BotStatus.RUNNING or (
                        seen is not None and datetime.fromisoformat(seen) >= closed.t
                    ):
                        continue
                    change = self._run(unit, now, lambda d: d.candle(candle))
                    change.bot = change.bot.but(cursors={**change.bot.cursors, key: closed.t.isoformat()})
                    changes.append((unit, change))
                await self._commit(changes)
                ran += len(changes)
        return ran

    async def tick(self) -> int:
        """Fire the timers due by now (the rebalancer's interval); returns how many bots ran."""
        now = self.clock()
        due = sorted(
            u.bot.id
            for u in self.units.values()
            if u.bot.status is BotStatus.RUNNING
            and u.bot.next_run_at is not None
            and u.bot.next_run_at <= now
        )
        ran = 0
        for start in range(0, len(due), self.batch_size):
            units = [self.units[i] for i in due[start : start + self.batch_size]]
            async with self._locked(units):
                changes = [
                    (unit, self._run(unit, now, lambda d: d.advance(now)))
                    for unit in units
                    if unit.bot.status is BotStatus.RUNNING
                ]
                await self._commit(changes)
                ran += len(changes)
        return ran

    # --- outcomes of the bots' orders -------------------------------------------------------

    async def on_fill(self, filled: OrderFilled) -> None:
        bot_id = self._orders.get(filled.order_id)
        unit = None if bot_id is None else await self.unit(bot_id)
        if unit is None:
            return
        async with unit.lock:
            if await self.store.has_fill(filled.order_id, filled.fill_id):
                return
            fill = Fill(
                intent_id=filled.order_id,
                quantity=filled.quantity,
                price=filled.price,
                fee=filled.fee,
                fee_currency=filled.fee_currency,
                at=filled.filled_at,
            )
            now = self.clock()
            change = self._run(unit, now, lambda d: [o for o in [d.fill(fill)] if o is not None], fill=fill)
            done = filled.filled_quantity >= filled.order_quantity
            change.fills.append(
                FillRow(
                    order_id=filled.order_id,
                    fill_id=filled.fill_id,
                    bot_id=unit.bot.id,
                    symbol=filled.symbol,
                    side=filled.side.value,
                    quantity=filled.quantity,
                    price=filled.price,
                    fee=filled.fee,
                    fee_currency=filled.fee_currency,
                    filled_at=filled.filled_at,
                )
            )
            status = OrderStatus.FILLED if done else OrderStatus.PENDING
            change.updates.append(OrderUpdate(filled.order_id, status, filled.filled_quantity, filled.fee))
            message = (
                f"filled: {filled.side.value.lower()} {filled.quantity} {filled.symbol} at {filled.price} "
                f"(fee {filled.fee} {filled.fee_currency})"
            )
            self._log(change, now, "info", message, {"orderId": str(filled.order_id)})
            if change.bot.status is not BotStatus.ERROR:
                change.bot = change.bot.but(error=None)
            await self._commit([(unit, change)])

    async def on_closed(
        self, order_id: UUID, status: str, message: str, filled_quantity: Decimal | None = None
    ) -> None:
        """The order ended unfilled or part-filled (cancelled, rejected, failed): its reservation is
        released and the bot's log (and its `error`, for a refusal) says why."""
        bot_id = self._orders.get(order_id)
        unit = None if bot_id is None else await self.unit(bot_id)
        if unit is None:
            return
        async with unit.lock:
            known = await self.store.order_status(order_id)
            if known is None or known[0] in OrderStatus.TERMINAL:
                self._orders.pop(order_id, None)
                return
            if filled_quantity is not None and filled_quantity > known[1]:
                raise FillsPending(f"order {order_id} closed with fills not booked yet")
            now = self.clock()

            def closed(driver: StrategyDriver) -> list[RunOutput]:
                driver.order_closed(order_id)
                return []

            change = self._run(unit, now, closed)
            change.updates.append(OrderUpdate(order_id, status, reason=message[:1000]))
            self._log(change, now, "warning", message, {"orderId": str(order_id)})
            if status != OrderStatus.CANCELLED and change.bot.status is not BotStatus.ERROR:
                change.bot = change.bot.but(error=message[:1000])
            await self._commit([(unit, change)])

    # --- commands ---------------------------------------------------------------------------

    async def create(self, bot: BotRecord) -> BotRecord:
        await self.store.insert(bot)
        self.units[bot.id] = Unit(bot)
        return bot

    def _owned(self, bot: BotRecord) -> None:
        """Only the replica that owns the bot's partition runs it (another would run it a second time)."""
        if not self.owns(bot.user_id):
            raise BotRefused("BOT_NOT_OWNED", "this bots process does not run this user's bots", 503)

    @staticmethod
    def _must_be(unit: Unit, status: BotStatus, first: str) -> None:
        """Refuse (`BOT_NOT_<STATUS>`) unless the bot is `status`, saying what to do `first`."""
        if unit.bot.status is not status:
            current = unit.bot.status.value
            raise BotRefused(f"BOT_NOT_{status.value.upper()}", f"the bot is {current}: {first} first")

    async def start(self, unit: Unit) -> BotRecord:
        self._owned(unit.bot)
        async with unit.lock:
            bot = unit.bot
            if bot.status is BotStatus.RUNNING:
                return bot
            if bot.status is BotStatus.PAUSED:
                raise BotRefused("BOT_PAUSED", "the bot is paused: resume it")
            await self._warm(bot)
            now = self.clock()
            unit.driver = None
            base = bot.but(status=BotStatus.RUNNING, started_at=now, error=None)
            change = self._run(unit, now, lambda d: d.start(now), base=base)
            if change.bot.status is BotStatus.RUNNING:
                self._status(change, bot.status, "started")
            await self._commit([(unit, change)])
            return unit.bot

    async def pause(self, unit: Unit) -> BotRecord:
        return await self._switch(unit, BotStatus.RUNNING, BotStatus.PAUSED, "paused: no new orders")

    async def resume(self, unit: Unit) -> BotRecord:
        return await self._switch(unit, BotStatus.PAUSED, BotStatus.RUNNING, "resumed")

    async def _switch(self, unit: Unit, source: BotStatus, target: BotStatus, reason: str) -> BotRecord:
        self._owned(unit.bot)
        async with unit.lock:
            bot = unit.bot
            if bot.status is target:
                return bot
            if bot.status is not source:
                raise BotRefused(f"BOT_{bot.status.value.upper()}", f"the bot is {bot.status.value}")
            change = BotChange(bot.but(status=target, last_activity=self.clock()))
            self._status(change, bot.status, reason)
            self._log(change, self.clock(), "info", reason)
            await self._commit([(unit, change)])
            return unit.bot

    async def stop(self, unit: Unit, cancel_open: bool = True, close: bool = False) -> BotRecord:
        async with unit.lock:
            bot = unit.bot
            if bot.status is BotStatus.STOPPED:
                return bot
            now = self.clock()
            base = bot.but(status=BotStatus.STOPPED, next_run_at=None)

            def stopping(driver: StrategyDriver) -> list[RunOutput]:
                outputs = [driver.stop(now)]
                if close:
                    outputs.append(driver.act(now, "close-positions", close_positions(symbols_of(bot))))
                return outputs

            if bot.snapshot is None and unit.driver is None:
                change = BotChange(base)
            else:
                change = self._run(unit, now, stopping, base=base, send=close)
                change.bot = change.bot.but(status=BotStatus.STOPPED, next_run_at=None)
            if cancel_open:
                run = change.bot.next_run
                cancelled = {c.order_id for _, c in change.events if isinstance(c, CancelOrder)}
                for order_id in self.open_orders_of(bot.id):
                    if order_id not in cancelled:
                        self._cancel(change, change.bot, order_id, run, "bot stopped")
            self._status(change, bot.status, "stopped")
            await self._commit([(unit, change)])
            return unit.bot

    async def run_now(self, unit: Unit) -> BotRecord:
        async with unit.lock:
            self._must_be(unit, BotStatus.RUNNING, "start it")
            now = self.clock()
            change = self._run(unit, now, lambda d: [d.run_now(now)])
            await self._commit([(unit, change)])
            return unit.bot

    async def update(
        self,
        unit: Unit,
        *,
        name: str | None = None,
        config: dict[str, Any] | None = None,
        dry_run: bool | None = None,
        allocation: dict[str, str] | None = None,
    ) -> BotRecord:
        """New settings; a running (or paused) bot takes only the config fields its strategy marks
        updatable and keeps its allocation (409 BOT_RUNNING otherwise)."""
        async with unit.lock:
            bot = unit.bot
            now = self.clock()
            base = bot.but(
                name=bot.name if name is None else name,
                dry_run=bot.dry_run if dry_run is None else dry_run,
                last_activity=now,
            )
            spec = registry.spec(bot.strategy)
            new_config = None if config is None else spec.config.model_validate(config)
            current = spec.config.model_validate(bot.config)
            changed = set() if new_config is None else _changed_fields(current, new_config)
            if bot.status in ACTIVE:
                if allocation is not None and allocation != bot.allocation:
                    raise BotRefused(
                        "BOT_RUNNING", "stop the bot to change its allocation", field="allocation"
                    )
                refused = sorted(changed - registry.updatable_fields(bot.strategy))
                if refused:
                    raise BotRefused(
                        "BOT_RUNNING",
                        f"a running bot cannot change {', '.join(refused)}: stop it first",
                        fields=refused,
                    )
                if new_config is not None and changed:
                    dumped = new_config.model_dump(mode="json", by_alias=True)
                    model = new_config

                    def updating(driver: StrategyDriver) -> list[RunOutput]:
                        return [driver.act(now, "update", lambda c: driver.strategy.update_config(c, model))]

                    change = self._run(unit, now, updating, base=base.but(config=dumped))
                else:
                    change = BotChange(base)
            else:
                fresh = bool(changed) or (allocation is not None and allocation != bot.allocation)
                if new_config is not None:
                    base = base.but(config=new_config.model_dump(mode="json", by_alias=True))
                if allocation is not None:
                    base = base.but(allocation=allocation)
                if fresh:
                    base = base.but(snapshot=None, cursors={})
                    unit.driver = None
                change = BotChange(base)
            self._log(change, now, "info", "settings updated", {"fields": sorted(changed)})
            await self._commit([(unit, change)])
            return unit.bot

    async def delete(self, unit: Unit) -> None:
        async with unit.lock:
            self._must_be(unit, BotStatus.STOPPED, "stop it")
            await self.store.delete(unit.bot.id)
            self.units.pop(unit.bot.id, None)
            for order_id in self.open_orders_of(unit.bot.id):
                self._orders.pop(order_id, None)

    # --- runs into changes ------------------------------------------------------------------

    def _run(
        self,
        unit: Unit,
        now: datetime,
        fn: Callable[[StrategyDriver], list[RunOutput]],
        *,
        base: BotRecord | None = None,
        send: bool | None = None,
        fill: Fill | None = None,
    ) -> BotChange:
        """Run `fn` on the bot's driver and turn its outputs into a change; a raise puts the bot in Error."""
        base = base or unit.bot
        try:
            outputs = fn(self.driver(unit))
            return self._change(
                unit, outputs, now, base, base.status is BotStatus.RUNNING if send is None else send
            )
        except Exception as exc:
            log.warning("a bot's strategy failed", exc_info=True, extra={"bot": str(unit.bot.id)})
            return self._failed(unit, exc, now, fill)

    def _change(
        self, unit: Unit, outputs: list[RunOutput], now: datetime, base: BotRecord, send: bool
    ) -> BotChange:
        driver = self.driver(unit)
        change = BotChange(base)
        refusal = "dry run" if base.dry_run else (None if send else f"the bot is {base.status.value}")
        refusal = refusal or self.halts.blocks(base.user_id)
        for out in outputs:
            for entry in out.logs:
                self._log(change, entry.at, entry.level.value, entry.message, entry.data)
            for action in out.actions:
                if isinstance(action, Intent):
                    self._intent(change, driver, base, action, out.at, refusal)
                elif action.intent_id in self._orders:
                    self._cancel(change, base, action.intent_id, out.run, "strategy")
                else:  # never sent (dry run, halted): nothing to cancel at the venue
                    driver.order_closed(action.intent_id)
        last_run = max((out.at for out in outputs), default=base.last_run_at)
        change.bot = base.but(
            snapshot=driver.snapshot(),
            next_run=driver.next_run,
            next_run_at=driver.ctx.next_timer(),
            last_run_at=last_run,
            last_activity=now,
        )
        return change

    def _intent(
        self,
        change: BotChange,
        driver: StrategyDriver,
        bot: BotRecord,
        intent: Intent,
        at: datetime,
        refusal: str | None,
    ) -> None:
        data = {"orderId": str(intent.intent_id), "symbol": intent.symbol, "quantity": str(intent.quantity)}
        if refusal is not None:
            driver.order_closed(intent.intent_id)
            metrics.ORDERS.labels("dry_run" if refusal == "dry run" else "held").inc()
            if refusal == "dry run":
                self._log(change, at, "info", f"dry run: would {describe(intent)}", data)
            else:
                self._log(change, at, "warning", f"order not sent ({refusal}): {describe(intent)}", data)
            return
        request = OrderRequested(
            meta=Meta(event_id=intent.intent_id, correlation_id=intent.intent_id, producer=PRODUCER),
            order_id=intent.intent_id,
            user_id=bot.user_id,
            account_id=bot.account_id,
            client_order_id=f"bot-{intent.intent_id}",
            venue=bot.venue,
            symbol=intent.symbol,
            side=intent.side,
            type=intent.type,
            quantity=intent.quantity,
            price=intent.price,
            bot_id=bot.id,
        )
        change.orders.append(
            NewOrder(
                order_id=intent.intent_id,
                bot_id=bot.id,
                user_id=bot.user_id,
                symbol=intent.symbol,
                side=intent.side.value,
                type=intent.type.value,
                quantity=intent.quantity,
                price=intent.price,
                created_at=at,
                subject=subjects.order_requested(self.partition(bot.user_id), bot.user_id),
                request=request,
            )
        )
        metrics.ORDERS.labels("sent").inc()
        self._log(change, at, "info", f"order sent: {describe(intent)}", data)

    def _cancel(self, change: BotChange, bot: BotRecord, order_id: UUID, run: object, reason: str) -> None:
        command = CancelOrder(
            meta=Meta(
                event_id=uuid5(CANCEL_NAMESPACE, f"{order_id}/{run}"),
                correlation_id=order_id,
                producer=PRODUCER,
            ),
            order_id=order_id,
            user_id=bot.user_id,
            account_id=bot.account_id,
            reason=f"bot: {reason}",
        )
        change.events.append((subjects.order_cancel(self.partition(bot.user_id), bot.user_id), command))

    def _failed(self, unit: Unit, exc: Exception, now: datetime, fill: Fill | None) -> BotChange:
        """The bot goes to Error with the reason; its state stays as last committed (with `fill` booked)."""
        unit.driver = None
        metrics.ERRORS.inc()
        reason = f"the strategy raised {type(exc).__name__}: {exc}"[:1000]
        bot = unit.bot.but(status=BotStatus.ERROR, error=reason, last_activity=now, next_run_at=None)
        if fill is not None:
            try:
                driver = self.driver(unit)
                driver.ctx.apply_fill(fill)
                bot = bot.but(snapshot=driver.snapshot())
            except Exception:
                log.exception("a fill could not be booked in a failed bot", extra={"bot": str(bot.id)})
            unit.driver = None
        change = BotChange(bot)
        self._log(change, now, "error", reason)
        if unit.bot.status is not BotStatus.ERROR:
            self._status(change, unit.bot.status, reason)
        return change

    def _log(
        self, change: BotChange, at: datetime, level: str, message: str, data: dict[str, Any] | None = None
    ) -> None:
        bot = change.bot
        row = LogRow(bot.id, at, level, message[:2000], dict(data or {}))
        change.logs.append(row)
        if level != "debug":
            event = BotLogged(
                meta=new_meta(PRODUCER),
                bot_id=bot.id,
                user_id=bot.user_id,
                at=at,
                level=level,
                message=row.message,
                data=row.data,
            )
            change.events.append((subjects.bot_log(bot.user_id), event))

    def _status(self, change: BotChange, previous: BotStatus, reason: str) -> None:
        bot = change.bot
        event = BotStatusChanged(
            meta=new_meta(PRODUCER),
            bot_id=bot.id,
            user_id=bot.user_id,
            account_id=bot.account_id,
            previous=previous,
            status=bot.status,
            reason=reason[:1000],
        )
        change.events.append((subjects.bot_status(bot.user_id), event))

    async def _commit(self, changes: list[tuple[Unit, BotChange]]) -> None:
        """Store the changes in one transaction; only then do the units take them (a failure drops the
        drivers, rebuilt from the last committed snapshot when the event comes again)."""
        if not changes:
            return
        # Known before the commit: an outcome may arrive as soon as the outbox publishes the order (it
        # then waits for the bot's lock, held until this returns).
        sent = {order.order_id: unit.bot.id for unit, change in changes for order in change.orders}
        self._orders.update(sent)
        try:
            await self.store.commit([change for _, change in changes])
        except BaseException:
            for order_id in sent:
                self._orders.pop(order_id, None)
            for unit, _ in changes:
                unit.driver = None
            raise
        metrics.RUNS.inc(len(changes))
        for unit, change in changes:
            if change.bot.status is BotStatus.ERROR:
                unit.driver = None
            unit.bot = change.bot
            for update in change.updates:
                if update.status in OrderStatus.TERMINAL:
                    self._orders.pop(update.order_id, None)
            self._route(unit)


def _changed_fields(current: StrategyConfig, config: StrategyConfig) -> set[str]:
    """The config fields (camelCase) whose values differ."""
    old, new = (c.model_dump(mode="json", by_alias=True) for c in (current, config))
    return {name for name in set(old) | set(new) if old.get(name) != new.get(name)}
