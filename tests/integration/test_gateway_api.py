"""The gateway's REST API on real NATS and PostgreSQL: auth sessions, order intake, the order view.

The gateway runs in-process (FastAPI TestClient, lifespan included). Execution is played by a small
responder on the same NATS that answers `venues.resolve` / `market.prices` for the accounts a test
registers, and records the order commands the gateway publishes.
"""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

import pytest
from fastapi.testclient import TestClient
from nats.aio.msg import Msg
from tradeplane.contracts import (
    LiquiditySide,
    Message,
    OrderAccepted,
    OrderFilled,
    OrderRejected,
    RejectCode,
    Side,
    new_meta,
    subjects,
)
from tradeplane.contracts.queries import Query, Reply
from tradeplane.gateway.app import build
from tradeplane.gateway.config import Settings
from tradeplane.runtime import publish, publish_message
from tradeplane.runtime.crypto import Keyring

from tests.support.client import User, eventually_sync
from tests.support.natsauth import connect_operator, operator_env
from tests.support.servers import RELAXED_RATE_LIMITS, create_database, remove_database

pytestmark = pytest.mark.integration

ADMIN = ("admin@gateway.test", "Admin-password-42")
PASSWORD = "correct-horse-42"
PARTITIONS = 16
BTC = {
    "symbol": "BTC/USDT",
    "base": "BTC",
    "quote": "USDT",
    "tickSize": "0.01",
    "stepSize": "0.00001",
    "minAmount": "0.00001",
    "minNotional": "5",
    "makerFee": "0.001",
    "takerFee": "0.001",
}


@dataclass
class FakeExecution:
    """Answers execution's intake queries for registered accounts; records order commands."""

    nats_url: str
    accounts: dict[UUID, UUID] = field(default_factory=dict)
    commands: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    nc: Any = None
    subs: list[Any] = field(default_factory=list)

    async def start(self) -> None:
        self.nc = await connect_operator(self.nats_url)
        await self.answer_queries()
        await self.nc.subscribe(f"{subjects.PREFIX}.order.requested.>", cb=self._record)
        await self.nc.subscribe(f"{subjects.PREFIX}.order.cancel.>", cb=self._record)

    async def answer_queries(self) -> None:
        self.subs = [
            await self.nc.subscribe(subjects.query("execution", "venues.resolve"), cb=self._resolve),
            await self.nc.subscribe(subjects.query("execution", "market.prices"), cb=self._prices),
        ]
        await self.nc.flush()

    async def stop_answering(self) -> None:
        for sub in self.subs:
            await sub.unsubscribe()
        await self.nc.flush()

    async def close(self) -> None:
        await self.nc.close()

    async def _resolve(self, msg: Msg) -> None:
        q = Query.model_validate_json(msg.data)
        account = UUID(q.params["id"])
        owner = self.accounts.get(account)
        if owner is None or owner != q.caller.user_id:
            reply = Reply.failure("VENUE_NOT_FOUND", "no such venue account", 404)
        else:
            data = {
                "account_id": str(account),
                "user_id": str(owner),
                "venue": "paper",
                "status": "Connected",
            }
            reply = Reply.success(data | {"markets": [BTC]})
        await msg.respond(reply.model_dump_json().encode())

    async def _prices(self, msg: Msg) -> None:
        ticker = {"symbol": "BTC/USDT", "venue": "paper", "price": "50000", "bid": "49999", "ask": "50001"}
        await msg.respond(Reply.success([ticker]).model_dump_json().encode())

    async def _record(self, msg: Msg) -> None:
        import json

        self.commands.append((msg.subject, json.loads(msg.data)))

    def sent(self, kind: str, order_id: str) -> list[dict[str, Any]]:
        return [
            body for subject, body in self.commands if f".{kind}." in subject and body["order_id"] == order_id
        ]


