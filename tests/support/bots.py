"""Talk to the bots service as the gateway would (NATS queries as the operator), and read what bots sent
from the order stream."""

from __future__ import annotations

from collections import Counter
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any
from uuid import UUID

from tradeplane.contracts import OrderRequested, Role, new_meta, streams, subjects
from tradeplane.contracts.market import CandleClosed, Timeframe, candle_msg_id
from tradeplane.contracts.queries import BOTS, Caller, Query, Reply

from tests.support.client import User
from tests.support.natsauth import connect_operator


async def ask(
    nats_url: str, who: User | UUID, name: str, params: dict[str, Any] | None = None, role: Role = Role.TRADER
) -> Reply:
    user_id = who if isinstance(who, UUID) else who.uuid
    body = Query(caller=Caller(user_id=user_id, role=role), params=params or {}).model_dump_json()
    nc = await connect_operator(nats_url)
    try:
        msg = await nc.request(subjects.query(BOTS, name), body.encode(), timeout=10)
    finally:
        await nc.close()
    return Reply.model_validate_json(msg.data)


async def data(nats_url: str, who: User | UUID, name: str, params: dict[str, Any] | None = None) -> Any:
    """The answer's data; fails the test with the error when the query was refused."""
    reply = await ask(nats_url, who, name, params)
    assert reply.ok, reply.error
    return reply.data


def candle(
    symbol: str, t: datetime, close: Decimal, timeframe: Timeframe = Timeframe.M1
) -> tuple[str, bytes, dict[str, str]]:
    """Subject, payload and headers of a closed candle as marketdata would publish it (flat: open = high =
    low = close)."""
    closed = CandleClosed(
        meta=new_meta("test-marketdata"),
        venue="paper",
        symbol=symbol,
        timeframe=timeframe,
        t=t,
        open=close,
        high=close,
        low=close,
        close=close,
        volume=Decimal(1),
    )
    headers = {"Nats-Msg-Id": candle_msg_id("paper", symbol, timeframe, t)}
    return subjects.candle("paper", symbol, timeframe.value), closed.model_dump_json().encode(), headers


async def publish_candle(
    nats_url: str, symbol: str, t: datetime, close: Decimal, timeframe: Timeframe = Timeframe.M1
) -> None:
    nc = await connect_operator(nats_url)
    try:
        subject, payload, headers = candle(symbol, t, close, timeframe)
        await nc.jetstream().publish(subject, payload, headers=headers)
    finally:
        await nc.close()


def minute(at: datetime, offset: int = 0) -> datetime:
    return Timeframe.M1.floor(at) + timedelta(minutes=offset)


async def requested_by_bots(nats_url: str) -> Counter[UUID]:
    """How many times each bot order was requested on the order stream (a duplicate counts twice)."""
    nc = await connect_operator(nats_url)
    counts: Counter[UUID] = Counter()
    try:
        js = nc.jetstream()
        sub = await js.subscribe(
            subjects.ALL_ORDER_REQUESTED, stream=streams.ORDERS.name, ordered_consumer=True
        )
        info = await js.stream_info(streams.ORDERS.name)
        last = info.state.last_seq
        while True:
            try:
                msg = await sub.next_msg(timeout=2)
            except TimeoutError:
                break
            order = OrderRequested.model_validate_json(msg.data)
            if order.bot_id is not None:
                counts[order.order_id] += 1
            if msg.metadata.sequence.stream >= last:
                break
        await sub.unsubscribe()
    finally:
        await nc.close()
    return counts
