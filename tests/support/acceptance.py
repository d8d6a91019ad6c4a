"""Sync helpers for acceptance tests over the public HTTP API: a module's stack, users, venues, orders."""

from __future__ import annotations

import base64
import os
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import httpx

from tests.support.api import PASSWORD, TERMINAL, ok

WIDE_LIMITS = {
    "maxPositionPct": 10,
    "maxDailyTrades": 5000,
    "maxOrdersPerMinute": 600,
    "maxOrderNotional": "1000000",
}
"""As wide as the default platform ceilings let a trader set their own."""


@dataclass(frozen=True)
class User:
    id: str
    email: str
    headers: dict[str, str]


def login(api: httpx.Client, email: str, password: str) -> User:
    session = ok(api.post("/api/auth/login", json={"email": email, "password": password}))
    return User(session["user"]["id"], email, {"Authorization": f"Bearer {session['access_token']}"})


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


def new_secret() -> str:
    return base64.b64encode(os.urandom(64)).decode()


def connect_kraken(api: httpx.Client, user: User, api_key: str, secret: str) -> httpx.Response:
    """Connect a Kraken account; a 503 (execution still importing ccxt after a start) is retried, as a
    client would."""
    body = {"venue": "kraken", "apiKey": api_key, "secret": secret}
    answer: httpx.Response = eventually(
        lambda: api.post("/api/venues/connect", json=body, headers=user.headers),
        lambda response: response.status_code != 503,
    )
    return answer


def eventually(fetch: Callable[[], Any], done: Callable[[Any], bool], timeout: float = 30) -> Any:
    """Poll `fetch` until `done` says so or `timeout` passes; returns the last value for the assertion."""
    deadline = time.monotonic() + timeout
    while True:
        value = fetch()
        if done(value) or time.monotonic() > deadline:
            return value
        time.sleep(0.2)


def market(
    account: str, side: str = "Buy", quantity: str = "0.0001", symbol: str = "BTC/USDT"
) -> dict[str, str]:
    body = {"venueId": account, "symbol": symbol, "side": side, "type": "Market", "quantity": quantity}
    return body | {"clientOrderId": f"c-{uuid.uuid4().hex[:16]}"}


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


def settled(api: httpx.Client, user: User, order_id: str, timeout: float = 30) -> dict[str, Any]:
    """The order once it is terminal (or as it is when `timeout` passes)."""
    return eventually(lambda: order(api, user, order_id), lambda o: o["status"] in TERMINAL, timeout)  # type: ignore[no-any-return]


def balances(api: httpx.Client, user: User, account: str) -> dict[str, Decimal]:
    found = ok(api.get(f"/api/venues/{account}/balance", headers=user.headers))
    return {ccy: Decimal(v["total"]) for ccy, v in found.items()}
