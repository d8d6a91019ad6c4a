"""Accounts and the edge through the API on the real stack: two-factor login, rate limits shared by two
gateway processes, failed-login locks, and sessions an admin ends (issue 16).

The stack runs with the gateway's default limits (seeds/004: 100/min, 20/min trading); a second
gateway process shares its NATS and database, as a replica would.
"""

from __future__ import annotations

import sys
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pyotp
import pytest

from tests.support.client import PASSWORD, Api, User, eventually, ok, resting_buy
from tests.support.servers import QUIET_ENV, Stack, running_stack

pytestmark = pytest.mark.integration

SERVICES = ["risk", "execution", "notifier", "gateway"]
REPLICA_ENV = {"TP_REGISTRATION": "invite", "TP_MAX_WEBHOOKS_PER_USER": "2"}
"""The replica is configured for invite-only registration and two webhook endpoints a user."""


@pytest.fixture(scope="module")
def stack(postgres_server_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    workdir: Path = tmp_path_factory.mktemp("edge-auth")
    with running_stack(workdir, postgres_server_url, SERVICES, env=QUIET_ENV, rate_limits={}) as running:
        yield running


@pytest.fixture(scope="module")
def replica(stack: Stack) -> str:
    """A second gateway process on the same NATS and database; its base URL."""
    env = {"TP_INSTANCE_ID": "gateway-replica", **REPLICA_ENV, **stack.credentials("gateway")}
    return stack.spawn_serving("gateway-replica", [sys.executable, "-m", "tradeplane.gateway"], env)


@asynccontextmanager
async def api_on(base_url: str, stack: Stack, source: str = "127.0.0.1") -> AsyncIterator[Api]:
    """An Api on a gateway, connecting from the loopback address `source` (another client IP)."""
    transport = httpx.AsyncHTTPTransport(local_address=source)
    async with httpx.AsyncClient(base_url=base_url, transport=transport, timeout=15) as http:
        yield Api(http, stack)


async def register(api: Api, name: str = "edge") -> tuple[str, User]:
    email = f"{name}-{uuid.uuid4().hex[:10]}@example.com"
    ok(await api.http.post("/api/auth/register", json={"email": email, "password": PASSWORD}))
    return email, await api.login(email)


def error_of(response: httpx.Response) -> dict[str, Any]:
    body = response.json()
    assert body["success"] is False, body
    return body["error"]  # type: ignore[no-any-return]


async def audited(api: Api, admin: User, action: str, email: str) -> list[dict[str, Any]]:
    """The audit log's entries of `action` about login attempts on `email`, newest first."""
    params: dict[str, str | int] = {"action": action, "pageSize": 100}
    rows = ok(await api.http.get("/api/compliance/audit-log", params=params, headers=admin.headers))
    return [r for r in rows if r["details"].get("email") == email]


async def login_raw(api: Api, email: str, password: str = PASSWORD, **extra: str) -> httpx.Response:
    return await api.http.post("/api/auth/login", json={"email": email, "password": password, **extra})


async def test_two_factor_login_needs_the_code_and_a_recovery_code_works_once(stack: Stack) -> None:
    async with api_on(stack.url("gateway"), stack) as api:
        email, user = await register(api, "2fa")
        setup = ok(await api.http.post("/api/auth/2fa/setup", headers=user.headers))
        totp = pyotp.TOTP(setup["secret"])
        assert setup["otpauthUrl"].startswith("otpauth://totp/")
        enabled = ok(
            await api.http.post("/api/auth/2fa/enable", json={"code": totp.now()}, headers=user.headers)
        )
        codes = enabled["recoveryCodes"]
        assert len(codes) == 10 and len(set(codes)) == 10

        without = await login_raw(api, email)
        assert without.status_code == 401 and error_of(without)["code"] == "TWO_FACTOR_REQUIRED"
        wrong = await login_raw(api, email, otp="000000" if totp.now() != "000000" else "111111")
        assert wrong.status_code == 401 and error_of(wrong)["code"] == "TWO_FACTOR_REQUIRED"

        # The enabling code's time step is spent: the next step's code (within the drift window) works.
        next_code = totp.at(datetime.now(UTC) + timedelta(seconds=30))
        session = ok(await login_raw(api, email, otp=next_code))
        assert session["user"]["twoFactorEnabled"] is True
        replayed = await login_raw(api, email, otp=next_code)
        assert replayed.status_code == 401, "a TOTP code works once"

        assert ok(await login_raw(api, email, otp=codes[0]))["access_token"]
        again = await login_raw(api, email, otp=codes[0])
        assert again.status_code == 401 and error_of(again)["code"] == "TWO_FACTOR_REQUIRED"
        assert ok(await login_raw(api, email, otp=codes[1]))["user"]["email"] == email

        me = ok(await api.http.get("/api/auth/session", headers=user.headers))
        assert me["user"]["twoFactorEnabled"] is True
        assert "secret" not in str(me).lower()


async def test_the_21st_trading_request_in_a_minute_is_refused_across_two_gateways(
    stack: Stack, replica: str
) -> None:
    async with api_on(stack.url("gateway"), stack) as first, api_on(replica, stack) as second:
        _, trader = await register(first, "limits")
        body = {"venue": "paper", "initialBalances": {"USDT": "100000"}}
        account = ok(await first.http.post("/api/venues/connect", json=body, headers=trader.headers))["id"]
        for i in range(20):  # alternating replicas: the count is shared, not per process
            api = first if i % 2 else second
            answer = await api.http.post("/api/orders", json=resting_buy(account), headers=trader.headers)
            assert answer.status_code == 202, answer.text

        refused = await first.http.post("/api/orders", json=resting_buy(account), headers=trader.headers)
        assert refused.status_code == 429
        assert error_of(refused)["code"] == "RATE_LIMITED"
        assert 1 <= int(refused.headers["Retry-After"]) <= 60
        # Reads are another bucket: still answered.
        ok(await second.http.get("/api/orders", headers=trader.headers))

        admin = await first.admin()
        raised = {"requestsPerMinute": 1000, "tradingPerMinute": 100, "marketPerMinute": 1000}
        limits = ok(
            await first.http.put(
                f"/api/admin/users/{trader.id}/rate-limits", json=raised, headers=admin.headers
            )
        )
        assert limits["rateLimits"] == raised
        # The other replica drops its cached session check when the revocation reaches it over NATS,
        # moments after the answer above.
        after = await eventually(
            lambda: second.http.post("/api/orders", json=resting_buy(account), headers=trader.headers),
            lambda answer: answer.status_code != 429,
            timeout=10,
        )
        assert after.status_code == 202, after.text

        denied = await first.http.put(
            f"/api/admin/users/{admin.id}/rate-limits", json=raised, headers=trader.headers
        )
        assert denied.status_code == 403


async def test_ten_failed_logins_lock_the_account_while_another_ip_logs_in(stack: Stack) -> None:
    async with (
        api_on(stack.url("gateway"), stack) as api,
        api_on(stack.url("gateway"), stack, source="127.0.0.2") as elsewhere,
    ):
        victim, _ = await register(api, "victim")
        other, _ = await register(elsewhere, "other")
        answers = [await login_raw(api, victim, "Wrong-password-1") for _ in range(10)]
        assert answers[0].status_code == 401
        assert {a.status_code for a in answers} <= {401, 429}
        throttled = [a for a in answers if a.status_code == 429]
        assert all(a.headers.get("Retry-After") for a in throttled)

        locked = await login_raw(api, victim)  # even the right password
        assert locked.status_code == 429
        assert error_of(locked)["code"] == "LOGIN_LOCKED"
        assert int(locked.headers["Retry-After"]) > 60
        assert (await login_raw(elsewhere, victim)).status_code == 429, "the account is locked, not the IP"

        assert ok(await login_raw(elsewhere, other))["user"]["email"] == other

        admin = await api.admin()

        entry = (await eventually(lambda: audited(api, admin, "auth.login.locked", victim), bool))[0]
        assert entry["details"]["scope"] == "account" and entry["details"]["ip"] == "127.0.0.1"
        logged = await eventually(
            lambda: audited(api, admin, "auth.login.failed", victim), lambda rows: len(rows) >= 11
        )
        assert all(r["details"]["userAgent"].startswith("python-httpx") for r in logged)


async def test_revoked_sessions_and_a_demoted_admin_are_refused_at_once(stack: Stack, replica: str) -> None:
    async with api_on(stack.url("gateway"), stack) as api, api_on(replica, stack) as other:
        admin = await api.admin()
        _, user = await register(api, "revoked")
        ok(await api.http.get("/api/auth/session", headers=user.headers))
        ok(await other.http.get("/api/auth/session", headers=user.headers))  # cached on the replica too

        revoked = ok(
            await api.http.post(f"/api/admin/users/{user.id}/sessions/revoke", headers=admin.headers)
        )
        assert revoked["sessionsRevoked"] >= 1
        refused = await api.http.get("/api/auth/session", headers=user.headers)
        assert refused.status_code == 401 and error_of(refused)["code"] == "TOKEN_REVOKED"
        await eventually(
            lambda: other.http.get("/api/auth/session", headers=user.headers),
            lambda r: r.status_code == 401,
            timeout=5,
        )

        _, promoted = await register(api, "demoted")
        ok(
            await api.http.patch(
                f"/api/admin/users/{promoted.id}", json={"role": "admin"}, headers=admin.headers
            )
        )
        ok(await api.http.get("/api/admin/stats", headers=promoted.headers))
        ok(
            await api.http.patch(
                f"/api/admin/users/{promoted.id}", json={"role": "trader"}, headers=admin.headers
            )
        )
        demoted = await api.http.get("/api/admin/stats", headers=promoted.headers)
        assert demoted.status_code == 403


async def test_a_disabled_user_is_refused_everywhere_until_enabled(stack: Stack) -> None:
    async with api_on(stack.url("gateway"), stack) as api:
        admin = await api.admin()
        email, user = await register(api, "disabled")
        ok(await api.http.get("/api/auth/session", headers=user.headers))

        ok(await api.http.post(f"/api/admin/users/{user.id}/disable", headers=admin.headers))
        assert (await api.http.get("/api/auth/session", headers=user.headers)).status_code == 401
        refreshed = await api.http.post("/api/auth/refresh", json={"refresh_token": user.refresh})
        assert refreshed.status_code == 401
        relogin = await login_raw(api, email)
        assert relogin.status_code == 403 and error_of(relogin)["code"] == "ACCOUNT_DISABLED"

        ok(await api.http.post(f"/api/admin/users/{user.id}/enable", headers=admin.headers))
        assert ok(await login_raw(api, email))["user"]["id"] == user.id


async def test_invite_only_registration_takes_an_admins_code_once(stack: Stack, replica: str) -> None:
    async with api_on(replica, stack) as api:
        admin = await api.admin()
        email = f"invited-{uuid.uuid4().hex[:8]}@example.com"
        body = {"email": email, "password": PASSWORD}
        refused = await api.http.post("/api/auth/register", json=body)
        assert refused.status_code == 403 and error_of(refused)["code"] == "INVITE_REQUIRED"

        invite = ok(await api.http.post("/api/admin/invites", json={"email": email}, headers=admin.headers))
        wrong_email = body | {"email": f"x-{email}", "inviteCode": invite["code"]}
        assert (
            error_of(await api.http.post("/api/auth/register", json=wrong_email))["code"] == "INVALID_INVITE"
        )
        ok(await api.http.post("/api/auth/register", json=body | {"inviteCode": invite["code"]}))
        assert (await api.login(email)).email == email
        again = body | {"email": email.replace("invited", "again"), "inviteCode": invite["code"]}
        assert error_of(await api.http.post("/api/auth/register", json=again))["code"] == "INVALID_INVITE"


async def test_webhook_endpoints_are_capped_per_user(stack: Stack, replica: str) -> None:
    async with api_on(stack.url("gateway"), stack) as open_gateway, api_on(replica, stack) as api:
        _, trader = await register(open_gateway, "hooks")
        for i in range(2):
            body = {"url": f"http://127.0.0.1:9/hook-{i}", "events": ["trade_entry"]}
            ok(await api.http.post("/api/webhooks", json=body, headers=trader.headers))
        third = {"url": "http://127.0.0.1:9/hook-3", "events": ["trade_entry"]}
        refused = await api.http.post("/api/webhooks", json=third, headers=trader.headers)
        assert refused.status_code == 409 and error_of(refused)["code"] == "WEBHOOK_LIMIT_REACHED"
        assert len(ok(await api.http.get("/api/webhooks", headers=trader.headers))) == 2
