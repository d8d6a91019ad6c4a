"""Async helpers for acceptance tests through the public HTTP API of a real stack shared by a module."""

from __future__ import annotations

import asyncio
import inspect
import time
import uuid
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from decimal import ROUND_UP, Decimal
from typing import Any

import httpx

from tests.support.api import PASSWORD, TERMINAL, ok
from tests.support.market import publish_ticker
from tests.support.servers import Stack

PRICES = {"BTC/USDT": Decimal("65000"), "ETH/USDT": Decimal("3400"), "SOL/USDT": Decimal("150")}
"""Where the paper feed would start."""


@dataclass(frozen=True)
class Person:
    """A logged-in user; `account` is their paper account when they connected one."""

    id: str
    email: str
    headers: dict[str, str]
    account: str = ""


async def eventually(
    fetch: Callable[[], Awaitable[Any] | Any], done: Callable[[Any], bool], timeout: float = 20
) -> Any:
    """Poll `fetch` (sync or async) until `done` says so or `timeout` passes; returns the last value."""
    deadline = time.monotonic() + timeout
    while True:
        value = fetch()
        if inspect.isawaitable(value):
            value = await value
        if done(value) or time.monotonic() > deadline:
            return value
        await asyncio.sleep(0.1)


def resting_buy(
    account: str, symbol: str = "BTC/USDT", price: str = "20000", qty: str = "0.001"
) -> dict[str, str]:
    """A limit buy far below the market: the venue accepts it and it rests."""
    return {
        "venueId": account,
        "symbol": symbol,
        "side": "Buy",
        "type": "Limit",
        "quantity": qty,
        "price": price,
    }


def market(account: str, side: str, quantity: str, symbol: str = "BTC/USDT") -> dict[str, str]:
    return {"venueId": account, "symbol": symbol, "side": side, "type": "Market", "quantity": quantity}


def code_of(order: dict[str, Any]) -> str | None:
    """The reject code of a refused order (`CODE: why` in rejectReason from risk, error from execution)."""
    text = order.get("rejectReason") or order.get("error")
    return text.split(":", 1)[0] if text else None


