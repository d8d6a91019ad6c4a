"""Live updates on the real stack: `GET /api/stream/{channel}` sends a user their own order events, each
with the JetStream sequence as its id, and a reconnect with Last-Event-ID resumes with nothing missed."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import pytest

from tests.support.client import Api, market, resting_buy
from tests.support.servers import QUIET_ENV, Stack, run_async
from tests.support.sse import Event, Reader

pytestmark = [pytest.mark.integration, pytest.mark.timeout(300)]


def _for(order_id: str, kind: str) -> Callable[[list[Event]], bool]:
    return lambda seen: any(e.type == kind and e.data.get("order_id") == order_id for e in seen)


async def own_events_only(stack: Stack) -> dict[str, Any]:
    async with httpx.AsyncClient(base_url=stack.url("gateway"), timeout=30) as http:
        api = Api(http, stack)
        alice, bob = await api.trader(name="alice"), await api.trader(name="bob")
        refused = {
            "anonymous": (await http.get("/api/stream/orders")).status_code,
            "unknown": (await http.get("/api/stream/trades", headers=alice.headers)).status_code,
            "bad id": (
                await http.get("/api/stream/orders", headers=alice.headers | {"Last-Event-ID": "x"})
            ).status_code,
        }
        reader = Reader(http, alice)
        await reader.until(lambda seen: bool(seen))
        bobs = await api.place(bob, resting_buy(bob.account))  # before alice's: a leak would come first
        alices = await api.place(alice, resting_buy(alice.account))
        seen = await reader.until(_for(alices["id"], "order.accepted"))
        await reader.close()
        return {"refused": refused, "seen": seen, "alice": alice, "bob_order": bobs["id"]}


def test_a_user_receives_only_their_own_order_events(stack: Stack) -> None:
    stack.start(env=QUIET_ENV)

    result = run_async(lambda: own_events_only(stack))

    assert result["refused"] == {"anonymous": 401, "unknown": 404, "bad id": 400}
    seen: list[Event] = result["seen"]
    assert seen[0].type == "ready"
    orders = seen[1:]
    assert {e.type for e in orders} >= {"order.requested", "order.approved", "order.accepted"}
    assert {e.data["user_id"] for e in orders} == {result["alice"].id}
    assert result["bob_order"] not in {e.data.get("order_id") for e in orders}
    ids = [e.id or 0 for e in seen]
    assert all(e.id is not None for e in seen)
    assert ids == sorted(set(ids)), ids  # in stream order, none twice


async def resume_after_a_gap(stack: Stack) -> dict[str, Any]:
    async with httpx.AsyncClient(base_url=stack.url("gateway"), timeout=30) as http:
        api = Api(http, stack)
        alice = await api.trader(name="alice")
        first = Reader(http, alice)
        start = (await first.until(lambda seen: bool(seen)))[0]
        one = await api.place(alice, resting_buy(alice.account))
        before = await first.until(_for(one["id"], "order.accepted"))
        await first.close()
        last = before[-1].id
        # While the page is away: a cancel and two more orders.
        assert (await http.delete(f"/api/orders/{one['id']}", headers=alice.headers)).status_code == 202
        two = await api.place(alice, resting_buy(alice.account))
        three = await api.place(alice, resting_buy(alice.account))
        for order_id in (two["id"], three["id"]):
            await api.wait_status(alice, order_id, {"Open"})
        await api.wait_status(alice, one["id"], {"Cancelled"})

        def caught_up(seen: list[Event]) -> bool:
            return all(
                check(seen)
                for check in (
                    _for(one["id"], "order.canceled"),
                    _for(two["id"], "order.accepted"),
                    _for(three["id"], "order.accepted"),
                )
            )

        resumed = Reader(http, alice, last_event_id=last)
        after = await resumed.until(caught_up)
        await resumed.close()
        replay = Reader(http, alice, last_event_id=start.id)
        everything = await replay.until(lambda seen: bool(seen) and seen[-1].id == after[-1].id)
        await replay.close()
        return {"last": last, "before": before, "after": after, "everything": everything}


def test_a_reconnect_with_last_event_id_misses_nothing(stack: Stack) -> None:
    stack.start(env=QUIET_ENV)

    result = run_async(lambda: resume_after_a_gap(stack))

    last, after, everything = result["last"], result["after"], result["everything"]
    assert after[0].type == "ready" and after[0].id == last
    resumed = after[1:]
    assert all(e.id > last for e in resumed)
    # Exactly what a connection that never dropped would have had after `last`, in the same order.
    missed = [e for e in everything[1:] if e.id > last]
    assert [(e.id, e.type, e.data) for e in resumed] == [(e.id, e.type, e.data) for e in missed]
    # And what came before the gap is not sent again.
    assert {e.id for e in result["before"][1:]}.isdisjoint({e.id for e in resumed})


async def portfolio_and_prices(stack: Stack) -> dict[str, Any]:
    async with httpx.AsyncClient(base_url=stack.url("gateway"), timeout=30) as http:
        api = Api(http, stack)
        alice, bob = await api.trader(name="alice"), await api.trader(name="bob")
        portfolio = Reader(http, alice, channel="portfolio")
        prices = Reader(http, bob, channel="market")
        await portfolio.until(lambda seen: bool(seen))
        ticks = await prices.until(lambda seen: any(e.type == "market.ticker" for e in seen))
        bobs = await api.filled(bob, market(bob.account))
        alices = await api.filled(alice, market(alice.account))
        seen = await portfolio.until(
            lambda seen: any(
                e.type == "position.changed" and e.data.get("symbol") == "BTC/USDT" for e in seen
            )
        )
        await portfolio.close()
        await prices.close()
        return {"alice": alice, "seen": seen, "ticks": ticks, "orders": (alices["id"], bobs["id"])}


def test_the_portfolio_channel_sends_a_users_own_position_changes_and_market_sends_prices(
    stack: Stack,
) -> None:
    stack.start(env=QUIET_ENV | {"TP_FEED_ENABLED": "true"})

    result = run_async(lambda: portfolio_and_prices(stack))

    seen: list[Event] = result["seen"]
    assert seen[0].type == "ready"
    owners = {e.data["fill"]["user_id"] if e.type == "trade.booked" else e.data["user_id"] for e in seen[1:]}
    assert owners == {result["alice"].id}
    assert "position.changed" in {e.type for e in seen}
    tick = next(e for e in result["ticks"] if e.type == "market.ticker")
    assert tick.data["symbol"] and tick.data["last"]
