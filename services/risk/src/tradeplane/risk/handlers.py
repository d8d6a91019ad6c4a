"""Bus consumers of the risk service: order requests, fills, PnL, venue outcomes and tickers."""

from __future__ import annotations

from faststream.nats import NatsBroker, NatsRouter
from tradeplane.contracts import (
    OrderFilled,
    OrderRequested,
    PnlUpdated,
    Ticker,
    VenueError,
    VenueSucceeded,
    streams,
    subjects,
)
from tradeplane.runtime import Runtime, consumer

from .events import PRODUCER
from .market import Prices
from .pretrade import PreTrade
from .tracking import Tracker

QUEUE = "risk"


def router(
    rt: Runtime, pretrade: PreTrade, tracker: Tracker, prices: Prices, order_workers: int
) -> NatsRouter:
    r = NatsRouter()

    def broker() -> NatsBroker:
        return rt.broker

    @consumer(
        r,
        broker,
        OrderRequested,
        subject=subjects.ALL_ORDER_REQUESTED,
        durable="risk-order-requested",
        stream=streams.ORDERS,
        producer=PRODUCER,
        queue=QUEUE,
        max_workers=order_workers,
    )
    async def on_order_requested(order: OrderRequested) -> None:
        await pretrade.handle(order)

    @consumer(
        r,
        broker,
        OrderFilled,
        subject=subjects.ALL_FILLS,
        durable="risk-order-filled",
        stream=streams.ORDERS,
        producer=PRODUCER,
        queue=QUEUE,
        max_workers=16,
    )
    async def on_order_filled(fill: OrderFilled) -> None:
        await tracker.fill(fill)

    @consumer(
        r,
        broker,
        PnlUpdated,
        subject=subjects.ALL_PNL_UPDATED,
        durable="risk-pnl-updated",
        stream=streams.PNL,
        producer=PRODUCER,
        queue=QUEUE,
        max_workers=16,
    )
    async def on_pnl_updated(update: PnlUpdated) -> None:
        await tracker.pnl(update)

    @consumer(
        r,
        broker,
        VenueError,
        subject=subjects.ALL_VENUE_ERRORS,
        durable="risk-venue-error",
        stream=streams.VENUE,
        producer=PRODUCER,
        queue=QUEUE,
        max_workers=16,
    )
    async def on_venue_error(error: VenueError) -> None:
        await tracker.venue_error(error)

    @consumer(
        r,
        broker,
        VenueSucceeded,
        subject=subjects.ALL_VENUE_OK,
        durable="risk-venue-ok",
        stream=streams.VENUE,
        producer=PRODUCER,
        queue=QUEUE,
        max_workers=16,
    )
    async def on_venue_ok(success: VenueSucceeded) -> None:
        await tracker.venue_ok(success)

    @consumer(
        r,
        broker,
        Ticker,
        subject=subjects.ALL_TICKERS,
        durable=None,
        stream=streams.MARKET,
        producer=PRODUCER,
        queue=None,
        deliver_new=True,
    )
    async def on_ticker(ticker: Ticker) -> None:
        prices.update(ticker)

    return r
