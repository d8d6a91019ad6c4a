"""Live updates over the WebSocket `/api/ws` on the real stack: a user subscribes to channels and gets
only their own events (the same JetStream feeds as SSE), pings, unsubscribes, resumes after an event id;
a connection without credentials (or with a cookie from another site) is refused."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from typing import Any

import httpx
import orjson
import pytest
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

from tests.support.client import Api, User, resting_buy
from tests.support.servers import QUIET_ENV, Stack, run_async

pytestmark = [pytest.mark.integration, pytest.mark.timeout(300)]

READ_LIMIT = 60.0
"""A read that never sees what it waits for fails the test instead of hanging it."""
Message = dict[str, Any]


class Socket:
    """One WebSocket read in the background into `seen`."""

    def __init__(self, ws: ClientConnection) -> None:
        self.ws = ws
        self.seen: list[Message] = []
        self.closed: int | None = None
        self._task = asyncio.create_task(self._read())

    async def _read(self) -> None:
        try:
            async for raw in self.ws:
                self.seen.append(orjson.loads(raw))
        except ConnectionClosed:
            pass
        self.closed = self.ws.close_code

    async def send(self, message: Message) -> None:
        await self.ws.send(orjson.dumps(message).decode())

    async def until(self, done: Callable[[list[Message]], bool]) -> list[Message]:
        async def wait() -> list[Message]:
            while not done(self.seen):
                if self._task.done():
                    raise AssertionError(f"closed ({self.closed}) after {self.seen}")
                await asyncio.sleep(0.05)
            return self.seen

        return await asyncio.wait_for(wait(), READ_LIMIT)

    async def close(self) -> None:
        await self.ws.close()
        with contextlib.suppress(asyncio.CancelledError):
            await self._task


def _ws_url(stack: Stack) -> str:
    return stack.url("gateway").replace("http://", "ws://") + "/api/ws"


def _updates(seen: list[Message], channel: str = "orders") -> list[Message]:
    return [m for m in seen if m["type"] == "update" and m["channel"] == channel and m["event"] != "ready"]


def _accepted(order_id: str) -> Callable[[list[Message]], bool]:
    return lambda seen: any(
        m["event"] == "order.accepted" and m["data"].get("order_id") == order_id for m in _updates(seen)
    )


async def _open(stack: Stack, user: User | None = None, **headers: str) -> Socket:
    extra = dict(user.headers if user else {}) | headers
    return Socket(await connect(_ws_url(stack), additional_headers=extra, open_timeout=30))


async def own_events_over_one_socket(stack: Stack) -> dict[str, Any]:
    async with httpx.AsyncClient(base_url=stack.url("gateway"), timeout=30) as http:
        api = Api(http, stack)
        alice, bob = await api.trader(name="alice"), await api.trader(name="bob")
        result: dict[str, Any] = {"alice": alice, "bob": bob}

        anonymous = await _open(stack)
        await anonymous.send({"type": "subscribe", "channel": "orders"})
        result["anonymous"] = await anonymous.until(lambda seen: bool(seen))
        await anonymous.until(lambda _: anonymous.closed is not None)
        result["anonymous_close"] = anonymous.closed

        cookie = alice.headers["Authorization"].removeprefix("Bearer ")
        cross = await _open(stack, Cookie=f"tp_access={cookie}", Origin="http://evil.example")
        result["cross_site"] = await cross.until(lambda seen: bool(seen))

        sock = await _open(stack, alice)  # a bearer header in the handshake
        await sock.send({"type": "ping", "data": 7})
        await sock.send({"type": "subscribe", "channel": "trades"})
        await sock.send({"type": "subscribe", "channel": "orders"})
        await sock.send({"type": "subscribe", "channel": "portfolio"})
        await sock.until(lambda seen: sum(m.get("event") == "ready" for m in seen) == 2)
        bobs = await api.place(bob, resting_buy(bob.account))  # first: a leak would come before alice's
        first = await api.place(alice, resting_buy(alice.account))
        seen = await sock.until(_accepted(first["id"]))
        result |= {"seen": list(seen), "bob_order": bobs["id"], "first": first["id"]}

        last = _updates(seen)[-1]["id"]
        await sock.send({"type": "unsubscribe", "channel": "orders"})
        await sock.send({"type": "ping"})
        await sock.until(lambda seen: sum(m["type"] == "pong" for m in seen) == 2)
        second = await api.place(alice, resting_buy(alice.account))
        await api.wait_status(alice, second["id"], {"Open"})

        # Bob, by an auth message after the handshake, resumes alice's gap on his own feed: nothing of hers.
        bob_sock = await _open(stack)
        await bob_sock.send({"type": "auth", "token": bob.headers["Authorization"].removeprefix("Bearer ")})
        await bob_sock.send({"type": "subscribe", "channel": "orders", "params": {"lastEventId": 0}})
        bob_seen = await bob_sock.until(
            lambda seen: any(m["data"].get("order_id") == bobs["id"] for m in _updates(seen))
        )
        result["bob_seen"] = list(bob_seen)

        # Alice subscribes again after the last event she saw: the second order's events, none again.
        await sock.send({"type": "subscribe", "channel": "orders", "params": {"lastEventId": last}})
        resumed = await sock.until(_accepted(second["id"]))
        result |= {"last": last, "resumed": list(resumed), "second": second["id"]}
        for socket in (sock, bob_sock, cross):
            await socket.close()
        return result


def test_the_websocket_sends_a_user_their_own_events_and_resumes_after_an_id(stack: Stack) -> None:
    stack.start(env=QUIET_ENV)

    result = run_async(lambda: own_events_over_one_socket(stack))

    assert result["anonymous"][0]["type"] == "error"
    assert result["anonymous"][0]["data"]["code"] == "UNAUTHORIZED"
    assert result["anonymous_close"] == 4401
    assert result["cross_site"][0]["data"]["code"] == "CROSS_SITE"

    seen: list[Message] = result["seen"]
    assert seen[0] == seen[0] | {"type": "pong", "data": 7}
    unknown = next(m for m in seen if m["type"] == "error")
    assert unknown["channel"] == "trades" and unknown["data"]["code"] == "UNKNOWN_CHANNEL"
    orders = _updates(seen)
    assert {m["event"] for m in orders} >= {"order.requested", "order.approved", "order.accepted"}
    assert {m["data"]["user_id"] for m in orders} == {result["alice"].id}
    assert all(m["timestamp"] and isinstance(m["id"], int) for m in orders)
    ids = [m["id"] for m in orders]
    assert ids == sorted(set(ids))

    bobs = _updates(result["bob_seen"])
    assert bobs and {m["data"]["user_id"] for m in bobs} == {result["bob"].id}

    # After unsubscribing, nothing of the second order came until the new subscription asked for it;
    # then everything after `last`, and nothing seen before it again.
    resumed: list[Message] = result["resumed"]
    again = next(
        i
        for i, m in enumerate(resumed)
        if m.get("event") == "ready" and m["data"]["lastEventId"] == result["last"]
    )
    assert all(m["data"].get("order_id") != result["second"] for m in _updates(resumed[:again]))
    after = _updates(resumed[again:])
    assert after and all(m["id"] > result["last"] for m in after)
    assert {m["data"]["order_id"] for m in after} == {result["second"]}


async def bots_of_their_own(stack: Stack) -> dict[str, Any]:
    async with httpx.AsyncClient(base_url=stack.url("gateway"), timeout=30) as http:
        api = Api(http, stack)
        alice, bob = await api.trader(name="alice"), await api.trader(name="bob")
        made = {}
        for who in (alice, bob):
            body = {
                "name": f"{who.email} 50-50",
                "strategy": "rebalancer",
                "venueId": who.account,
                "config": {"targets": {"BTC": "0.5", "USDT": "0.5"}},
                "dryRun": True,
            }
            answer = await http.post("/api/bots", json=body, headers=who.headers)
            assert answer.status_code == 201, answer.text
            made[who.id] = answer.json()["data"]["id"]
        sock = await _open(stack, alice)
        await sock.send({"type": "subscribe", "channel": "bots"})
        await sock.until(lambda seen: any(m.get("event") == "ready" for m in seen))
        for who in (bob, alice):  # bob's first: a leak would come before alice's
            started = await http.post(f"/api/bots/{made[who.id]}/start", headers=who.headers)
            assert started.status_code == 200, started.text
        seen = await sock.until(
            lambda seen: any(
                m["event"] == "bot.status" and m["data"]["bot_id"] == made[alice.id]
                for m in _updates(seen, "bots")
            )
        )
        await sock.close()
        return {"alice": alice, "bots": made, "seen": list(seen)}


def test_the_bots_channel_sends_a_user_their_own_bots_status_and_log(stack: Stack) -> None:
    stack.start(env=QUIET_ENV)

    result = run_async(lambda: bots_of_their_own(stack))

    alice = result["alice"]
    events = _updates(result["seen"], "bots")
    status = next(m for m in events if m["event"] == "bot.status")
    assert status["data"]["bot_id"] == result["bots"][alice.id]
    assert status["data"]["status"] == "Running" and status["data"]["previous"] == "Stopped"
    assert {m["data"]["user_id"] for m in events} == {alice.id}
    assert {m["event"] for m in events} <= {"bot.status", "bot.log"}


async def flood(stack: Stack) -> dict[str, Any]:
    """50 pings as fast as the client sends them, then one more after the window passed."""
    async with httpx.AsyncClient(base_url=stack.url("gateway"), timeout=30) as http:
        carol = await Api(http, stack).trader(name="carol")
    sock = await _open(stack, carol)
    for n in range(50):
        await sock.send({"type": "ping", "data": n})
    burst = list(await sock.until(lambda seen: len(seen) >= 50))
    await asyncio.sleep(1.5)
    await sock.send({"type": "ping", "data": "later"})
    later = await sock.until(lambda seen: any(m["type"] == "pong" and m["data"] == "later" for m in seen))
    await sock.close()
    return {"burst": burst, "later": later, "closed": sock.closed}


def test_a_websocket_client_sending_more_than_ten_messages_a_second_is_refused_the_rest(stack: Stack) -> None:
    stack.start(env=QUIET_ENV)

    result = run_async(lambda: flood(stack))

    pongs = [m for m in result["burst"] if m["type"] == "pong"]
    refused = [m for m in result["burst"] if m["type"] == "error"]
    assert 10 <= len(pongs) < 50  # the first ten of each second answered; the client is fast, not slow
    assert refused and {m["data"]["code"] for m in refused} == {"RATE_LIMITED"}
    assert len(pongs) + len(refused) == 50
    assert [m["data"] for m in pongs[:10]] == list(range(10))
    assert any(m["type"] == "pong" and m["data"] == "later" for m in result["later"])  # still open
