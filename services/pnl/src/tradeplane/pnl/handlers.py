"""Bus consumers: fills are booked (shared by replicas), tickers update the marks (every replica)."""

from __future__ import annotations

from typing import Any

from faststream.nats import NatsRouter
from tradeplane.contracts import OrderFilled, Ticker, streams, subjects
from tradeplane.runtime import Runtime, Subscription, subscribe

from .booking import Booker
from .config import Settings
from .domain.marks import Marks
from .equity_figures import PRODUCER

FILLS_CONSUMER = "pnl-fills"


def subscriptions(settings: Settings, booker: Booker, marks: Marks) -> tuple[Subscription[Any], ...]:
    async def on_fill(event: OrderFilled) -> None:
        await booker.book(event)

    async def on_ticker(ticker: Ticker) -> None:
        marks.update(ticker.venue, ticker.symbol, ticker.last, ticker.at)

    return (
        Subscription(
            OrderFilled,
            subjects.ALL_FILLS,
            streams.ORDERS,
            FILLS_CONSUMER,
            on_fill,
            max_workers=settings.pnl_fill_workers,
        ),
        Subscription(
            Ticker, subjects.ALL_TICKERS, streams.MARKET, None, on_ticker, shared=False, deliver_new=True
        ),
    )


def router(rt: Runtime, settings: Settings, booker: Booker, marks: Marks) -> NatsRouter:
    return subscribe(lambda: rt.broker, PRODUCER, subscriptions(settings, booker, marks))
