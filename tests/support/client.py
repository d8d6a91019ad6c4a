"""The one API client of the tests and the bench: users, paper accounts, orders over real HTTP, and the
one `eventually` that fails with what it last saw.

Async tests use `Api` (httpx.AsyncClient); sync tests and worker threads use the module functions over an
httpx.Client. Both speak of the same `User` and the same order bodies.
"""

from __future__ import annotations

import asyncio
import base64
import inspect
import os
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass, replace
from decimal import ROUND_UP, Decimal
from typing import Any, TypeVar, overload
from uuid import UUID

import httpx

from tests.support.market import publish_ticker
from tests.support.servers import Stack

T = TypeVar("T")

PASSWORD = "Bench-password-42!"
TERMINAL = frozenset({"Filled", "Cancelled", "Rejected"})
PRICES = {"BTC/USDT": Decimal("65000"), "ETH/USDT": Decimal("3400"), "SOL/USDT": Decimal("150")}
"""Where the paper feed would start."""

WIDE_LIMITS = {
    "maxPositionPct": 10,
    "maxDailyTrades": 5000,
    "maxOrdersPerMinute": 600,
    "maxOrderNotional": "1000000",
}
"""As wide as the default platform ceilings let a trader set their own."""


@dataclass(frozen=True)
class User:
    """A logged-in user and the paper (or venue) accounts they connected, in order."""

    id: str
    email: str
    headers: dict[str, str]
    accounts: tuple[str, ...] = ()
    refresh: str = ""
    """The refresh token of their login."""

    @property
    def uuid(self) -> UUID:
        return UUID(self.id)

    @property
    def account(self) -> str:
        """Their first account ("" when they connected none)."""
        return self.accounts[0] if self.accounts else ""

    def with_account(self, account: str) -> User:
        return replace(self, accounts=(*self.accounts, account))


def _timed_out(fn: Callable[..., Any], timeout: float, last: Any) -> AssertionError:
    code = getattr(fn, "__code__", None)
    where = f" ({os.path.basename(code.co_filename)}:{code.co_firstlineno})" if code else ""
    what = getattr(fn, "__qualname__", repr(fn)) + where
    return AssertionError(f"not so after {timeout:g} s of polling {what}; it last returned {last!r}")


@overload
async def eventually(
    fn: Callable[[], Awaitable[T]], until: Callable[[T], object], timeout: float = 30
) -> T: ...


@overload
async def eventually(fn: Callable[[], T], until: Callable[[T], object], timeout: float = 30) -> T: ...


async def eventually(fn: Callable[[], Any], until: Callable[[Any], object], timeout: float = 30) -> Any:
    """Poll `fn` (sync or async) until `until(value)` holds and return that value; fails the test with
    the last value when `timeout` passes first."""
    deadline = time.monotonic() + timeout
    while True:
        value = fn()
        if inspect.isawaitable(value):
            value = await value
        if until(value):
            return value
        if time.monotonic() > deadline:
            raise _timed_out(fn, timeout, value)
        await asyncio.sleep(0.1)


def eventually_sync(fn: Callable[[], T], until: Callable[[T], object], timeout: float = 30) -> T:
    """`eventually` for sync tests and worker threads: the same contract, blocking between polls."""
    deadline = time.monotonic() + timeout
    while True:
        value = fn()
        if until(value):
            return value
        if time.monotonic() > deadline:
            raise _timed_out(fn, timeout, value)
        time.sleep(0.1)


def ok(response: httpx.Response) -> Any:
    """The envelope's data of a successful response (fails the test with the body otherwise)."""
    if response.status_code >= 400:
        request = response.request
        raise AssertionError(f"{request.method} {request.url} → {response.status_code} {response.text}")
    return response.json()["data"]


def market(
    account: str, side: str = "Buy", quantity: str = "0.0001", symbol: str = "BTC/USDT"
) -> dict[str, str]:
    """A market order with a fresh clientOrderId (so a retried POST is the same order)."""
    body = {"venueId": account, "symbol": symbol, "side": side, "type": "Market", "quantity": quantity}
    return body | {"clientOrderId": f"c-{uuid.uuid4().hex[:16]}"}


def resting_buy(
    account: str, symbol: str = "BTC/USDT", price: str | Decimal = "20000", qty: str = "0.001"
) -> dict[str, str]:
    """A limit buy far below the market, with a fresh clientOrderId: the venue accepts it and it rests."""
    body = {"venueId": account, "symbol": symbol, "side": "Buy", "type": "Limit", "quantity": qty}
    return body | {"price": str(price), "clientOrderId": f"b-{uuid.uuid4().hex[:16]}"}


def code_of(order: dict[str, Any]) -> str | None:
    """The reject code of a refused order (risk's or execution's), as the API gives it."""
    code = order.get("rejectCode")
    return str(code) if code is not None else None


def new_secret() -> str:
    return base64.b64encode(os.urandom(64)).decode()


