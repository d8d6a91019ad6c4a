"""Orders end to end through the public API, on the real stack: gateway, risk, execution, pnl, notifier."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal

import httpx
import pytest

from tests.support.client import (
    balance_parts,
    balances,
    connect_paper,
    eventually_sync,
    market,
    ok,
    place,
    register,
    resting_buy,
    wait_status,
)
from tests.support.market import publish_ticker
from tests.support.servers import QUIET_ENV, Stack, run_async

pytestmark = pytest.mark.integration

PAPER_FEE_TAKER = Decimal("0.002")


@pytest.fixture
def api(stack: Stack) -> Iterator[httpx.Client]:
    stack.start(env=QUIET_ENV)
    with httpx.Client(base_url=stack.url("gateway"), timeout=15) as client:
        yield client


def test_market_buy_fills_and_moves_the_paper_balance_exactly(api: httpx.Client, stack: Stack) -> None:
    run_async(lambda: publish_ticker(stack.nats_url, "BTC/USDT", Decimal("65000")))
    user = register(api, limits=None)
    account = connect_paper(api, user, {"USDT": "10000"})
    before = balances(api, user, account)

    placed = place(api, user, market(account, "Buy", "0.005"))
    filled = wait_status(api, user, placed["id"], {"Filled"})

    assert filled["status"] == "Filled"
    price, fee, qty = (
        Decimal(filled["averagePrice"]),
        Decimal(filled["fee"]),
        Decimal(filled["filledQuantity"]),
    )
    assert qty == Decimal("0.005")
    assert fee == qty * price * PAPER_FEE_TAKER
    after = eventually_sync(lambda: balances(api, user, account), lambda b: b.get("BTC", 0) > 0)
    assert after["BTC"] == qty
    assert before["USDT"] - after["USDT"] == qty * price + fee


def test_limit_order_rests_then_fills_when_the_feed_crosses_it(api: httpx.Client, stack: Stack) -> None:
    run_async(lambda: publish_ticker(stack.nats_url, "ETH/USDT", Decimal("3400")))
    user = register(api, limits=None)
    account = connect_paper(api, user, {"USDT": "10000"})

    placed = place(api, user, resting_buy(account, "ETH/USDT", price="3300", qty="0.1"))
    resting = wait_status(api, user, placed["id"], {"Open"})
    assert resting["status"] == "Open", resting

    run_async(lambda: publish_ticker(stack.nats_url, "ETH/USDT", Decimal("3290")))
    filled = wait_status(api, user, placed["id"], {"Filled"})
    assert filled["status"] == "Filled"
    assert Decimal(filled["averagePrice"]) == Decimal("3300")


def test_a_resting_order_can_be_cancelled(api: httpx.Client, stack: Stack) -> None:
    run_async(lambda: publish_ticker(stack.nats_url, "SOL/USDT", Decimal("150")))
    user = register(api, limits=None)
    account = connect_paper(api, user, {"USDT": "10000"})
    placed = place(api, user, resting_buy(account, "SOL/USDT", price="100", qty="1"))
    wait_status(api, user, placed["id"], {"Open"})
    reserved = Decimal(100) * (1 + PAPER_FEE_TAKER)  # the limit price and the taker fee, held while it rests
    held = eventually_sync(lambda: balance_parts(api, user, account)["USDT"], lambda b: b["used"] > 0)
    assert held == {"free": 10000 - reserved, "used": reserved, "total": 10000}

    assert api.delete(f"/api/orders/{placed['id']}", headers=user.headers).status_code == 202
    cancelled = wait_status(api, user, placed["id"], {"Cancelled"})

    assert cancelled["status"] == "Cancelled"
    released = eventually_sync(lambda: balance_parts(api, user, account)["USDT"], lambda b: b["used"] == 0)
    assert released == {"free": 10000, "used": 0, "total": 10000}


def test_another_user_sees_404_for_my_account_and_order(api: httpx.Client, stack: Stack) -> None:
    run_async(lambda: publish_ticker(stack.nats_url, "SOL/USDT", Decimal("150")))
    owner, other = register(api, limits=None), register(api, limits=None)
    account = connect_paper(api, owner, {"USDT": "1000"})
    placed = place(api, owner, resting_buy(account, "SOL/USDT", price="100", qty="1"))

    assert api.get(f"/api/venues/{account}", headers=other.headers).status_code == 404
    assert api.get(f"/api/venues/{account}/balance", headers=other.headers).status_code == 404
    assert api.get(f"/api/orders/{placed['id']}", headers=other.headers).status_code == 404
    assert api.delete(f"/api/orders/{placed['id']}", headers=other.headers).status_code == 404
    body = resting_buy(account, "SOL/USDT", price="100", qty="1")
    assert api.post("/api/orders", json=body, headers=other.headers).status_code == 404


def test_the_same_client_order_id_twice_is_one_order(api: httpx.Client, stack: Stack) -> None:
    user = register(api, limits=None)
    account = connect_paper(api, user, {"USDT": "1000"})
    body = resting_buy(account, "SOL/USDT", price="100", qty="1") | {"clientOrderId": "my-order-1"}

    first = api.post("/api/orders", json=body, headers=user.headers).json()["data"]["order"]
    second = api.post("/api/orders", json=body, headers=user.headers).json()["data"]["order"]

    assert first["id"] == second["id"]
    assert ok(api.get("/api/orders", headers=user.headers)).__len__() == 1
