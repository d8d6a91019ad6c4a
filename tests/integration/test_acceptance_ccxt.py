"""Live orders end to end through the public API, with unmodified ccxt against the Kraken emulator."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import httpx
import pytest
from tradeplane.contracts import subjects
from tradeplane.contracts.queries import EXECUTION

from tests.support.client import (
    User,
    connect_kraken,
    eventually_sync,
    login,
    market,
    new_secret,
    ok,
    order,
    place,
    register,
    settled,
)
from tests.support.emulator_thread import EmulatorThread, emulator_fixture, kraken_stack, kraken_trader
from tests.support.natsauth import recorded_while
from tests.support.servers import Stack, run_async

pytestmark = [pytest.mark.integration, pytest.mark.timeout(120)]

BTC_PRICE = Decimal("60000.0")


emulator = emulator_fixture(hang_seconds=3)
live_stack = kraken_stack("ccxt", {"TP_LIVE_POLL_SECONDS": "0.5"}, BTC_PRICE)


@pytest.fixture(scope="module")
def api(live_stack: Stack) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=live_stack.url("gateway"), timeout=30) as client:
        yield client


def test_exchange_credentials_cross_the_bus_sealed(
    live_stack: Stack, api: httpx.Client, emulator: EmulatorThread
) -> None:
    user, key, secret = register(api), f"key-{uuid.uuid4().hex[:8]}", new_secret()
    emulator.call(emulator.emulator.add_account, key, secret, {"USDT": Decimal(10000)})
    connect_subject = subjects.query(EXECUTION, "venues.connect")

    connected, seen = run_async(
        lambda: recorded_while(
            live_stack.nats_url, connect_subject, lambda: connect_kraken(api, user, key, secret)
        )
    )

    assert connected.status_code == 201, connected.text
    assert seen, "the connect query crossed the bus"
    assert not [m for m in seen if key.encode() in m or secret.encode() in m or b"apiKey" in m]


def trading_state(api: httpx.Client, user: User) -> dict[str, Any]:
    return ok(api.get("/api/settings/trading", headers=user.headers))["state"]  # type: ignore[no-any-return]


def warmed_kraken_trader(api: httpx.Client, emulator: EmulatorThread) -> tuple[User, str, str]:
    """A Kraken trader after a first fill, once pnl has read the account's balances (its equity).

    The emulator fails the key's next private calls, whichever they are: injected faults must not be
    spent on that first balance read instead of the orders under test.
    """
    user, key, account = kraken_trader(api, emulator)
    assert settled(api, user, place(api, user, market(account))["id"])["status"] == "Filled"
    state = eventually_sync(lambda: trading_state(api, user), lambda s: Decimal(s["equity"] or 0) > 0)
    assert Decimal(state["equity"] or 0) > 0, state
    return user, key, account


def add_orders(emulator: EmulatorThread, key: str) -> list[str | None]:
    return [r.cl_ord_id for r in emulator.call(emulator.emulator.add_orders_for, key)]


def test_a_wrong_secret_is_refused_with_the_exchanges_reason(
    api: httpx.Client, emulator: EmulatorThread
) -> None:
    user, key = register(api), f"key-{uuid.uuid4().hex[:8]}"
    emulator.call(emulator.emulator.add_account, key, new_secret(), {"USDT": Decimal(100)})

    refused = connect_kraken(api, user, key, new_secret())

    assert refused.status_code == 422, refused.text
    assert "EAPI:Invalid key" in refused.json()["error"]["message"]
    assert ok(api.get("/api/venues", headers=user.headers)) == []


def test_a_signed_market_order_fills_at_the_emulator_price(
    api: httpx.Client, emulator: EmulatorThread
) -> None:
    user, key, account = kraken_trader(api, emulator)

    placed = place(api, user, market(account, quantity="0.0001"))
    filled = settled(api, user, placed["id"])

    assert filled["status"] == "Filled", filled
    assert (Decimal(filled["filledQuantity"]), Decimal(filled["averagePrice"])) == (
        Decimal("0.0001"),
        BTC_PRICE,
    )
    assert add_orders(emulator, key) == [uuid.UUID(placed["id"]).hex]


def test_a_limit_order_rests_open_then_fills_when_the_emulator_price_crosses(
    api: httpx.Client, emulator: EmulatorThread
) -> None:
    user, _, account = kraken_trader(api, emulator)
    body = market(account, quantity="0.01", symbol="ETH/USDT") | {"type": "Limit", "price": "2900"}

    placed = place(api, user, body)
    resting = eventually_sync(lambda: order(api, user, placed["id"]), lambda o: o["status"] == "Open")
    assert resting["status"] == "Open", resting

    emulator.call(emulator.emulator.set_price, "ETH/USDT", Decimal("2890"))
    filled = settled(api, user, placed["id"])
    assert (filled["status"], Decimal(filled["averagePrice"])) == ("Filled", Decimal("2900"))


def test_two_nonce_errors_jump_the_nonce_and_the_order_still_goes_through(
    api: httpx.Client, emulator: EmulatorThread
) -> None:
    user, key, account = warmed_kraken_trader(api, emulator)
    emulator.call(emulator.emulator.inject, key, "invalid_nonce", 2)

    placed = place(api, user, market(account))
    filled = settled(api, user, placed["id"])

    assert filled["status"] == "Filled", filled
    nonce = ok(api.get(f"/api/venues/{account}/nonce", headers=user.headers))
    assert nonce["jumps"] >= 1 and nonce["totalErrors"] == 2, nonce
    assert add_orders(emulator, key)[-1:] == [uuid.UUID(placed["id"]).hex]


def test_five_auth_errors_disable_the_user_until_an_admin_enables_them(
    api: httpx.Client, emulator: EmulatorThread, live_stack: Stack
) -> None:
    user, key, account = warmed_kraken_trader(api, emulator)
    emulator.call(emulator.emulator.inject, key, "auth", 5)
    for _ in range(5):
        failed = settled(api, user, place(api, user, market(account))["id"])
        assert failed["status"] == "Rejected", failed
    assert eventually_sync(lambda: trading_state(api, user), lambda s: s["disabled"])["disabled"] is True

    refused = settled(api, user, place(api, user, market(account))["id"])
    assert refused["status"] == "Rejected"
    assert "USER_DISABLED" in refused["rejectReason"], refused

    admin = login(api, live_stack.admin_email, live_stack.admin_password)
    ok(api.post(f"/api/admin/users/{user.id}/enable", headers=admin.headers))
    assert eventually_sync(lambda: trading_state(api, user), lambda s: not s["disabled"])["disabled"] is False
    passed = settled(api, user, place(api, user, market(account))["id"])
    assert passed["status"] == "Filled", passed
    assert add_orders(emulator, key)[-1:] == [uuid.UUID(passed["id"]).hex]
