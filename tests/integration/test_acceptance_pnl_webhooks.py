"""PnL and trade webhooks end to end through the public API on the real stack: a round trip (buy, the
price moves, sell) books the trade the fills imply, every view agrees on it, and a user's webhook
receives the signed entry and exit."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pytest
from standardwebhooks.webhooks import Webhook

from tests.support.client import Api, User, eventually, market, ok
from tests.support.servers import Stack, shared_stack
from tests.support.webhook_receiver import WebhookReceiver, receiver_fixture

pytestmark = [pytest.mark.integration, pytest.mark.timeout(120)]

START = Decimal("100000")


stack = shared_stack("pnl-acceptance")


receiver = receiver_fixture()


@pytest.fixture(scope="module")
async def api(stack: Stack) -> AsyncIterator[Api]:
    async with Api.on(stack) as api:
        yield api


@dataclass(frozen=True)
class RoundTrip:
    buy: dict[str, Any]
    sell: dict[str, Any]

    @property
    def gross(self) -> Decimal:
        quantity = Decimal(self.buy["filledQuantity"])
        return (Decimal(self.sell["averagePrice"]) - Decimal(self.buy["averagePrice"])) * quantity

    @property
    def fees(self) -> Decimal:
        return Decimal(self.buy["fee"]) + Decimal(self.sell["fee"])

    @property
    def net(self) -> Decimal:
        return self.gross - self.fees


async def round_trip(api: Api, trader: User, symbol: str, quantity: str, entry: str, exit_: str) -> RoundTrip:
    """Buy at `entry`, move the market to `exit_`, sell the same quantity: one closed long trade."""
    await api.set_price(trader, symbol, Decimal(entry))
    buy = await api.filled(trader, market(trader.account, "Buy", quantity, symbol))
    await api.set_price(trader, symbol, Decimal(exit_))
    sell = await api.filled(trader, market(trader.account, "Sell", quantity, symbol))
    return RoundTrip(buy, sell)


async def get(api: Api, who: User, path: str) -> Any:
    return ok(await api.http.get(path, headers=who.headers))


@pytest.fixture
async def booked(api: Api) -> tuple[User, RoundTrip]:
    """A trader whose round trip in BTC is closed and booked."""
    trader = await api.trader({"USDT": str(START)})
    trip = await round_trip(api, trader, "BTC/USDT", "0.05", "60000", "61000")
    await eventually(lambda: get(api, trader, "/api/pnl/trades"), lambda trades: len(trades) == 1)
    return trader, trip


async def test_closed_trade_carries_the_pnl_the_fills_imply(api: Api, booked: tuple[User, RoundTrip]) -> None:
    trader, trip = booked

    [trade] = await get(api, trader, "/api/pnl/trades")

    assert (trade["symbol"], trade["side"], Decimal(trade["quantity"])) == (
        "BTC/USDT",
        "long",
        Decimal("0.05"),
    )
    assert Decimal(trade["entryPrice"]) == Decimal(trip.buy["averagePrice"])
    assert Decimal(trade["exitPrice"]) == Decimal(trip.sell["averagePrice"])
    assert (Decimal(trade["fees"]), Decimal(trade["pnlUsd"])) == (trip.fees, trip.net)
    assert trip.net > 0


async def test_pnl_summary_and_portfolio_agree_on_the_round_trip(
    api: Api, booked: tuple[User, RoundTrip]
) -> None:
    trader, trip = booked

    summary = await get(api, trader, "/api/pnl")
    portfolio = await get(api, trader, "/api/portfolio")

    figures = ("realizedPnl", "unrealizedPnl", "fees")
    assert [Decimal(summary[f]) for f in figures] == [trip.gross, 0, trip.fees]
    assert [Decimal(portfolio[f]) for f in figures] == [Decimal(summary[f]) for f in figures]
    assert (summary["totalTrades"], summary["winningTrades"], summary["losingTrades"]) == (1, 1, 0)
    assert (Decimal(portfolio["totalValue"]), portfolio["positions"]) == (START + trip.net, [])
    assert Decimal(portfolio["dailyPnL"]) == trip.net


async def test_risk_state_sees_the_round_trips_pnl(api: Api, booked: tuple[User, RoundTrip]) -> None:
    trader, trip = booked

    state = await api.state_when(trader, lambda s: Decimal(s["dailyPnl"]) == trip.net)

    assert Decimal(state["dailyPnl"]) == trip.net
    assert state["tradesToday"] == 2


async def test_webhook_receives_the_signed_entry_and_exit_of_a_round_trip(
    api: Api, receiver: WebhookReceiver
) -> None:
    trader = await api.trader()
    path = f"trades-{trader.id}"
    body = {"url": receiver.url(path), "events": ["trade_entry", "trade_exit"]}
    created = await api.http.post("/api/webhooks", json=body, headers=trader.headers)
    assert created.status_code == 201, created.text
    endpoint = created.json()["data"]

    trip = await round_trip(api, trader, "ETH/USDT", "0.5", "3400", "3300")
    await eventually(lambda: receiver.types(path), lambda types: "trade_exit" in types)
    log = await eventually(
        lambda: get(api, trader, f"/api/webhooks/{endpoint['id']}/deliveries"),
        lambda rows: len(rows) >= 2 and all(r["status"] != "pending" for r in rows),
    )

    assert sorted(r["type"] for r in log) == ["trade_entry", "trade_exit"]
    payloads = [Webhook(endpoint["secret"]).verify(d.body, d.headers) for d in receiver.at(path)]
    [entry] = [p["data"] for p in payloads if p["type"] == "trade_entry"]
    [exit_] = [p["data"] for p in payloads if p["type"] == "trade_exit"]
    assert (entry["order_id"], entry["symbol"], entry["side"]) == (trip.buy["id"], "ETH/USDT", "Buy")
    assert (exit_["user_id"], exit_["symbol"]) == (trader.id, "ETH/USDT")
    assert Decimal(exit_["pnl_usd"]) == trip.net < 0
    entry_value = Decimal(trip.buy["averagePrice"]) * Decimal(trip.buy["filledQuantity"])
    assert Decimal(exit_["pnl_pct"]) == (trip.net / entry_value * 100).quantize(Decimal("0.0001"))


async def test_webhook_deliveries_are_listed_as_delivered(api: Api, receiver: WebhookReceiver) -> None:
    trader = await api.trader()
    path = f"log-{trader.id}"
    body = {"url": receiver.url(path), "events": ["trade_entry", "trade_exit"]}
    endpoint = ok(await api.http.post("/api/webhooks", json=body, headers=trader.headers))
    await round_trip(api, trader, "SOL/USDT", "10", "150", "160")
    await eventually(lambda: receiver.types(path), lambda types: "trade_exit" in types)

    log = await eventually(
        lambda: get(api, trader, f"/api/webhooks/{endpoint['id']}/deliveries"),
        lambda rows: len(rows) == len(receiver.at(path)) and all(r["status"] != "pending" for r in rows),
    )

    assert {r["status"] for r in log} == {"succeeded"}
    assert {r["webhookId"] for r in log} == {d.headers["webhook-id"] for d in receiver.at(path)}
    assert "trade_exit" in {r["type"] for r in log}
