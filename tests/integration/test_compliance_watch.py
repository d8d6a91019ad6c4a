"""Compliance's order watch on a real PostgreSQL: one statement starts watching an order and finds the
user's opposite orders it may cross; a repeat of the request finds nothing to do."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from uuid import UUID, uuid4

import pytest
import tradeplane.compliance
from sqlalchemy.ext.asyncio import AsyncEngine
from tradeplane.compliance import store
from tradeplane.compliance.domain import WatchedOrder
from tradeplane.contracts import Side

from tests.support.databases import database_engine

pytestmark = pytest.mark.integration

MIGRATIONS = Path(tradeplane.compliance.__file__).parent / "migrations"
WINDOW = timedelta(minutes=5)
NOW = datetime(2026, 1, 5, 12, 0, tzinfo=UTC)


@pytest.fixture
async def engine(postgres_server_url: str) -> AsyncIterator[AsyncEngine]:
    async with database_engine(postgres_server_url, "tp_watch", MIGRATIONS) as engine:
        yield engine


def order(side: Side, price: str | None = "100") -> WatchedOrder:
    return WatchedOrder(uuid4(), uuid4(), None, side, None if price is None else Decimal(price))


async def watch(
    engine: AsyncEngine, user: UUID, o: WatchedOrder, at: datetime = NOW, symbol: str = "BTC/USDT"
) -> list[WatchedOrder] | None:
    async with engine.begin() as conn:
        found: list[WatchedOrder] | None = await store.watch(conn, user, symbol, o, at, WINDOW)
    return found


async def test_a_new_order_is_watched_and_a_repeat_of_its_request_is_not(engine: AsyncEngine) -> None:
    user, buy = uuid4(), order(Side.BUY)

    assert await watch(engine, user, buy) == []
    assert await watch(engine, user, buy) is None


async def test_the_users_opposite_orders_on_the_symbol_are_its_counterparts(
    engine: AsyncEngine,
) -> None:
    user = uuid4()
    sells = [order(Side.SELL, "99"), order(Side.SELL, "101")]
    for i, sell in enumerate(sells):
        await watch(engine, user, sell, NOW + timedelta(seconds=i))
    await watch(engine, user, order(Side.BUY))  # the same side: not a counterpart
    await watch(engine, user, order(Side.SELL), symbol="ETH/USDT")  # another symbol
    await watch(engine, uuid4(), order(Side.SELL))  # another user

    buy = order(Side.BUY)
    found = await watch(engine, user, buy, NOW + timedelta(seconds=5))

    assert found == [sells[1], sells[0]]  # the latest first


async def test_an_order_whose_outcome_came_first_is_completed_and_then_watched(engine: AsyncEngine) -> None:
    user, sell, buy = uuid4(), order(Side.SELL), order(Side.BUY)
    await watch(engine, user, sell)
    assert await close(engine, user, buy, "canceled", NOW) == 1  # its cancel came before its request

    assert await watch(engine, user, buy) == [sell]
    assert await watch(engine, user, buy) is None


async def test_a_closed_order_outside_the_window_is_no_counterpart(engine: AsyncEngine) -> None:
    user, old = uuid4(), order(Side.SELL)
    await watch(engine, user, old, NOW - 2 * WINDOW)
    assert await close(engine, user, old, "filled", NOW - WINDOW) == 0

    assert await watch(engine, user, order(Side.BUY)) == []


async def close(engine: AsyncEngine, user: UUID, o: WatchedOrder, as_: str, at: datetime) -> int | None:
    async with engine.begin() as conn:
        count: int | None = await store.close_order(
            conn, o.order_id, user, o.account_id, as_, at, at - WINDOW if as_ == store.CANCELED else None
        )
    return count


async def test_closing_a_cancel_counts_the_users_cancels_in_the_window_this_one_included(
    engine: AsyncEngine,
) -> None:
    user = uuid4()
    old, filled, first, second = (order(Side.BUY) for _ in range(4))
    for o in (old, filled, first):
        await watch(engine, user, o, NOW - 2 * WINDOW)
    assert await close(engine, user, old, "canceled", NOW - 2 * WINDOW) == 1
    assert await close(engine, user, filled, "filled", NOW) == 0
    await close(engine, uuid4(), order(Side.BUY), "canceled", NOW)  # another user's

    assert await close(engine, user, first, "canceled", NOW) == 1  # the old one is out of the window
    assert await close(engine, user, second, "canceled", NOW + timedelta(seconds=1)) == 2  # a stub
    assert await close(engine, user, second, "canceled", NOW + timedelta(seconds=2)) is None  # again