@dataclass
class Gateway:
    client: TestClient
    execution: FakeExecution
    database_url: str
    nats_url: str

    def call(self, coro_fn: Any, *args: Any) -> Any:
        return self.client.portal.call(coro_fn, *args)  # type: ignore[union-attr]

    def publish(self, subject: str, message: Message) -> None:
        self.call(publish_message, self.broker, subject, message)

    def publish_raw(self, subject: str, payload: bytes, headers: dict[str, str]) -> None:
        self.call(publish, self.broker, subject, payload, headers)

    @property
    def broker(self) -> Any:
        return self.client.app.state.gateway.broker  # type: ignore[attr-defined]


RELAXED: dict[str, Any] = {name.removeprefix("TP_").lower(): v for name, v in RELAXED_RATE_LIMITS.items()}
"""This module is not about rate limits."""


def natsauth_settings() -> dict[str, Any]:
    env = operator_env()
    return {"nats_user": env["TP_NATS_USER"], "nats_password": env["TP_NATS_PASSWORD"]} if env else {}


@pytest.fixture(scope="module")
def gateway(nats_url: str, postgres_server_url: str) -> Iterator[Gateway]:
    database_url = create_database(postgres_server_url, prefix="gw")
    settings = Settings(
        env="test",
        nats_url=nats_url,
        database_url=database_url,
        jwt_secret="integration-test-secret-integration-test-secret",
        gateway_key=Keyring.generate_key(),
        admin_email=ADMIN[0],
        admin_password=ADMIN[1],
        partitions=PARTITIONS,
        query_timeout_seconds=2,
        instance_id=f"gw-test-{uuid.uuid4().hex[:6]}",
        **RELAXED,
        # The test publishes execution's and pnl's events through this gateway's broker: as the operator.
        **natsauth_settings(),
    )
    execution = FakeExecution(nats_url)
    try:
        with TestClient(build(settings), raise_server_exceptions=False) as client:
            client.portal.call(execution.start)  # type: ignore[union-attr]
            yield Gateway(client, execution, database_url, nats_url)
            client.portal.call(execution.close)  # type: ignore[union-attr]
    finally:
        remove_database(postgres_server_url, database_url)


def register(gw: Gateway) -> User:
    email = f"u{uuid.uuid4().hex[:10]}@example.com"
    created = gw.client.post("/api/auth/register", json={"email": email, "password": PASSWORD})
    assert created.status_code == 201, created.text
    return login(gw, email, PASSWORD)


def login(gw: Gateway, email: str, password: str) -> User:
    response = gw.client.post("/api/auth/login", json={"email": email, "password": password})
    assert response.status_code == 200, response.text
    data = response.json()["data"]
    bearer = {"Authorization": f"Bearer {data['access_token']}"}
    return User(data["user"]["id"], email, bearer, refresh=data["refresh_token"])


def with_venue(gw: Gateway, user: User) -> UUID:
    venue = uuid.uuid4()
    gw.execution.accounts[venue] = user.uuid
    return venue


def place(gw: Gateway, user: User, venue: UUID, headers: dict[str, str] | None = None, **over: Any) -> Any:
    body = {"venueId": str(venue), "symbol": "BTC/USDT", "side": "Buy", "type": "Limit"}
    body |= {"quantity": "0.0123456", "price": "50000"} | over
    return gw.client.post("/api/orders", json=body, headers=user.headers | (headers or {}))


def order_of(gw: Gateway, user: User, order_id: str) -> dict[str, Any]:
    response = gw.client.get(f"/api/orders/{order_id}", headers=user.headers)
    assert response.status_code == 200, response.text
    return response.json()["data"]  # type: ignore[no-any-return]


def wait_for_status(gw: Gateway, user: User, order_id: str, status: str) -> dict[str, Any]:
    eventually_sync(lambda: order_of(gw, user, order_id)["status"] == status, bool, timeout=10)
    return order_of(gw, user, order_id)