def _bearer(session: dict[str, Any]) -> dict[str, str]:
    return {"Authorization": f"Bearer {session['access_token']}"}


class Api:
    """The gateway's public API as async tests and the bench use it; `stack` is needed only by
    `admin`, `prime` and `set_price`."""

    def __init__(self, http: httpx.AsyncClient, stack: Stack | None = None) -> None:
        self.http = http
        self._stack = stack

    @classmethod
    @asynccontextmanager
    async def on(
        cls, stack: Stack, timeout: float = 15, prices: Mapping[str, Decimal] | None = PRICES
    ) -> AsyncIterator[Api]:
        """An Api on the stack's gateway, its market primed at `prices` first (None: not primed)."""
        async with httpx.AsyncClient(base_url=stack.url("gateway"), timeout=timeout) as http:
            api = cls(http, stack)
            if prices is not None:
                await api.prime(prices)
            yield api

    @property
    def stack(self) -> Stack:
        assert self._stack is not None, "this Api was made without a stack"
        return self._stack

    async def login(self, email: str, password: str = PASSWORD) -> User:
        session = ok(await self.http.post("/api/auth/login", json={"email": email, "password": password}))
        return User(session["user"]["id"], email, _bearer(session), refresh=session["refresh_token"])

    async def admin(self) -> User:
        return await self.login(self.stack.admin_email, self.stack.admin_password)

    async def trader(
        self,
        balances: Mapping[str, str] | None = None,
        limits: Mapping[str, Any] | None = None,
        accounts: int = 1,
        name: str = "t",
    ) -> User:
        """A new trader with `accounts` paper accounts (default 100 000 USDT each) and, if given, their
        own limits."""
        email = f"{name}-{uuid.uuid4().hex[:10]}@example.com"
        ok(await self.http.post("/api/auth/register", json={"email": email, "password": PASSWORD}))
        user = await self.login(email, PASSWORD)
        body = {"venue": "paper", "initialBalances": dict(balances or {"USDT": "100000"})}
        for _ in range(accounts):
            answer = ok(await self.http.post("/api/venues/connect", json=body, headers=user.headers))
            user = user.with_account(answer["id"])
        if limits:
            await self.put_limits(user, **limits)
        return user

    async def put_limits(self, who: User, **limits: Any) -> dict[str, Any]:
        return ok(await self.http.put("/api/settings/trading", json=limits, headers=who.headers))  # type: ignore[no-any-return]

    async def put_limits_as_admin(self, admin: User, of: User, **limits: Any) -> dict[str, Any]:
        """An admin sets a trader's limits (beyond the platform ceilings a trader may set themselves)."""
        params = {"userId": of.id}
        answer = await self.http.put(
            "/api/settings/trading", json=limits, params=params, headers=admin.headers
        )
        return ok(answer)  # type: ignore[no-any-return]

    async def raise_rate_limits(self, admin: User, of: User, per_minute: int = 1_000_000) -> dict[str, Any]:
        """An admin lifts a user's gateway rate limits (`PUT /api/admin/users/{id}/rate-limits`)."""
        body = {
            "requestsPerMinute": per_minute,
            "tradingPerMinute": per_minute,
            "marketPerMinute": per_minute,
        }
        answer = await self.http.put(
            f"/api/admin/users/{of.id}/rate-limits", json=body, headers=admin.headers
        )
        return ok(answer)  # type: ignore[no-any-return]

    async def trading(self, who: User) -> dict[str, Any]:
        """`GET /api/settings/trading`: `{limits, state, timezone}`."""
        return ok(await self.http.get("/api/settings/trading", headers=who.headers))  # type: ignore[no-any-return]

    async def state(self, who: User) -> dict[str, Any]:
        return (await self.trading(who))["state"]  # type: ignore[no-any-return]

    async def state_when(
        self, who: User, done: Callable[[dict[str, Any]], bool], timeout: float = 20
    ) -> dict[str, Any]:
        """The risk state once `done` holds (fails the test when `timeout` passes first)."""
        return await eventually(lambda: self.state(who), done, timeout)

    async def place(self, who: User, body: Mapping[str, str]) -> dict[str, Any]:
        response = await self.http.post("/api/orders", json=dict(body), headers=who.headers)
        assert response.status_code == 202, response.text
        return response.json()["data"]["order"]  # type: ignore[no-any-return]

    async def order(self, who: User, order_id: str) -> dict[str, Any]:
        return ok(await self.http.get(f"/api/orders/{order_id}", headers=who.headers))  # type: ignore[no-any-return]

    async def orders(self, who: User) -> list[dict[str, Any]]:
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
        self, who: User, order_id: str, statuses: frozenset[str] | set[str], timeout: float = 20
    ) -> dict[str, Any]:
        """The order once its status is one of `statuses` (fails the test when `timeout` passes first)."""
        return await eventually(lambda: self.order(who, order_id), lambda o: o["status"] in statuses, timeout)

    async def settled(self, who: User, order_id: str, timeout: float = 20) -> dict[str, Any]:
        return await self.wait_status(who, order_id, TERMINAL, timeout)

    async def filled(self, who: User, body: Mapping[str, str]) -> dict[str, Any]:
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
                placed = await self.place(trader, market(trader.account, "Buy", str(spend), symbol))
                return await self.settled(trader, placed["id"])

            await eventually(try_buy, lambda o: o["status"] == "Filled")

    async def set_price(self, who: User, symbol: str, price: Decimal) -> None:
        """Publish a paper ticker and wait until the executors quote it."""
        await publish_ticker(self.stack.nats_url, symbol, price)

        async def quoted() -> Decimal | None:
            params = {"venueId": who.account}
            rows = ok(await self.http.get("/api/market/prices", params=params, headers=who.headers))
            return next((Decimal(r["price"]) for r in rows if r["symbol"] == symbol), None)

        await eventually(quoted, lambda p: p == price)


