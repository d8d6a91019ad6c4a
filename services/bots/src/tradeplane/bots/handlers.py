"""Bus consumers of the bots service: closed candles, tickers, and the outcomes of the bots' orders."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

from faststream.nats import NatsBroker, NatsRouter
from tradeplane.contracts import (
    OrderCanceled,
    OrderFailed,
    OrderFilled,
    OrderRejected,
    Ticker,
    streams,
    subjects,
)
from tradeplane.contracts.market import CandleClosed
from tradeplane.runtime import Subscription, subscribe

from .config import Settings
from .host import PRODUCER, Host
from .model import OrderStatus

CANDLE_ACK_WAIT = timedelta(seconds=60)
"""A candle fans out to every bot on its market (thousands): JetStream waits this long for the ack."""


def router(host: Host, settings: Settings, broker: Callable[[], NatsBroker]) -> NatsRouter:
    return subscribe(broker, PRODUCER, subscriptions(host, settings))


def subscriptions(host: Host, settings: Settings) -> tuple[Subscription[Any], ...]:
    """Durable consumers named after this replica (`TP_BOTS_ID`): each replica hears every candle and
    outcome and keeps those of its own partitions' bots; a restarted replica resumes where it stopped."""
    me = settings.bots_id

    async def on_candle(candle: CandleClosed) -> None:
        await host.on_candle(candle)

    async def on_ticker(ticker: Ticker) -> None:
        host.on_ticker(ticker.venue, ticker.symbol, ticker.last)

    async def on_filled(event: OrderFilled) -> None:
        await host.on_fill(event)

    async def on_canceled(event: OrderCanceled) -> None:
        reason = f"cancelled: {event.reason}" if event.reason else "cancelled"
        await host.on_closed(event.order_id, OrderStatus.CANCELLED, reason, event.filled_quantity)

    async def on_rejected(event: OrderRejected) -> None:
        by = "risk" if event.meta.producer == "risk" else "the venue"
        message = f"rejected by {by}: {event.code.value} {event.reason}"
        await host.on_closed(event.order_id, OrderStatus.REJECTED, message)

    async def on_failed(event: OrderFailed) -> None:
        message = f"failed at the venue: {event.code.value} {event.reason}"
        await host.on_closed(event.order_id, OrderStatus.FAILED, message)

    def outcome(model: Any, subject: str, kind: str, handle: Any) -> Subscription[Any]:
        return Subscription(model, subject, streams.ORDERS, f"bots-{kind}-{me}", handle, max_workers=8)

    return (
        Subscription(
            CandleClosed,
            subjects.ALL_CANDLES,
            streams.MARKET,
            f"bots-candles-{me}",
            on_candle,
            max_workers=1,  # in order: a bot skips a candle older than the last it saw
            ack_wait=CANDLE_ACK_WAIT,
        ),
        Subscription(
            Ticker, subjects.ALL_TICKERS, streams.MARKET, None, on_ticker, shared=False, deliver_new=True
        ),
        outcome(OrderFilled, subjects.ALL_FILLS, "filled", on_filled),
        outcome(OrderCanceled, subjects.ALL_ORDER_CANCELED, "canceled", on_canceled),
        outcome(OrderRejected, subjects.ALL_ORDER_REJECTED, "rejected", on_rejected),
        outcome(OrderFailed, subjects.ALL_ORDER_FAILED, "failed", on_failed),
    )