def lifecycle(user: User, order_id: str) -> dict[str, Any]:
    return {"order_id": UUID(order_id), "user_id": user.uuid, "account_id": uuid.uuid4()}


def fill(user: User, order_id: str, quantity: str, price: str, cumulative: str) -> OrderFilled:
    return OrderFilled(
        meta=new_meta("execution"),
        **lifecycle(user, order_id),
        fill_id=uuid.uuid4().hex,
        venue="paper",
        symbol="BTC/USDT",
        side=Side.BUY,
        quantity=Decimal(quantity),
        price=Decimal(price),
        fee=Decimal("0.01"),
        fee_currency="USDT",
        liquidity=LiquiditySide.TAKER,
        filled_quantity=Decimal(cumulative),
        order_quantity=Decimal("0.01234"),
        filled_at=datetime.now(UTC),
    )


def partition(user: User) -> int:
    return subjects.partition_of(user.uuid, PARTITIONS)


# Auth


def test_registered_user_logs_in_and_sees_their_session(gateway: Gateway) -> None:
    user = register(gateway)

    session = gateway.client.get("/api/auth/session", headers=user.headers).json()["data"]

    assert (session["user"]["email"], session["user"]["role"]) == (user.email, "trader")


def test_login_accepts_username_as_the_email(gateway: Gateway) -> None:
    user = register(gateway)

    response = gateway.client.post("/api/auth/login", json={"username": user.email, "password": PASSWORD})

    assert response.status_code == 200 and response.json()["data"]["token_type"] == "bearer"


def test_login_sets_an_http_only_secure_cookie_that_authenticates(gateway: Gateway) -> None:
    user = register(gateway)
    response = gateway.client.post("/api/auth/login", json={"email": user.email, "password": PASSWORD})
    cookie = response.headers["set-cookie"]

    session = gateway.client.get("/api/auth/session", headers={"Cookie": cookie.split(";")[0]})

    assert {"HttpOnly", "Secure", "SameSite=lax"} <= {p.strip() for p in cookie.split(";")}
    assert session.status_code == 200


def test_wrong_password_is_refused(gateway: Gateway) -> None:
    user = register(gateway)

    response = gateway.client.post("/api/auth/login", json={"email": user.email, "password": "wrong-pass-42"})

    assert (response.status_code, response.json()["error"]["code"]) == (401, "INVALID_CREDENTIALS")


def test_taken_email_is_a_409(gateway: Gateway) -> None:
    user = register(gateway)

    response = gateway.client.post(
        "/api/auth/register", json={"email": user.email.upper(), "password": PASSWORD}
    )

    assert (response.status_code, response.json()["error"]["code"]) == (409, "EMAIL_TAKEN")


def test_weak_password_is_a_422(gateway: Gateway) -> None:
    response = gateway.client.post(
        "/api/auth/register", json={"email": "w@example.com", "password": "short1"}
    )

    assert (response.status_code, response.json()["error"]["code"]) == (422, "WEAK_PASSWORD")


def test_refresh_gives_a_new_pair_and_the_old_refresh_token_stops_working(gateway: Gateway) -> None:
    user = register(gateway)
    first = gateway.client.post("/api/auth/refresh", json={"refresh_token": user.refresh})

    again = gateway.client.post("/api/auth/refresh", json={"refresh_token": user.refresh})

    assert first.status_code == 200 and first.json()["data"]["refresh_token"] != user.refresh
    assert (again.status_code, again.json()["error"]["code"]) == (401, "TOKEN_REUSED")


def test_reusing_a_rotated_refresh_token_revokes_the_whole_session(gateway: Gateway) -> None:
    user = register(gateway)
    rotated = gateway.client.post("/api/auth/refresh", json={"refresh_token": user.refresh}).json()["data"]
    gateway.client.post("/api/auth/refresh", json={"refresh_token": user.refresh})

    newest = gateway.client.post("/api/auth/refresh", json={"refresh_token": rotated["refresh_token"]})
    session = gateway.client.get(
        "/api/auth/session", headers={"Authorization": f"Bearer {rotated['access_token']}"}
    )

    assert (newest.status_code, newest.json()["error"]["code"]) == (401, "TOKEN_REVOKED")
    assert session.status_code == 401


