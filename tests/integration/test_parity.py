"""Parity of paper trading and backtests on the real stack: a grid bot runs on the paper venue while the
price moves across its levels; the tickers and candles of that period, read back from JetStream in bus
order, replayed through the backtester with the same config, allocation, limits and paper settings,
give the very same fills (side, price, quantity, fee, liquidity) in the very same order: levels larger
than the liquidity of one ticker, so every order fills in two parts, two orders on one ticker."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from nats.js.errors import NotFoundError
from tradeplane.backtest import BacktestRequest
from tradeplane.backtest.replay import Event, event_of, replay_ticks
from tradeplane.contracts import OrderFilled, Ticker, streams, subjects
from tradeplane.contracts.market import CandleClosed, Timeframe
from tradeplane.paper.book import PaperSettings

from tests.support.bots import publish_candle
from tests.support.client import WIDE_LIMITS, Api, User, eventually, ok
from tests.support.natsauth import connect_operator
from tests.support.servers import Stack, shared_stack

pytestmark = [pytest.mark.integration, pytest.mark.timeout(240)]

BTC = Decimal("65000")
GRID = {"symbol": "BTC/USDT", "lower": "63000", "upper": "67000", "levels": 5, "quantityPerLevel": "1"}
"""1 BTC a level: more than the paper venue's liquidity per ticker (50,000 USDT), so every level fills
over two tickers."""
ALLOCATION = {"USDT": "200000", "BTC": "2"}
LIMITS = WIDE_LIMITS | {"maxPositionPct": 100}
MOVES = [
    # (price, orders filled so far): each move crosses one or two levels and is sent twice (two tickers
    # complete a level); every filled order is answered one level away.
    (Decimal("63900"), 1),  # the buy at 64000 fills; a sell goes in at 65000
    (Decimal("66100"), 3),  # the sells at 66000 and 65000 fill, in the order they went in
    (Decimal("64500"), 4),  # the buy at 65000 fills
    (Decimal("62900"), 6),  # the buys at 63000 and 64000 fill
]


stack = shared_stack("parity")


@pytest.fixture(scope="module")
async def api(stack: Stack) -> AsyncIterator[Api]:
    async with Api.on(stack, prices={"BTC/USDT": BTC}) as api:
        yield api


async def last_seq(nats_url: str, stream: str) -> int:
    nc = await connect_operator(nats_url)
    try:
        return int((await nc.jetstream().stream_info(stream)).state.last_seq)
    finally:
        await nc.close()


async def read(nats_url: str, stream: str, first: int, last: int, wildcard: str) -> list[tuple[str, bytes]]:
    """(subject, payload) of the messages `first`..`last` of `stream` matching `wildcard` (`a.b.>`), in
    stream order."""
    prefix = wildcard.removesuffix(">")
    found = []
    nc = await connect_operator(nats_url)
    try:
        js = nc.jetstream()
        for seq in range(first, last + 1):
            try:
                msg = await js.get_msg(stream, seq)
            except NotFoundError:
                continue
            if msg.subject is not None and msg.subject.startswith(prefix) and msg.data is not None:
                found.append((msg.subject, msg.data))
    finally:
        await nc.close()
    return found


async def recorded(nats_url: str, first: int, last: int) -> list[Event]:
    """The paper tickers and the candles of BTC/USDT in bus order."""
    ticker = subjects.ticker("paper", "BTC/USDT")
    candle = subjects.candle("paper", "BTC/USDT", Timeframe.M1.value)
    events: list[Event] = []
    for subject, data in await read(nats_url, streams.MARKET.name, first, last, "tp.market.>"):
        if subject == ticker:
            events.append(event_of(Ticker.model_validate_json(data)))
        elif subject == candle:
            events.append(event_of(CandleClosed.model_validate_json(data)))
    return events


async def fills_of(nats_url: str, who: User) -> list[OrderFilled]:
    last = await last_seq(nats_url, streams.ORDERS.name)
    messages = await read(nats_url, streams.ORDERS.name, 1, last, subjects.ALL_FILLS)
    fills = [OrderFilled.model_validate_json(data) for _, data in messages]
    return [f for f in fills if f.user_id == who.uuid]


def partly_filled(orders: list[dict[str, Any]]) -> bool:
    return any(o["status"] == "PartiallyFilled" for o in orders)


def settled(filled: int) -> Any:
    """The bot's orders once `filled` of them filled and every fill was answered (four open again)."""

    def check(orders: list[dict[str, Any]]) -> bool:
        statuses = [o["status"] for o in orders]
        return (
            statuses.count("Filled") == filled and statuses.count("Open") == 4 and len(orders) == 4 + filled
        )

    return check


async def test_the_recorded_tickers_replayed_through_the_backtester_give_the_bots_fills_exactly(
    api: Api,
) -> None:
    who = await api.trader(ALLOCATION)
    await api.put_limits_as_admin(await api.admin(), who, **LIMITS)
    response = await api.http.post(
        "/api/bots",
        json={
            "name": "grid",
            "strategy": "grid",
            "venueId": who.account,
            "config": GRID,
            "allocation": ALLOCATION,
        },
        headers=who.headers,
    )
    assert response.status_code == 201, response.text
    bot = response.json()["data"]

    async def bot_orders() -> list[dict[str, Any]]:
        path = f"/api/bots/{bot['id']}/orders"
        return ok(await api.http.get(path, headers=who.headers, params={"pageSize": 100}))  # type: ignore[no-any-return]

    first = await last_seq(api.stack.nats_url, streams.MARKET.name) + 1
    await api.set_price(who, "BTC/USDT", BTC)
    ok(await api.http.post(f"/api/bots/{bot['id']}/start", headers=who.headers))
    opened = Timeframe.M1.floor(datetime.now(UTC)) - timedelta(minutes=1)
    await publish_candle(api.stack.nats_url, "BTC/USDT", opened, BTC)
    await eventually(bot_orders, settled(0))
    for price, filled in MOVES:
        await api.set_price(who, "BTC/USDT", price)
        await eventually(bot_orders, partly_filled)
        await api.set_price(who, "BTC/USDT", price)
        await eventually(bot_orders, settled(filled))
    last = await last_seq(api.stack.nats_url, streams.MARKET.name)

    live = await fills_of(api.stack.nats_url, who)
    events = await recorded(api.stack.nats_url, first, last)
    request = BacktestRequest.model_validate(
        {
            "strategy": "grid",
            "config": GRID,
            "timeframe": "1m",
            "start": opened.isoformat(),
            "end": (Timeframe.M1.floor(datetime.now(UTC)) + timedelta(minutes=1)).isoformat(),
            "initialBalances": ALLOCATION,
            "limits": LIMITS,
            "seed": int(bot["id"].replace("-", ""), 16) % 2**32,
        }
    )
    replayed = replay_ticks(request, events, settings=PaperSettings()).to_json()["fills"]

    assert len(live) == 2 * MOVES[-1][1]
    assert {f.liquidity.value for f in live} == {"maker"}
    assert [(f.side.value, f.price, f.quantity, f.fee, f.liquidity.value) for f in live] == [
        (f["side"], Decimal(f["price"]), Decimal(f["quantity"]), Decimal(f["fee"]), f["liquidity"])
        for f in replayed
    ]
