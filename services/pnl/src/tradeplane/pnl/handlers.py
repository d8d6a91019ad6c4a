"""Bus consumers: fills are booked (shared by replicas), tickers update the marks (every replica)."""

from __future__ import annotations

from faststream.nats import NatsRouter
from tradeplane.contracts import OrderFilled, Ticker, streams, subjects
from tradeplane.runtime import Runtime, consumer

from .booking import Booker
from .config import Settings
from .domain.marks import Marks

FILLS_CONSUMER = "pnl-fills"


def router(rt: Runtime, settings: Settings, booker: Booker, marks: Marks) -> NatsRouter:
    bus = NatsRouter()

    @consumer(
        bus,
        lambda: rt.broker,
        OrderFilled,
        subject=subjects.ALL_FILLS,
        durable=FILLS_CONSUMER,
        stream=streams.ORDERS,
        producer="pnl",
        queue="pnl",
        max_workers=settings.pnl_fill_workers,
    )
    async def on_fill(event: OrderFilled) -> None:
        await booker.book(event)

    @consumer(
        bus,
        lambda: rt.broker,
        Ticker,
        subject=subjects.ALL_TICKERS,
        durable=None,
        stream=streams.MARKET,
        producer="pnl",
        queue=None,
        deliver_new=True,
    )
    async def on_ticker(ticker: Ticker) -> None:
        marks.update(ticker.venue, ticker.symbol, ticker.last, ticker.at)

    return bus
