"""Numbers with huge exponents or too many digits are refused at the edge with 422, through the public API
on the real stack, while the gateway keeps answering: an 11-byte amount must not stall or exhaust it."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Callable, Coroutine
from typing import Any

import httpx
import pytest

from tests.support.client import Api, User
from tests.support.servers import Stack, shared_stack

pytestmark = [pytest.mark.integration, pytest.mark.timeout(120)]

HUGE = ["1e100000000", "9" * 31, "0." + "1" * 41, "NaN", "Infinity"]


stack = shared_stack("huge-numbers")


@pytest.fixture(scope="module")
async def api(stack: Stack) -> AsyncIterator[Api]:
    async with Api.on(stack, timeout=30, prices=None) as api:
        yield api


@pytest.fixture(scope="module")
async def trader(api: Api) -> User:
    return await api.trader()


async def refused_while_healthy(
    api: Api, send: Callable[[], Coroutine[Any, Any, httpx.Response]]
) -> tuple[httpx.Response, list[int]]:
    """`send`'s answer, and the /healthz statuses seen while it was being handled."""
    answer = asyncio.create_task(send())
    health: list[int] = []
    while not answer.done() or not health:
        health.append((await api.http.get("/healthz")).status_code)
        await asyncio.sleep(0.05)
    return await answer, health


def assert_validation_error(response: httpx.Response, field: str) -> None:
    assert response.status_code == 422, response.text
    error: dict[str, Any] = response.json()["error"]
    assert error["code"] == "VALIDATION_ERROR"
    assert field in {f["field"].split(".")[0] for f in error["details"]["fields"]}, error


@pytest.mark.parametrize("amount", HUGE)
async def test_trading_limit_with_a_huge_number_is_refused_while_healthz_answers(
    api: Api, trader: User, amount: str
) -> None:
    body = {"maxOrderNotional": amount}

    response, health = await refused_while_healthy(
        api, lambda: api.http.put("/api/settings/trading", json=body, headers=trader.headers)
    )

    assert_validation_error(response, "maxOrderNotional")
    assert set(health) == {200}
    assert (await api.trading(trader))["limits"]["maxOrderNotional"] != amount


@pytest.mark.parametrize("field", ["quantity", "price"])
async def test_order_with_a_huge_quantity_or_price_is_refused(api: Api, trader: User, field: str) -> None:
    body = {
        "venueId": trader.account,
        "symbol": "BTC/USDT",
        "side": "Buy",
        "type": "Limit",
        "quantity": "0.001",
        "price": "20000",
        "clientOrderId": f"huge-{uuid.uuid4().hex[:12]}",
    } | {field: "1e100000000"}

    response, health = await refused_while_healthy(
        api, lambda: api.http.post("/api/orders", json=body, headers=trader.headers)
    )

    assert_validation_error(response, field)
    assert set(health) == {200}


@pytest.mark.parametrize("amount", HUGE)
async def test_paper_account_with_a_huge_initial_balance_is_refused(
    api: Api, trader: User, amount: str
) -> None:
    body = {"venue": "paper", "initialBalances": {"USDT": amount}}

    response, health = await refused_while_healthy(
        api, lambda: api.http.post("/api/venues/connect", json=body, headers=trader.headers)
    )

    assert_validation_error(response, "initialBalances")
    assert set(health) == {200}
    accounts = (await api.http.get("/api/venues", headers=trader.headers)).json()["data"]
    assert [a["id"] for a in accounts] == [trader.account]


async def test_initial_balance_of_an_unknown_currency_code_is_refused(api: Api, trader: User) -> None:
    body = {"venue": "paper", "initialBalances": {"X" * 17: "1"}}

    response = await api.http.post("/api/venues/connect", json=body, headers=trader.headers)

    assert_validation_error(response, "initialBalances")
