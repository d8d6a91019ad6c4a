"""A small API client for benchmarks and acceptance tests: users, paper accounts, orders, over real HTTP."""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import httpx

PASSWORD = "Bench-password-42!"


@dataclass
class Trader:
    user_id: str
    email: str
    token: str
    accounts: list[str]

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


TERMINAL = frozenset({"Filled", "Cancelled", "Rejected"})


def ok(response: httpx.Response) -> Any:
    """The envelope's data of a successful response (fails the test with the body otherwise)."""
    assert response.status_code < 400, f"{response.request.method} {response.request.url}: {response.text}"
    return response.json()["data"]


def data(response: httpx.Response) -> Any:
    if response.status_code >= 400:
        raise AssertionError(
            f"{response.request.method} {response.request.url} → {response.status_code} {response.text}"
        )
    return response.json()["data"]


async def login(http: httpx.AsyncClient, email: str, password: str) -> dict[str, Any]:
    return data(await http.post("/api/auth/login", json={"email": email, "password": password}))  # type: ignore[no-any-return]


async def new_trader(
    http: httpx.AsyncClient, accounts: int = 1, balances: dict[str, str] | None = None, name: str = "bench"
) -> Trader:
    email = f"{name}-{uuid.uuid4().hex[:10]}@example.com"
    await http.post("/api/auth/register", json={"email": email, "password": PASSWORD, "name": name})
    session = await login(http, email, PASSWORD)
    trader = Trader(session["user"]["id"], email, session["access_token"], [])
    for _ in range(accounts):
        body = {"venue": "paper", "initialBalances": balances or {"USDT": "1000000", "BTC": "10"}}
        account = data(await http.post("/api/venues/connect", json=body, headers=trader.headers))
        trader.accounts.append(account["id"])
    return trader


async def relax_limits(http: httpx.AsyncClient, admin: dict[str, Any], trader: Trader) -> None:
    """Caps wide enough that a benchmark measures the path, not the risk rules: beyond the platform
    ceilings, so an admin (`admin` is their login answer) sets them for the trader."""
    body = {"maxDailyTrades": 10000, "maxOrdersPerMinute": 10000, "maxOrderNotional": "1000000"}
    headers = {"Authorization": f"Bearer {admin['access_token']}"}
    params = {"userId": trader.user_id}
    data(await http.put("/api/settings/trading", json=body, params=params, headers=headers))


def resting_limit(account: str, i: int, price: Decimal = Decimal("20000")) -> dict[str, Any]:
    """A buy far below the market: accepted by the venue, rests, never fills."""
    return {
        "venueId": account,
        "symbol": "BTC/USDT",
        "side": "Buy",
        "type": "Limit",
        "quantity": "0.001",
        "price": str(price),
        "clientOrderId": f"b{i}-{uuid.uuid4().hex[:12]}",
    }


async def gather_limited(limit: int, coros: list[Any]) -> list[Any]:
    gate = asyncio.Semaphore(limit)

    async def one(coro: Any) -> Any:
        async with gate:
            return await coro

    return await asyncio.gather(*(one(c) for c in coros))
