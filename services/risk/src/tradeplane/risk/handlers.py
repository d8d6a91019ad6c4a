"""Bus consumers of the risk service: order requests, fills, PnL, venue outcomes and tickers."""

from __future__ import annotations

from typing import Any

from faststream.nats import NatsRouter
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
from tradeplane.runtime import Runtime, Subscription, subscribe

from .events import PRODUCER
from .market import Prices
from .pretrade import PreTrade
from .tracking import Tracker


def subscriptions(
    pretrade: PreTrade, tracker: Tracker, prices: Prices, order_workers: int
) -> tuple[Subscription[Any], ...]:
    """What risk consumes; replicas share all but the tickers, which every replica hears."""

    async def on_ticker(ticker: Ticker) -> None:
        prices.update(ticker)

    return (
        Subscription(
            OrderRequested,
            subjects.ALL_ORDER_REQUESTED,
            streams.ORDERS,
            "risk-order-requested",
            pretrade.handle,
            max_workers=order_workers,
        ),
        Subscription(
            OrderFilled, subjects.ALL_FILLS, streams.ORDERS, "risk-order-filled", tracker.fill, max_workers=16
        ),
        Subscription(
            PnlUpdated, subjects.ALL_PNL_UPDATED, streams.PNL, "risk-pnl-updated", tracker.pnl, max_workers=16
        ),
        Subscription(
            VenueError,
            subjects.ALL_VENUE_ERRORS,
            streams.VENUE,
            "risk-venue-error",
            tracker.venue_error,
            max_workers=16,
        ),
        Subscription(
            VenueSucceeded,
            subjects.ALL_VENUE_OK,
            streams.VENUE,
            "risk-venue-ok",
            tracker.venue_ok,
            max_workers=16,
        ),
        Subscription(
            Ticker, subjects.ALL_TICKERS, streams.MARKET, None, on_ticker, shared=False, deliver_new=True
        ),
    )


def router(
    rt: Runtime, pretrade: PreTrade, tracker: Tracker, prices: Prices, order_workers: int
) -> NatsRouter:
    return subscribe(lambda: rt.broker, PRODUCER, subscriptions(pretrade, tracker, prices, order_workers))