def test_logout_ends_the_session(gateway: Gateway) -> None:
    user = register(gateway)

    assert gateway.client.post("/api/auth/logout", headers=user.headers).status_code == 200
    assert gateway.client.get("/api/auth/session", headers=user.headers).status_code == 401


def test_profile_update_changes_the_timezone(gateway: Gateway) -> None:
    user = register(gateway)

    response = gateway.client.patch(
        "/api/auth/profile", json={"timezone": "Europe/Paris"}, headers=user.headers
    )

    assert response.json()["data"]["user"]["timezone"] == "Europe/Paris"


def test_password_change_ends_other_sessions_and_retires_the_old_password(gateway: Gateway) -> None:
    user = register(gateway)
    elsewhere = login(gateway, user.email, PASSWORD)
    body = {"currentPassword": PASSWORD, "newPassword": "another-horse-43"}

    changed = gateway.client.post("/api/auth/password", json=body, headers=user.headers)

    assert changed.status_code == 200
    assert gateway.client.get("/api/auth/session", headers=elsewhere.headers).status_code == 401
    assert gateway.client.get("/api/auth/session", headers=user.headers).status_code == 200
    old = gateway.client.post("/api/auth/login", json={"email": user.email, "password": PASSWORD})
    assert old.status_code == 401


def test_bootstrap_admin_exists_and_sees_users_with_missing_services_as_nulls(gateway: Gateway) -> None:
    admin = login(gateway, *ADMIN)

    response = gateway.client.get("/api/admin/users", headers=admin.headers, params={"pageSize": 100})

    assert response.status_code == 200
    me = next(u for u in response.json()["data"] if u["email"] == ADMIN[0])
    assert (me["role"], me["pnl"], me["risk"]) == ("admin", None, None)


