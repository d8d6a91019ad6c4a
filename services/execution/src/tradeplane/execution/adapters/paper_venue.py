"""The paper venue: one account's `PaperEngine` behind the Venue protocol, plus ticks and a state snapshot.

The engine changes in memory only; the account actor stores `snapshot()` in the same transaction as the
order rows it produced, and reloads the engine from the database whenever such a transaction fails.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any
from uuid import UUID

from tradeplane.contracts import OrderStatus, Ticker, utcnow
from tradeplane.paper.book import PaperOrder, PaperSettings, PaperUpdate
from tradeplane.paper.engine import PaperEngine
from tradeplane.paper.feed import Tick
from tradeplane.paper.markets import PAPER_MARKETS, MarketSpec

from .venue import VenueFillReport, VenueOrder, VenueOrderReport, client_order_id_for

DEFAULT_BALANCES = {"USDT": Decimal("10000")}


def initial_state(balances: dict[str, Decimal]) -> dict[str, Any]:
    return {"balances": {ccy: format(amount, "f") for ccy, amount in balances.items()}, "orders": []}


def tick_of(ticker: Ticker) -> Tick:
    return Tick(ticker.symbol, ticker.bid, ticker.ask, ticker.last, ticker.at)


def report_of(update: PaperUpdate) -> VenueOrderReport:
    return VenueOrderReport(
        client_order_id=client_order_id_for(UUID(update.order_id)),
        venue_order_id=update.order_id,
        status=update.status,
        filled_quantity=update.filled_quantity,
        fills=tuple(
            VenueFillReport(f.fill_id, f.quantity, f.price, f.fee, f.fee_currency, f.liquidity, f.at)
            for f in update.fills
        ),
        reason=update.reason,
        reject_code=update.reject_code,
    )


def balances_of(engine: PaperEngine) -> dict[str, dict[str, Decimal]]:
    currencies = set(engine.account.balances) | {spec.quote for spec in PAPER_MARKETS.values()}
    result = {}
    for ccy in sorted(currencies):
        total = engine.account.balance(ccy)
        used = engine.reserved(ccy)
        result[ccy] = {"free": total - used, "used": used, "total": total}
    return result


class PaperVenue:
    name = "paper"

    def __init__(
        self,
        state: dict[str, Any],
        settings: PaperSettings | None = None,
        latest: Callable[[str], Tick | None] | None = None,
    ) -> None:
        self.engine = PaperEngine.from_dict(state, settings=settings)
        self._latest = latest

    def snapshot(self) -> dict[str, Any]:
        return self.engine.to_dict()

    def on_tick(self, tick: Tick) -> list[VenueOrderReport]:
        """Match open orders against a tick; a non-empty answer means the state changed."""
        return [report_of(update) for update in self.engine.on_tick(tick)]

    async def markets(self) -> list[MarketSpec]:
        return list(PAPER_MARKETS.values())

    async def submit(self, order: VenueOrder) -> VenueOrderReport:
        tick = self._latest(order.symbol) if self._latest else None
        if tick is not None:
            self.engine.quote(tick)  # an account with nothing resting here has not seen recent ticks
        paper = PaperOrder(
            str(order.order_id),
            order.symbol,
            order.side,
            order.type,
            order.quantity,
            order.price,
            order.stop_price,
        )
        return report_of(self.engine.submit(paper, utcnow()))

    async def cancel(self, order: VenueOrder) -> VenueOrderReport:
        update = self.engine.cancel(str(order.order_id))
        if update is not None:
            return report_of(update)
        return VenueOrderReport(
            client_order_id=order.client_order_id,
            venue_order_id=str(order.order_id),
            status=OrderStatus.CANCELLED,
            filled_quantity=order.filled_quantity,
            reason="not open at the venue",
        )

    async def lookup(self, order: VenueOrder) -> VenueOrderReport | None:
        update = self.engine.lookup(str(order.order_id))
        return None if update is None else report_of(update)

    async def poll(self, open_orders: list[VenueOrder]) -> list[VenueOrderReport]:
        return []

    async def balance(self) -> dict[str, dict[str, Decimal]]:
        return balances_of(self.engine)

    async def close(self) -> None:
        return None
