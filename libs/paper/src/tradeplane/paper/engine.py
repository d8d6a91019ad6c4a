"""Paper matching for one account: orders fill against the synthetic feed, with fees and reserved balances.

Rules, tick by tick:
- An order is checked against the latest tick when it enters the book: on submission, or, for a
  stop-limit, on the tick that triggers it. If it can trade then, it is a taker at the touch
  (a buy at the ask, a sell at the bid), which for a limit may be better than its limit price.
- A limit order that then rests fills on a later tick that crosses it (a buy when ask <= price,
  a sell when bid >= price) as a maker at its own limit price.
- A stop triggers when the last price reaches it (a buy when last >= stop, a sell when last <= stop)
  and then trades as a market order; a stop-limit becomes a limit order.
- One order takes at most `liquidity_per_tick` of quote notional from one tick (at least one
  step), so a large order fills over several ticks; a market order's remainder keeps taking
  at the touch of each following tick. Each tick of a symbol is used once: older or repeated
  ticks are ignored.
- Fees are charged in the quote currency: maker or taker rate times the fill's notional.
- Submitting reserves what the order can spend: a buy reserves quote (limit or stop-limit price,
  or the ask or stop plus `market_buy_margin`, times one plus the taker fee), a sell reserves the
  base quantity. A buy never spends more than its reservation: if the price ran away from a
  market buy, it fills what the reservation pays for and the rest is cancelled.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from decimal import Decimal
from typing import Any

from tradeplane.contracts import LiquiditySide, OrderStatus, OrderType, RejectCode, Side

from .book import (
    PaperAccount,
    PaperFill,
    PaperOrder,
    PaperSettings,
    PaperUpdate,
    Phase,
    RestingOrder,
    decimal_text,
    order_from_dict,
    order_to_dict,
    tick_from_dict,
    tick_to_dict,
)
from .feed import Tick
from .markets import PAPER_MARKETS, InvalidOrder, MarketSpec, floor_to, market_for, validate_and_round

_ENTRY_PHASE = {
    OrderType.MARKET: Phase.MARKET,
    OrderType.LIMIT: Phase.LIMIT,
    OrderType.STOP: Phase.STOP,
    OrderType.STOP_LIMIT: Phase.STOP,
}


class PaperEngine:
    """One account's open orders and balances. Not thread-safe: one account actor owns it."""

    def __init__(
        self,
        account: PaperAccount,
        markets: Mapping[str, MarketSpec] = PAPER_MARKETS,
        settings: PaperSettings | None = None,
        orders: Iterable[RestingOrder] = (),
    ) -> None:
        self.account = account
        self._markets = markets
        self._settings = settings or PaperSettings()
        self._orders = {resting.order.order_id: resting for resting in orders}
        self._ticks: dict[str, Tick] = {}

    def reserved(self, currency: str) -> Decimal:
        return sum((r.reserved for r in self._orders.values() if self._held(r) == currency), Decimal(0))

    def available(self, currency: str) -> Decimal:
        return self.account.balance(currency) - self.reserved(currency)

    def quote(self, tick: Tick) -> None:
        """Take a newer price for a symbol nothing rests on: the executor only forwards ticks to
        engines with open orders on the symbol, so an idle engine's price may be stale. With an order
        resting there the engine already gets every tick through `on_tick`, which reports fills."""
        if not any(r.order.symbol == tick.symbol for r in self._orders.values()):
            self.on_tick(tick)

    def limit_band(self, symbol: str) -> tuple[Decimal | None, Decimal | None] | None:
        """(highest resting buy limit, lowest resting sell limit) on `symbol`, None where there is none.

        A tick whose ask is above the first and whose bid is below the second fills nothing, so a host
        replaying many ticks (a backtest) may skip it, giving only the latest price before the next
        submit. None when an order of the symbol waits on a stop or takes liquidity at market: then
        any tick may move it.
        """
        buy: Decimal | None = None
        sell: Decimal | None = None
        for resting in self._orders.values():
            order = resting.order
            if order.symbol != symbol:
                continue
            if resting.phase is not Phase.LIMIT or order.price is None:
                return None
            if order.side is Side.BUY:
                buy = order.price if buy is None else max(buy, order.price)
            else:
                sell = order.price if sell is None else min(sell, order.price)
        return buy, sell

    def open_orders(self) -> list[PaperUpdate]:
        return [self._update(resting, []) for resting in self._orders.values()]

    def lookup(self, order_id: str) -> PaperUpdate | None:
        resting = self._orders.get(order_id)
        return None if resting is None else self._update(resting, [])

    def submit(self, order: PaperOrder, now: datetime) -> PaperUpdate:
        """Validate, reserve and place an order, filling what the latest tick allows at once.

        Submitting an id that is already open returns its current state and changes nothing.
        """
        if order.order_id in self._orders:
            return self._update(self._orders[order.order_id], [])
        tick = self._ticks.get(order.symbol)
        try:
            spec = market_for(self._markets, order.symbol)
            order = _rounded(spec, order, tick)
        except InvalidOrder as exc:
            return _rejected(order, RejectCode.INVALID_ORDER, str(exc))
        if order.type is OrderType.MARKET and tick is None:
            return _rejected(order, RejectCode.VENUE_ERROR, f"no price for {order.symbol} yet")
        resting = RestingOrder(order, _ENTRY_PHASE[order.type], self._reservation(spec, order, tick))
        currency = self._held(resting)
        if self.available(currency) < resting.reserved:
            return _rejected(
                order, RejectCode.INSUFFICIENT_FUNDS, f"needs {resting.reserved} {currency} available"
            )
        self._orders[order.order_id] = resting
        if tick is None:
            return self._update(resting, [])
        return self._match(resting, spec, tick, now, entering=True)

    def cancel(self, order_id: str, reason: str = "cancelled") -> PaperUpdate | None:
        """Cancel an open order and release its reservation; None when it is not open (any more)."""
        resting = self._orders.pop(order_id, None)
        if resting is None:
            return None
        return self._update(resting, [], status=OrderStatus.CANCELLED, reason=reason)

    def on_tick(self, tick: Tick) -> list[PaperUpdate]:
        """Match the symbol's open orders against a new tick.

        Returns the orders that filled, ended or had their stop triggered: whenever the list is not
        empty the state changed and should be stored again.
        """
        seen = self._ticks.get(tick.symbol)
        if seen is not None and tick.at <= seen.at:
            return []
        self._ticks[tick.symbol] = tick
        spec = self._markets.get(tick.symbol)
        if spec is None:
            return []
        updates = []
        for resting in [r for r in self._orders.values() if r.order.symbol == tick.symbol]:
            order = resting.order
            if (
                resting.phase is Phase.LIMIT
                and order.price is not None
                and not _crosses(order.side, order.price, _touch(order.side, tick))
            ):
                continue  # a resting limit this tick does not reach: nothing to match or report
            update = self._match(resting, spec, tick, tick.at, entering=False)
            if update.fills or update.triggered or update.status.is_terminal:
                updates.append(update)
        return updates

    def to_dict(self) -> dict[str, Any]:
        """Balances, open orders and the last tick used per symbol (so a reload neither reuses a tick
        nor lacks a price for a market order)."""
        return {
            "balances": {
                currency: decimal_text(amount) for currency, amount in self.account.balances.items()
            },
            "orders": [order_to_dict(resting) for resting in self._orders.values()],
            "ticks": {symbol: tick_to_dict(tick) for symbol, tick in self._ticks.items()},
        }

    @classmethod
    def from_dict(
        cls,
        data: Mapping[str, Any],
        markets: Mapping[str, MarketSpec] = PAPER_MARKETS,
        settings: PaperSettings | None = None,
    ) -> PaperEngine:
        balances = {currency: Decimal(amount) for currency, amount in data["balances"].items()}
        orders = [order_from_dict(item) for item in data["orders"]]
        engine = cls(PaperAccount(balances), markets, settings, orders)
        engine._ticks = {symbol: tick_from_dict(item) for symbol, item in data.get("ticks", {}).items()}
        return engine

    def _held(self, resting: RestingOrder) -> str:
        spec = self._markets[resting.order.symbol]
        return spec.quote if resting.order.side is Side.BUY else spec.base

    def _reservation(self, spec: MarketSpec, order: PaperOrder, tick: Tick | None) -> Decimal:
        if order.side is Side.SELL:
            return order.quantity
        if order.price is not None:
            unit = order.price
        else:
            # A stop the market has already passed triggers at once, at the ask rather than the stop.
            touch = None if tick is None else _touch(Side.BUY, tick)
            reference = max(p for p in (order.stop_price, touch) if p is not None)
            unit = reference * (1 + self._settings.market_buy_margin)
        return order.quantity * unit * (1 + spec.taker_fee)

    def _match(
        self, resting: RestingOrder, spec: MarketSpec, tick: Tick, at: datetime, *, entering: bool
    ) -> PaperUpdate:
        waiting = resting.phase is Phase.STOP
        fills = self._evaluate(resting, spec, tick, at, entering=entering)
        return self._settle(resting, fills, triggered=waiting and resting.phase is not Phase.STOP)

    def _evaluate(
        self, resting: RestingOrder, spec: MarketSpec, tick: Tick, at: datetime, *, entering: bool
    ) -> list[PaperFill]:
        if resting.phase is Phase.STOP:
            if not _stop_reached(resting.order, tick.last):
                return []
            resting.phase = Phase.LIMIT if resting.order.type is OrderType.STOP_LIMIT else Phase.MARKET
            entering = True
        touch = _touch(resting.order.side, tick)
        if resting.phase is Phase.MARKET:
            return self._fill(resting, spec, touch, LiquiditySide.TAKER, at)
        limit = resting.order.price
        assert limit is not None
        if not _crosses(resting.order.side, limit, touch):
            return []
        if entering:
            return self._fill(resting, spec, touch, LiquiditySide.TAKER, at)
        return self._fill(resting, spec, limit, LiquiditySide.MAKER, at)

    def _fill(
        self, resting: RestingOrder, spec: MarketSpec, price: Decimal, liquidity: LiquiditySide, at: datetime
    ) -> list[PaperFill]:
        rate = spec.taker_fee if liquidity is LiquiditySide.TAKER else spec.maker_fee
        step = spec.amount_precision
        wanted = min(resting.remaining, max(step, floor_to(self._settings.liquidity_per_tick / price, step)))
        quantity = wanted
        if resting.order.side is Side.BUY and wanted * price * (1 + rate) > resting.reserved:
            quantity = floor_to(resting.reserved / (price * (1 + rate)), step)
            # The division is rounded to 28 digits; step down if that rounding overshot the reservation.
            while quantity > 0 and quantity * price * (1 + rate) > resting.reserved:
                quantity -= step
        fills = [] if quantity == 0 else [self._trade(resting, spec, quantity, price, rate, liquidity, at)]
        if quantity < wanted:
            self._orders.pop(resting.order.order_id)
        return fills

    def _trade(
        self,
        resting: RestingOrder,
        spec: MarketSpec,
        quantity: Decimal,
        price: Decimal,
        rate: Decimal,
        liquidity: LiquiditySide,
        at: datetime,
    ) -> PaperFill:
        notional = quantity * price
        fee = notional * rate
        if resting.order.side is Side.BUY:
            self.account.debit(spec.quote, notional + fee)
            self.account.credit(spec.base, quantity)
            resting.reserved -= notional + fee
        else:
            self.account.debit(spec.base, quantity)
            self.account.credit(spec.quote, notional - fee)
            resting.reserved -= quantity
        resting.filled += quantity
        resting.fill_count += 1
        order = resting.order
        return PaperFill(
            fill_id=f"{order.order_id}-{resting.fill_count}",
            order_id=order.order_id,
            symbol=order.symbol,
            side=order.side,
            quantity=quantity,
            price=price,
            fee=fee,
            fee_currency=spec.quote,
            liquidity=liquidity,
            filled_quantity=resting.filled,
            order_quantity=order.quantity,
            at=at,
        )

    def _settle(
        self, resting: RestingOrder, fills: list[PaperFill], *, triggered: bool = False
    ) -> PaperUpdate:
        """Drop a filled order from the book; report one that ran out of reservation as cancelled."""
        status = resting.status()
        if status is OrderStatus.FILLED:
            self._orders.pop(resting.order.order_id, None)
            return self._update(resting, fills, triggered=triggered)
        if resting.order.order_id not in self._orders:
            reason = "reservation exhausted: the price moved beyond the reserved margin"
            return self._update(
                resting, fills, status=OrderStatus.CANCELLED, reason=reason, triggered=triggered
            )
        return self._update(resting, fills, triggered=triggered)

    def _update(
        self,
        resting: RestingOrder,
        fills: list[PaperFill],
        status: OrderStatus | None = None,
        reason: str = "",
        triggered: bool = False,
    ) -> PaperUpdate:
        return PaperUpdate(
            order_id=resting.order.order_id,
            status=resting.status() if status is None else status,
            quantity=resting.order.quantity,
            filled_quantity=resting.filled,
            fills=tuple(fills),
            reason=reason,
            triggered=triggered,
        )


def _rounded(spec: MarketSpec, order: PaperOrder, tick: Tick | None) -> PaperOrder:
    reference = None if tick is None else tick.last
    rounded = validate_and_round(
        spec, order.side, order.type, order.quantity, order.price, order.stop_price, reference_price=reference
    )
    return PaperOrder(
        order.order_id,
        order.symbol,
        order.side,
        order.type,
        rounded.quantity,
        rounded.price,
        rounded.stop_price,
    )


def _rejected(order: PaperOrder, code: RejectCode, reason: str) -> PaperUpdate:
    return PaperUpdate(order.order_id, OrderStatus.REJECTED, Decimal(0), reject_code=code, reason=reason)


def _touch(side: Side, tick: Tick | None) -> Decimal:
    assert tick is not None
    return tick.ask if side is Side.BUY else tick.bid


def _crosses(side: Side, limit: Decimal, touch: Decimal) -> bool:
    return touch <= limit if side is Side.BUY else touch >= limit


def _stop_reached(order: PaperOrder, last: Decimal) -> bool:
    assert order.stop_price is not None
    return last >= order.stop_price if order.side is Side.BUY else last <= order.stop_price