def test_cli_creates_a_user_who_can_log_in(gateway: Gateway) -> None:
    email = f"cli{uuid.uuid4().hex[:8]}@example.com"
    env = os.environ | {
        "TP_DATABASE_URL": gateway.database_url,
        "TP_NATS_URL": gateway.nats_url,
        "TP_NEW_USER_PASSWORD": PASSWORD,
        **operator_env(),
    }

    result = subprocess.run(
        [sys.executable, "-m", "tradeplane.gateway", "user-create", "--email", email, "--admin"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert result.returncode == 0, result.stderr
    assert login(gateway, email, PASSWORD) is not None


# Orders


def test_order_is_accepted_pending_rounded_and_requested_on_the_users_partition(gateway: Gateway) -> None:
    user = register(gateway)

    response = place(gateway, user, with_venue(gateway, user))

    assert response.status_code == 202, response.text
    order = response.json()["data"]["order"]
    assert (order["status"], order["quantity"], order["price"]) == ("Pending", "0.01234", "50000")
    eventually_sync(lambda: gateway.execution.sent("requested", order["id"]), bool, timeout=10)
    subject = next(s for s, b in gateway.execution.commands if b.get("order_id") == order["id"])
    assert subject == subjects.order_requested(partition(user), user.uuid)


def test_an_order_placed_by_hand_has_no_bot(gateway: Gateway) -> None:
    user = register(gateway)

    order = place(gateway, user, with_venue(gateway, user)).json()["data"]["order"]

    assert order["botId"] is None and order_of(gateway, user, order["id"])["botId"] is None
    sent = eventually_sync(lambda: gateway.execution.sent("requested", order["id"]), bool, timeout=10)
    assert sent[0]["bot_id"] is None


def test_same_client_order_id_twice_returns_the_same_order(gateway: Gateway) -> None:
    user = register(gateway)
    venue = with_venue(gateway, user)

    first = place(gateway, user, venue, clientOrderId="my-order-1").json()["data"]["order"]
    second = place(gateway, user, venue, clientOrderId="my-order-1")

    assert second.status_code == 202 and second.json()["data"]["order"]["id"] == first["id"]


def test_concurrent_requests_with_one_idempotency_key_make_one_order(gateway: Gateway) -> None:
    user = register(gateway)
    venue = with_venue(gateway, user)
    key = {"Idempotency-Key": f"k-{uuid.uuid4().hex}"}

    with ThreadPoolExecutor(4) as pool:
        responses = list(pool.map(lambda _: place(gateway, user, venue, key), range(4)))

    ids = {r.json()["data"]["order"]["id"] for r in responses}
    assert [r.status_code for r in responses] == [202] * 4 and len(ids) == 1
    listed = gateway.client.get("/api/orders", headers=user.headers).json()["pagination"]["totalItems"]
    assert listed == 1


def test_another_users_order_is_not_found(gateway: Gateway) -> None:
    owner, other = register(gateway), register(gateway)
    order = place(gateway, owner, with_venue(gateway, owner)).json()["data"]["order"]

    assert gateway.client.get(f"/api/orders/{order['id']}", headers=other.headers).status_code == 404
    assert gateway.client.delete(f"/api/orders/{order['id']}", headers=other.headers).status_code == 404


def test_another_users_venue_is_not_found(gateway: Gateway) -> None:
    owner, other = register(gateway), register(gateway)

    response = place(gateway, other, with_venue(gateway, owner))

    assert (response.status_code, response.json()["error"]["code"]) == (404, "VENUE_NOT_FOUND")


def test_unknown_symbol_is_a_422(gateway: Gateway) -> None:
    user = register(gateway)

    response = place(gateway, user, with_venue(gateway, user), symbol="DOGE/USDT")

    assert (response.status_code, response.json()["error"]["code"]) == (422, "UNKNOWN_SYMBOL")


def test_market_order_below_the_minimum_notional_at_the_last_price_is_a_422(gateway: Gateway) -> None:
    user = register(gateway)

    response = place(gateway, user, with_venue(gateway, user), type="Market", price=None, quantity="0.00001")

    assert (response.status_code, response.json()["error"]["code"]) == (422, "NOTIONAL_TOO_SMALL")


def test_viewer_cannot_place_orders(gateway: Gateway) -> None:
    admin, user = login(gateway, *ADMIN), register(gateway)
    demoted = gateway.client.patch(
        f"/api/admin/users/{user.id}", json={"role": "viewer"}, headers=admin.headers
    )

    response = place(gateway, user, with_venue(gateway, user))

    assert demoted.status_code == 200
    assert (response.status_code, response.json()["error"]["code"]) == (403, "FORBIDDEN")


def test_order_with_execution_not_running_is_a_503_envelope(gateway: Gateway) -> None:
    user = register(gateway)
    venue = with_venue(gateway, user)
    gateway.call(gateway.execution.stop_answering)
    try:
        response = place(gateway, user, venue)
    finally:
        gateway.call(gateway.execution.answer_queries)

    assert response.status_code == 503
    assert response.json()["success"] is False
    assert response.json()["error"]["code"] == "SERVICE_UNAVAILABLE"


def test_lifecycle_events_move_the_order_to_filled_with_average_price(gateway: Gateway) -> None:
    user = register(gateway)
    order_id = place(gateway, user, with_venue(gateway, user)).json()["data"]["order"]["id"]
    p = partition(user)

    gateway.publish(
        subjects.order_accepted(p, user.uuid),
        OrderAccepted(
            meta=new_meta("execution"),
            **lifecycle(user, order_id),
            venue_order_id="v1",
            accepted_at=datetime.now(UTC),
        ),
    )
    wait_for_status(gateway, user, order_id, "Open")
    gateway.publish(subjects.order_filled(p, user.uuid), fill(user, order_id, "0.01", "50000", "0.01"))
    partial = wait_for_status(gateway, user, order_id, "PartiallyFilled")
    gateway.publish(subjects.order_filled(p, user.uuid), fill(user, order_id, "0.00234", "49000", "0.01234"))
    done = wait_for_status(gateway, user, order_id, "Filled")

    assert partial["filledQuantity"] == "0.01"
    assert (done["filledQuantity"], done["fee"], done["executedAt"] is not None) == ("0.01234", "0.02", True)
    assert Decimal(done["averagePrice"]).quantize(Decimal("0.01")) == Decimal("49810.37")


def test_redelivered_fill_counts_once(gateway: Gateway) -> None:
    user = register(gateway)
    order_id = place(gateway, user, with_venue(gateway, user)).json()["data"]["order"]["id"]
    subject = subjects.order_filled(partition(user), user.uuid)
    event = fill(user, order_id, "0.001", "50000", "0.001")
    gateway.publish(subject, event)
    # The same event again under another Nats-Msg-Id, so that JetStream keeps it: only the inbox can drop it.
    gateway.publish_raw(subject, event.model_dump_json().encode(), {"Nats-Msg-Id": uuid.uuid4().hex})

    gateway.publish(subject, fill(user, order_id, "0.01134", "50000", "0.01234"))
    done = wait_for_status(gateway, user, order_id, "Filled")

    assert done["filledQuantity"] == "0.01234"


def test_rejected_order_carries_code_and_reason_and_cannot_be_cancelled(gateway: Gateway) -> None:
    user = register(gateway)
    order_id = place(gateway, user, with_venue(gateway, user)).json()["data"]["order"]["id"]
    rejection = OrderRejected(
        meta=new_meta("risk"),
        **lifecycle(user, order_id),
        code=RejectCode.DAILY_LOSS,
        reason="daily loss cap",
    )

    gateway.publish(subjects.order_rejected(partition(user), user.uuid), rejection)
    rejected = wait_for_status(gateway, user, order_id, "Rejected")
    cancel = gateway.client.delete(f"/api/orders/{order_id}", headers=user.headers)

    assert rejected["rejectReason"] == "DAILY_LOSS: daily loss cap"
    assert (cancel.status_code, cancel.json()["error"]["code"]) == (409, "ORDER_NOT_OPEN")
    history = gateway.client.get("/api/orders/history", headers=user.headers).json()["data"]
    assert [o["id"] for o in history] == [order_id]


def test_cancelling_an_open_order_sends_cancel_order_to_its_partition(gateway: Gateway) -> None:
    user = register(gateway)
    order_id = place(gateway, user, with_venue(gateway, user)).json()["data"]["order"]["id"]

    response = gateway.client.delete(f"/api/orders/{order_id}", headers=user.headers)

    assert response.status_code == 202 and response.json()["data"]["order"]["id"] == order_id
    eventually_sync(lambda: gateway.execution.sent("cancel", order_id), bool, timeout=10)
    subject = next(s for s, b in gateway.execution.commands if ".cancel." in s and b["order_id"] == order_id)
    assert subject == subjects.order_cancel(partition(user), user.uuid)


def test_registration_is_in_the_users_audit_log(gateway: Gateway) -> None:
    user = register(gateway)

    def recorded() -> bool:
        entries = gateway.client.get("/api/compliance/audit-log", headers=user.headers).json()["data"]
        return any(e["action"] == "user.create" and e["target"] == str(user.id) for e in entries)

    eventually_sync(recorded, bool, timeout=10)


def test_readiness_reports_nats_database_and_consumers(gateway: Gateway) -> None:
    response = gateway.client.get("/readyz")

    assert response.status_code == 200
    assert response.json() == {"nats": "ok", "database": "ok", "consumers": "ok"}
