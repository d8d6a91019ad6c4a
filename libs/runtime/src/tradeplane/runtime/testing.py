"""Helpers for the services' unit tests: handlers reached through FastStream's `TestNatsBroker`, and
the events an in-memory store's transactions committed.

Production code never imports this module.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any, TypeVar
from uuid import uuid4

from faststream.nats import JStream, NatsBroker
from tradeplane.contracts import (
    DeadLettered,
    LiquiditySide,
    Message,
    OrderFilled,
    Side,
    Ticker,
    new_meta,
    streams,
)

from .subscriptions import Subscription, subscribe

M = TypeVar("M", bound=Message)
_sequence = itertools.count(1)


def jetstream_reply(stream: str, sequence: int) -> str:
    """The reply subject JetStream gives a delivered message: consumers read its metadata from it."""
    return f"$JS.ACK.{stream}.test.1.{sequence}.{sequence}.1700000000000000000.0"


def wired(producer: str, table: Iterable[Subscription[Any]]) -> NatsBroker:
    """A broker (not connected) with the consumers of `table`, as the service registers them."""
    broker = NatsBroker()
    broker.include_router(subscribe(lambda: broker, producer, table))
    return broker


def dead_letters(broker: NatsBroker) -> list[DeadLettered]:
    """What `broker`'s consumers dead-letter from now on (call before the test broker starts)."""
    letters: list[DeadLettered] = []

    @broker.subscriber(streams.DLQ.subjects[0], stream=JStream(streams.DLQ.name, declare=False))
    async def collect(letter: DeadLettered) -> None:
        letters.append(letter)

    return letters


async def deliver(broker: NatsBroker, subject: str, message: Message | bytes) -> None:
    """Publish on `subject` as JetStream delivers it (its stream, a fresh sequence), to a test broker."""
    stream = streams.stream_for(subject).name
    body = message if isinstance(message, bytes) else message.model_dump_json().encode()
    await broker.publish(body, subject, stream=stream, reply_to=jetstream_reply(stream, next(_sequence)))


def ticker(venue: str, symbol: str, last: str) -> Ticker:
    """A ticker from execution with bid, ask and last all at `last`, as of now."""
    price = Decimal(last)
    now = datetime.now(UTC)
    return Ticker(
        meta=new_meta("execution"), venue=venue, symbol=symbol, bid=price, ask=price, last=price, at=now
    )


def order_filled(
    side: Side | str, quantity: Decimal | str, price: Decimal | str, fee: Decimal | str = "0", **fields: Any
) -> OrderFilled:
    """A fill of a whole order (`quantity` of `quantity`) on paper's BTC/USDT as execution publishes it,
    taker, fee in USDT, new ids, as of now; `fields` sets any other field."""
    amount = Decimal(quantity)
    values: dict[str, Any] = {
        "meta": new_meta("execution"),
        "order_id": uuid4(),
        "user_id": uuid4(),
        "account_id": uuid4(),
        "fill_id": uuid4().hex,
        "venue": "paper",
        "symbol": "BTC/USDT",
        "side": side,
        "quantity": amount,
        "price": Decimal(price),
        "fee": Decimal(fee),
        "fee_currency": "USDT",
        "liquidity": LiquiditySide.TAKER,
        "filled_quantity": amount,
        "order_quantity": amount,
        "filled_at": datetime.now(UTC),
    }
    return OrderFilled(**(values | fields))


@dataclass
class Emitted:
    """Events committed with a transaction, in order, as `(subject, message)`."""

    events: list[tuple[str, Message]] = field(default_factory=list)

    def emit(self, subject: str, message: Message) -> None:
        self.events.append((subject, message))

    def of(self, kind: type[M]) -> list[M]:
        return [message for _, message in self.events if isinstance(message, kind)]

    def subjects(self) -> list[str]:
        return [subject for subject, _ in self.events]

    def __iter__(self) -> Iterator[tuple[str, Message]]:
        return iter(self.events)