class Api:
    """The gateway's public API as the tests use it."""

    def __init__(self, http: httpx.AsyncClient, stack: Stack) -> None:
        self.http = http
        self.stack = stack

    async def login(self, email: str, password: str) -> Person:
        session = ok(await self.http.post("/api/auth/login", json={"email": email, "password": password}))
        return Person(session["user"]["id"], email, {"Authorization": f"Bearer {session['access_token']}"})

    async def admin(self) -> Person:
        return await self.login(self.stack.admin_email, self.stack.admin_password)

    async def trader(
        self, balances: Mapping[str, str] | None = None, limits: Mapping[str, Any] | None = None
    ) -> Person:
        """A new trader with one paper account (default 100 000 USDT) and, if given, their own limits."""
        email = f"t-{uuid.uuid4().hex[:10]}@example.com"
        ok(await self.http.post("/api/auth/register", json={"email": email, "password": PASSWORD}))
        person = await self.login(email, PASSWORD)
        body = {"venue": "paper", "initialBalances": dict(balances or {"USDT": "100000"})}
        account = ok(await self.http.post("/api/venues/connect", json=body, headers=person.headers))["id"]
        if limits:
            await self.put_limits(person, **limits)
        return Person(person.id, email, person.headers, account)

    async def put_limits(self, who: Person, **limits: Any) -> dict[str, Any]:
        return ok(await self.http.put("/api/settings/trading", json=limits, headers=who.headers))  # type: ignore[no-any-return]

    async def trading(self, who: Person) -> dict[str, Any]:
        """`GET /api/settings/trading`: `{limits, state, timezone}`."""
        return ok(await self.http.get("/api/settings/trading", headers=who.headers))  # type: ignore[no-any-return]

    async def state(self, who: Person) -> dict[str, Any]:
        return (await self.trading(who))["state"]  # type: ignore[no-any-return]

    async def state_when(
        self, who: Person, done: Callable[[dict[str, Any]], bool], timeout: float = 20
    ) -> dict[str, Any]:
        """The risk state once `done` holds (or as it is when `timeout` passes)."""
        return await eventually(lambda: self.state(who), done, timeout)  # type: ignore[no-any-return]

    async def place(self, who: Person, body: Mapping[str, str]) -> dict[str, Any]:
        response = await self.http.post("/api/orders", json=dict(body), headers=who.headers)
        assert response.status_code == 202, response.text
        return response.json()["data"]["order"]  # type: ignore[no-any-return]

    async def order(self, who: Person, order_id: str) -> dict[str, Any]:
        return ok(await self.http.get(f"/api/orders/{order_id}", headers=who.headers))  # type: ignore[no-any-return]

    async def orders(self, who: Person) -> list[dict[str, Any]]:
        """Every order of the user (all pages)."""
        found: list[dict[str, Any]] = []
        page = 1
        while True:
            params = {"page": page, "pageSize": 100}
            batch = ok(await self.http.get("/api/orders", params=params, headers=who.headers))
            found.extend(batch)
            if len(batch) < 100:
                return found
            page += 1

    async def wait_status(
        self, who: Person, order_id: str, statuses: frozenset[str] | set[str], timeout: float = 20
    ) -> dict[str, Any]:
        """The order once its status is one of `statuses` (or as it is when `timeout` passes)."""
        return await eventually(  # type: ignore[no-any-return]
            lambda: self.order(who, order_id), lambda o: o["status"] in statuses, timeout
        )

    async def settled(self, who: Person, order_id: str, timeout: float = 20) -> dict[str, Any]:
        return await self.wait_status(who, order_id, TERMINAL, timeout)

    async def filled(self, who: Person, body: Mapping[str, str]) -> dict[str, Any]:
        """Place an order and return it once it is terminal (asserting it filled)."""
        done = await self.settled(who, (await self.place(who, body))["id"])
        assert done["status"] == "Filled", done
        return done

    async def prime(self, prices: Mapping[str, Decimal]) -> None:
        """Set the first prices and wait until a market order in each symbol fills: risk judges market
        orders at the last ticker it heard, and a fresh replica rejects them until it heard one."""
        trader = await self.trader()
        for symbol, price in prices.items():
            await self.set_price(trader, symbol, price)
            spend = (Decimal(10) / price).quantize(Decimal("0.001"), rounding=ROUND_UP)

            async def try_buy(symbol: str = symbol, spend: Decimal = spend) -> dict[str, Any]:
                return await self.settled(
                    trader,
                    (await self.place(trader, market(trader.account, "Buy", str(spend), symbol)))["id"],
                )

            done = await eventually(try_buy, lambda o: o["status"] == "Filled")
            assert done["status"] == "Filled", done

    async def set_price(self, who: Person, symbol: str, price: Decimal) -> None:
        """Publish a paper ticker and wait until the executors quote it."""
        await publish_ticker(self.stack.nats_url, symbol, price)

        async def quoted() -> Decimal | None:
            params = {"venueId": who.account}
            rows = ok(await self.http.get("/api/market/prices", params=params, headers=who.headers))
            return next((Decimal(r["price"]) for r in rows if r["symbol"] == symbol), None)

        assert await eventually(quoted, lambda p: p == price) == price


async def metric(base_url: str, name: str) -> float | None:
    """A label-less sample of a service's /metrics, or None when it is not exported (or unreachable)."""
    try:
        async with httpx.AsyncClient(base_url=base_url, timeout=5) as http:
            text = (await http.get("/metrics")).text
    except httpx.TransportError:
        return None
    for line in text.splitlines():
        sample, _, value = line.partition(" ")
        if sample == name:
            return float(value)
    return None