async def gather_limited(limit: int, coros: list[Any]) -> list[Any]:
    gate = asyncio.Semaphore(limit)

    async def one(coro: Any) -> Any:
        async with gate:
            return await coro

    return await asyncio.gather(*(one(c) for c in coros))


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


# The same API for sync tests and worker threads, over an httpx.Client.


def login(api: httpx.Client, email: str, password: str = PASSWORD) -> User:
    session = ok(api.post("/api/auth/login", json={"email": email, "password": password}))
    return User(session["user"]["id"], email, _bearer(session), refresh=session["refresh_token"])


def register(api: httpx.Client, limits: Mapping[str, Any] | None = WIDE_LIMITS) -> User:
    """A new trader, with risk limits wide enough that the tests measure the path, not the caps."""
    email = f"t-{uuid.uuid4().hex[:10]}@example.com"
    ok(api.post("/api/auth/register", json={"email": email, "password": PASSWORD}))
    user = login(api, email, PASSWORD)
    if limits:
        ok(api.put("/api/settings/trading", json=dict(limits), headers=user.headers))
    return user


def connect_paper(api: httpx.Client, user: User, balances: Mapping[str, str]) -> str:
    body = {"venue": "paper", "initialBalances": dict(balances)}
    return ok(api.post("/api/venues/connect", json=body, headers=user.headers))["id"]  # type: ignore[no-any-return]


def connect_kraken(api: httpx.Client, user: User, api_key: str, secret: str) -> httpx.Response:
    """Connect a Kraken account; a 503 (execution still importing ccxt after a start) is retried, as a
    client would."""
    body = {"venue": "kraken", "apiKey": api_key, "secret": secret}
    return eventually_sync(
        lambda: api.post("/api/venues/connect", json=body, headers=user.headers),
        lambda response: response.status_code != 503,
    )


def place(api: httpx.Client, user: User, body: Mapping[str, str]) -> dict[str, Any]:
    response = api.post("/api/orders", json=dict(body), headers=user.headers)
    assert response.status_code == 202, response.text
    return response.json()["data"]["order"]  # type: ignore[no-any-return]


def order(api: httpx.Client, user: User, order_id: str) -> dict[str, Any]:
    return ok(api.get(f"/api/orders/{order_id}", headers=user.headers))  # type: ignore[no-any-return]


def orders_of(api: httpx.Client, user: User) -> list[dict[str, Any]]:
    """Every order of the user (all pages)."""
    found: list[dict[str, Any]] = []
    page = 1
    while True:
        response = api.get("/api/orders", params={"page": page, "pageSize": 100}, headers=user.headers)
        batch = ok(response)
        found.extend(batch)
        if len(batch) < 100:
            return found
        page += 1


def wait_status(
    api: httpx.Client, user: User, order_id: str, statuses: frozenset[str] | set[str], timeout: float = 30
) -> dict[str, Any]:
    """The order once its status is one of `statuses` (fails the test when `timeout` passes first)."""
    return eventually_sync(lambda: order(api, user, order_id), lambda o: o["status"] in statuses, timeout)


def settled(api: httpx.Client, user: User, order_id: str, timeout: float = 30) -> dict[str, Any]:
    """The order once it is terminal (fails the test when `timeout` passes first)."""
    return wait_status(api, user, order_id, TERMINAL, timeout)


def balances(api: httpx.Client, user: User, account: str) -> dict[str, Decimal]:
    """Each currency's total."""
    return {ccy: v["total"] for ccy, v in balance_parts(api, user, account).items()}


def balance_parts(api: httpx.Client, user: User, account: str) -> dict[str, dict[str, Decimal]]:
    """Each currency's `free`, `used` and `total`."""
    found = ok(api.get(f"/api/venues/{account}/balance", headers=user.headers))
    return {ccy: {part: Decimal(v[part]) for part in ("free", "used", "total")} for ccy, v in found.items()}
