"""Orders end to end through the public API, on the real stack: gateway, risk, execution, pnl, notifier."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Iterator
from decimal import Decimal
from typing import Any

import httpx
import pytest

from tests.support.api import PASSWORD
from tests.support.market import publish_ticker
from tests.support.servers import Stack, run_async

pytestmark = pytest.mark.integration

PAPER_FEE_TAKER = Decimal("0.002")


@pytest.fixture
def api(stack: Stack) -> Iterator[httpx.Client]:
    stack.start(env={"TP_FEED_ENABLED": "false", "TP_RISK_HEARTBEAT_TIMEOUT_SECONDS": "0"})
    with httpx.Client(base_url=stack.url("gateway"), timeout=15) as client:
        yield client


def ok(response: httpx.Response) -> Any:
    assert response.status_code < 400, f"{response.status_code} {response.text}"
    return response.json()["data"]


def register(api: httpx.Client) -> dict[str, str]:
    email = f"t-{uuid.uuid4().hex[:8]}@example.com"
    ok(api.post("/api/auth/register", json={"email": email, "password": PASSWORD}))
    token = ok(api.post("/api/auth/login", json={"email": email, "password": PASSWORD}))["access_token"]
    return {"Authorization": f"Bearer {token}"}


def connect_paper(api: httpx.Client, user: dict[str, str], balances: dict[str, str]) -> str:
    return ok(
        api.post("/api/venues/connect", json={"venue": "paper", "initialBalances": balances}, headers=user)
    )["id"]  # type: ignore[no-any-return]


def eventually(fetch: Callable[[], Any], done: Callable[[Any], bool], timeout: float = 20) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = fetch()
        if done(value) or time.monotonic() > deadline:
            return value
        time.sleep(0.1)


def order(api: httpx.Client, user: dict[str, str], order_id: str) -> dict[str, Any]:
    return ok(api.get(f"/api/orders/{order_id}", headers=user))  # type: ignore[no-any-return]


def balances(api: httpx.Client, user: dict[str, str], account: str) -> dict[str, Decimal]:
    data = ok(api.get(f"/api/venues/{account}/balance", headers=user))
    return {ccy: Decimal(v["total"]) for ccy, v in data.items()}


def place(api: httpx.Client, user: dict[str, str], **body: str) -> dict[str, Any]:
    response = api.post("/api/orders", json=body, headers=user)
    assert response.status_code == 202, response.text
    return response.json()["data"]["order"]  # type: ignore[no-any-return]


def test_market_buy_fills_and_moves_the_paper_balance_exactly(api: httpx.Client, stack: Stack) -> None:
    run_async(lambda: publish_ticker(stack.nats_url, "BTC/USDT", Decimal("65000")))
    user = register(api)
    account = connect_paper(api, user, {"USDT": "10000"})
    before = balances(api, user, account)

    placed = place(api, user, venueId=account, symbol="BTC/USDT", side="Buy", type="Market", quantity="0.005")
    filled = eventually(lambda: order(api, user, placed["id"]), lambda o: o["status"] == "Filled")

    assert filled["status"] == "Filled"
    price, fee, qty = (
        Decimal(filled["averagePrice"]),
        Decimal(filled["fee"]),
        Decimal(filled["filledQuantity"]),
    )
    assert qty == Decimal("0.005")
    assert fee == qty * price * PAPER_FEE_TAKER
    after = eventually(lambda: balances(api, user, account), lambda b: b.get("BTC", 0) > 0)
    assert after["BTC"] == qty
    assert before["USDT"] - after["USDT"] == qty * price + fee


def test_limit_order_rests_then_fills_when_the_feed_crosses_it(api: httpx.Client, stack: Stack) -> None:
    run_async(lambda: publish_ticker(stack.nats_url, "ETH/USDT", Decimal("3400")))
    user = register(api)
    account = connect_paper(api, user, {"USDT": "10000"})

    placed = place(
        api, user, venueId=account, symbol="ETH/USDT", side="Buy", type="Limit", quantity="0.1", price="3300"
    )
    resting = eventually(lambda: order(api, user, placed["id"]), lambda o: o["status"] == "Open")
    assert resting["status"] == "Open", resting

    run_async(lambda: publish_ticker(stack.nats_url, "ETH/USDT", Decimal("3290")))
    filled = eventually(lambda: order(api, user, placed["id"]), lambda o: o["status"] == "Filled")
    assert filled["status"] == "Filled"
    assert Decimal(filled["averagePrice"]) == Decimal("3300")


def test_a_resting_order_can_be_cancelled(api: httpx.Client, stack: Stack) -> None:
    run_async(lambda: publish_ticker(stack.nats_url, "SOL/USDT", Decimal("150")))
    user = register(api)
    account = connect_paper(api, user, {"USDT": "10000"})
    placed = place(
        api, user, venueId=account, symbol="SOL/USDT", side="Buy", type="Limit", quantity="1", price="100"
    )
    eventually(lambda: order(api, user, placed["id"]), lambda o: o["status"] == "Open")

    assert api.delete(f"/api/orders/{placed['id']}", headers=user).status_code == 202
    cancelled = eventually(lambda: order(api, user, placed["id"]), lambda o: o["status"] == "Cancelled")

    assert cancelled["status"] == "Cancelled"
    assert eventually(lambda: balances(api, user, account), lambda b: b["USDT"] == 10000)["USDT"] == 10000


def test_another_user_sees_404_for_my_account_and_order(api: httpx.Client, stack: Stack) -> None:
    run_async(lambda: publish_ticker(stack.nats_url, "SOL/USDT", Decimal("150")))
    owner, other = register(api), register(api)
    account = connect_paper(api, owner, {"USDT": "1000"})
    placed = place(
        api, owner, venueId=account, symbol="SOL/USDT", side="Buy", type="Limit", quantity="1", price="100"
    )

    assert api.get(f"/api/venues/{account}", headers=other).status_code == 404
    assert api.get(f"/api/venues/{account}/balance", headers=other).status_code == 404
    assert api.get(f"/api/orders/{placed['id']}", headers=other).status_code == 404
    assert api.delete(f"/api/orders/{placed['id']}", headers=other).status_code == 404
    body = {
        "venueId": account,
        "symbol": "SOL/USDT",
        "side": "Buy",
        "type": "Limit",
        "quantity": "1",
        "price": "100",
    }
    assert api.post("/api/orders", json=body, headers=other).status_code == 404


def test_the_same_client_order_id_twice_is_one_order(api: httpx.Client, stack: Stack) -> None:
    user = register(api)
    account = connect_paper(api, user, {"USDT": "1000"})
    body = {
        "venueId": account,
        "symbol": "SOL/USDT",
        "side": "Buy",
        "type": "Limit",
        "quantity": "1",
        "price": "100",
        "clientOrderId": "my-order-1",
    }

    first = api.post("/api/orders", json=body, headers=user).json()["data"]["order"]
    second = api.post("/api/orders", json=body, headers=user).json()["data"]["order"]

    assert first["id"] == second["id"]
    assert ok(api.get("/api/orders", headers=user)).__len__() == 1
