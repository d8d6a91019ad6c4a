"""Order intake against an in-memory store: what is recorded and requested, and each coded refusal."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any
from uuid import UUID, uuid4

import pytest
from tradeplane.contracts import CancelOrder, OrderRequested, OrderStatus, Side, subjects
from tradeplane.gateway.auth.principal import Principal
from tradeplane.gateway.envelope import ApiError
from tradeplane.gateway.intake import Intake
from tradeplane.gateway.schemas import PlaceOrder
from tradeplane.gateway.venues import Account

from .conftest import principal
from .fakes import FakeExecution, FakeOrders, FakeVenues

PARTITIONS = 8


@dataclass
class Desk:
    intake: Intake
    orders: FakeOrders
    venues: FakeVenues
    execution: FakeExecution
    user: Principal
    account: Account

    async def place(self, key: str | None = None, **fields: Any) -> Any:
        body = {"venueId": str(self.account.account_id), "symbol": "BTC/USDT", "side": "Buy"}
        body |= {"type": "Limit", "quantity": "0.01", "price": "50000"} | fields
        return await self.intake.place(self.user, PlaceOrder.model_validate(body), key)

    def requested(self) -> list[OrderRequested]:
        return self.orders.committed.of(OrderRequested)


@pytest.fixture
def desk() -> Desk:
    orders, venues, execution = FakeOrders(), FakeVenues(), FakeExecution()
    user = principal()
    account = venues.add(user.id)
    return Desk(Intake(orders, venues, execution.ask, PARTITIONS), orders, venues, execution, user, account)


async def refused(call: Any) -> ApiError:
    with pytest.raises(ApiError) as caught:
        await call
    return caught.value


async def test_an_order_is_recorded_pending_and_requested_on_its_partition(desk: Desk) -> None:
    row = await desk.place(quantity="0.123456789", price="50000.019")

    assert (row.status, row.quantity, row.price) == (
        OrderStatus.PENDING.value,
        Decimal("0.12345"),
        Decimal("50000.01"),
    )
    [(subject, intent)] = desk.orders.committed.events
    assert subject == subjects.order_requested(subjects.partition_of(desk.user.id, PARTITIONS), desk.user.id)
    assert isinstance(intent, OrderRequested)
    assert (intent.order_id, intent.account_id, intent.side) == (
        row.order_id,
        desk.account.account_id,
        Side.BUY,
    )
    assert intent.client_order_id == str(row.order_id)


async def test_the_same_client_order_id_returns_the_same_order(desk: Desk) -> None:
    first = await desk.place(clientOrderId="mine-1")
    again = await desk.place(clientOrderId="mine-1", quantity="0.02")
    by_header = await desk.place(key="mine-1")

    assert first.order_id == again.order_id == by_header.order_id
    assert again.quantity == Decimal("0.01")
    assert len(desk.requested()) == 1


async def test_a_repeat_answers_with_its_order_even_once_its_account_is_gone(desk: Desk) -> None:
    first = await desk.place(clientOrderId="mine-2")
    desk.venues.accounts.clear()  # the account was removed after the order was recorded

    again = await desk.place(clientOrderId="mine-2")
    error = await refused(desk.place(clientOrderId="mine-3"))

    assert again.order_id == first.order_id
    assert (error.status, error.code) == (404, "VENUE_NOT_FOUND")
    assert len(desk.requested()) == 1


async def test_an_idempotency_key_alone_names_the_order(desk: Desk) -> None:
    row = await desk.place(key="key-7")

    assert row.client_order_id == "key-7"
    assert [r.client_order_id for r in desk.requested()] == ["key-7"]


async def test_a_client_order_id_and_a_different_key_are_refused(desk: Desk) -> None:
    error = await refused(desk.place(key="b", clientOrderId="a"))

    assert (error.status, error.code, error.details) == (
        422,
        "IDEMPOTENCY_KEY_MISMATCH",
        {"field": "clientOrderId"},
    )
    assert desk.orders.rows == {}


async def test_another_users_venue_account_is_not_found(desk: Desk) -> None:
    stranger = principal()
    body = PlaceOrder.model_validate(
        {
            "venueId": str(desk.account.account_id),
            "symbol": "BTC/USDT",
            "side": "Buy",
            "type": "Market",
            "quantity": "1",
        }
    )

    error = await refused(desk.intake.place(stranger, body, None))

    assert (error.status, error.code) == (404, "VENUE_NOT_FOUND")
    assert desk.requested() == []


@pytest.mark.parametrize(
    ("fields", "code"),
    [
        ({"symbol": "DOGE/USDT"}, "UNKNOWN_SYMBOL"),
        ({"quantity": "0.00001"}, "QUANTITY_TOO_SMALL"),
        ({"quantity": "0.0001", "price": "100"}, "NOTIONAL_TOO_SMALL"),
    ],
)
async def test_an_order_that_does_not_fit_its_market_is_refused_with_its_code(
    desk: Desk, fields: dict[str, str], code: str
) -> None:
    error = await refused(desk.place(**fields))

    assert (error.status, error.code) == (422, code)
    assert desk.orders.rows == {}


async def test_a_market_orders_notional_is_checked_at_the_last_price(desk: Desk) -> None:
    desk.execution.prices["BTC/USDT"] = "10"
    market = {"type": "Market", "price": None, "quantity": "0.1"}

    error = await refused(desk.place(**market))  # worth 1 USDT; the minimum is 5
    desk.execution.prices["BTC/USDT"] = "100"
    row = await desk.place(**market)

    assert error.code == "NOTIONAL_TOO_SMALL"
    assert row.quantity == Decimal("0.1")
    assert desk.execution.asked == [("execution", "market.prices")] * 2


async def test_a_market_order_without_a_known_price_is_left_to_risk(desk: Desk) -> None:
    row = await desk.place(type="Market", price=None, quantity="0.0001")

    assert row.status == OrderStatus.PENDING.value
    assert len(desk.requested()) == 1


async def test_cancelling_an_open_order_asks_its_executor(desk: Desk) -> None:
    row = await desk.place()

    assert (await desk.intake.cancel(desk.user, row.order_id)).order_id == row.order_id

    subject, command = desk.orders.committed.events[-1]
    assert subject == subjects.order_cancel(subjects.partition_of(desk.user.id, PARTITIONS), desk.user.id)
    assert isinstance(command, CancelOrder)
    assert (command.order_id, command.account_id, command.reason) == (
        row.order_id,
        desk.account.account_id,
        "user",
    )


async def test_a_finished_order_is_not_open_to_cancel(desk: Desk) -> None:
    row = await desk.place()
    desk.orders.rows[row.order_id].status = OrderStatus.FILLED.value  # the executor filled it

    error = await refused(desk.intake.cancel(desk.user, row.order_id))

    assert (error.status, error.code, error.details) == (409, "ORDER_NOT_OPEN", {"orderStatus": "Filled"})
    assert desk.orders.committed.of(CancelOrder) == []


@pytest.mark.parametrize("whose", ["unknown", "another user's"])
async def test_cancelling_an_order_the_user_does_not_have_is_not_found(desk: Desk, whose: str) -> None:
    order_id: UUID = uuid4() if whose == "unknown" else (await desk.place()).order_id
    user = desk.user if whose == "unknown" else principal()

    error = await refused(desk.intake.cancel(user, order_id))

    assert (error.status, error.code) == (404, "ORDER_NOT_FOUND")
    assert desk.orders.committed.of(CancelOrder) == []
