"""The edge and the audit log, through the API of a real stack: security headers on every response, CSRF
for changes the session cookie authenticates, operator endpoints off the public port, the admin IP
allowlist behind a trusted proxy, and an audit log whose tampering `tradeplane audit verify` names."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from tradeplane.cli.probe import free_port
from tradeplane.cli.services import module_command

from tests.support.client import PASSWORD, User, eventually_sync, login, ok, register
from tests.support.servers import REPO_ROOT, Stack, shared_stack

pytestmark = [pytest.mark.integration, pytest.mark.timeout(180)]

METRICS_PORT = free_port()
stack = shared_stack("edge-audit", env={"TP_METRICS_PORT": str(METRICS_PORT)})

SECURITY_HEADERS = {
    "x-content-type-options": "nosniff",
    "x-frame-options": "DENY",
    "referrer-policy": "same-origin",
}
PAPER = {"venue": "paper", "initialBalances": {"USDT": "1000"}}


@pytest.fixture
def api(stack: Stack) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=stack.url("gateway"), timeout=15) as client:
        yield client


@pytest.fixture
def admin(api: httpx.Client, stack: Stack) -> User:
    return login(api, stack.admin_email, stack.admin_password)


def cookie_login(api: httpx.Client, email: str) -> dict[str, str]:
    """The browser's session: the access cookie the login set (sent by hand: it is Secure, this is http)."""
    answer = api.post("/api/auth/login", json={"email": email, "password": PASSWORD})
    ok(answer)
    return {"Cookie": f"tp_access={answer.cookies['tp_access']}"}


def assert_secure(response: httpx.Response) -> None:
    for name, value in SECURITY_HEADERS.items():
        assert response.headers.get(name) == value, (response.request.url, name, dict(response.headers))
    csp = response.headers.get("content-security-policy", "")
    assert "script-src 'self'" in csp and "frame-ancestors 'none'" in csp, csp
    assert "strict-transport-security" not in response.headers  # plain http, no trusted proxy


def test_every_kind_of_response_carries_the_security_headers(api: httpx.Client, admin: User) -> None:
    responses = {
        "api json": api.get("/api/auth/session", headers=admin.headers),
        "api error": api.get("/api/orders/not-a-uuid", headers=admin.headers),
        "unauthenticated": api.get("/api/portfolio"),
        "unknown path": api.get("/nowhere"),
        "dashboard page": api.get("/login"),
        "static file": api.get("/static/app.css"),
        "docs page": api.get("/api/docs"),
        "openapi": api.get("/api/openapi.json"),
        "health": api.get("/healthz"),
        "bad body": api.post("/api/venues/connect", content=b"{", headers=admin.headers),
    }
    assert responses["api json"].status_code == 200 and responses["static file"].status_code == 200
    assert responses["unauthenticated"].status_code == 401 and responses["unknown path"].status_code == 404
    for response in responses.values():
        assert_secure(response)
    assert "<script>" not in responses["docs page"].text  # Swagger UI starts from a file: no inline script


def test_hsts_only_over_tls_and_only_from_a_trusted_proxy(api: httpx.Client) -> None:
    spoofed = api.get("/api/monitoring/health", headers={"X-Forwarded-Proto": "https"})
    assert "strict-transport-security" not in spoofed.headers


def test_a_cookie_authenticated_change_needs_the_sessions_csrf_token(api: httpx.Client) -> None:
    user = register(api, limits=None)
    cookie = cookie_login(api, user.email)

    refused = api.post("/api/venues/connect", json=PAPER, headers=cookie)
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "CSRF_FAILED"
    assert_secure(refused)
    assert ok(api.get("/api/venues", headers=user.headers)) == []  # nothing was connected

    token = ok(api.get("/api/auth/csrf", headers=cookie))["csrfToken"]
    assert token
    wrong = api.post("/api/venues/connect", json=PAPER, headers={**cookie, "X-CSRF-Token": "0" * 64})
    assert wrong.status_code == 403
    other_site = {**cookie, "X-CSRF-Token": token, "Origin": "https://evil.example"}
    assert api.post("/api/venues/connect", json=PAPER, headers=other_site).status_code == 403

    accepted = api.post("/api/venues/connect", json=PAPER, headers={**cookie, "X-CSRF-Token": token})
    assert accepted.status_code == 201, accepted.text
    assert len(ok(api.get("/api/venues", headers=user.headers))) == 1


def test_a_bearer_client_needs_no_csrf_token(api: httpx.Client) -> None:
    user = register(api, limits=None)
    created = api.post("/api/venues/connect", json=PAPER, headers=user.headers)
    assert created.status_code == 201, created.text


def test_the_dashboards_forms_carry_the_token_as_a_field(api: httpx.Client) -> None:
    user = register(api, limits=None)
    cookie = cookie_login(api, user.email)
    page = api.get("/settings", headers=cookie)
    assert page.status_code == 200
    token = ok(api.get("/api/auth/csrf", headers=cookie))["csrfToken"]
    assert f'name="csrf_token" value="{token}"' in page.text and f'content="{token}"' in page.text

    form = {"language": "uk"}
    refused = api.post("/settings/language", data=form, headers=cookie)
    assert refused.status_code == 403
    sent = api.post("/settings/language", data={**form, "csrf_token": token}, headers=cookie)
    assert sent.status_code in (200, 303), sent.text
    assert ok(api.get("/api/auth/session", headers=user.headers))["user"]["language"] == "uk"


def test_metrics_are_on_the_operator_port_not_the_public_one(api: httpx.Client) -> None:
    assert api.get("/metrics").status_code == 404
    scraped = httpx.get(f"http://127.0.0.1:{METRICS_PORT}/metrics", timeout=10)
    assert scraped.status_code == 200 and "tp_gateway_request_seconds" in scraped.text


def test_docs_off_by_setting_and_the_admin_allowlist_behind_a_trusted_proxy(stack: Stack) -> None:
    env = {
        **stack.credentials("gateway"),
        "TP_INSTANCE_ID": "gateway-edge",
        "TP_METRICS_PORT": str(free_port()),
        "TP_API_DOCS": "false",
        "TP_ADMIN_ALLOWLIST": "10.0.0.0/8",
        "TP_TRUSTED_PROXIES": "127.0.0.1",
    }
    base = stack.spawn_serving("gateway-edge", module_command("gateway"), env)
    with httpx.Client(base_url=base, timeout=15) as edge:
        assert edge.get("/api/docs").status_code == 404
        assert edge.get("/api/openapi.json").status_code == 404
        admin = login(edge, stack.admin_email, stack.admin_password)

        direct = edge.get("/api/admin/stats", headers=admin.headers)
        assert direct.status_code == 403 and direct.json()["error"]["code"] == "IP_NOT_ALLOWED"
        via_proxy = {**admin.headers, "X-Forwarded-For": "10.1.2.3", "X-Forwarded-Proto": "https"}
        proxied = edge.get("/api/admin/stats", headers=via_proxy)
        assert proxied.status_code == 200
        assert proxied.headers["strict-transport-security"].startswith("max-age=")
        outside = {**admin.headers, "X-Forwarded-For": "203.0.113.9"}
        assert edge.get("/api/admin/stats", headers=outside).status_code == 403


def entries(api: httpx.Client, admin: User, **params: str) -> list[dict[str, Any]]:
    answer = api.get("/api/compliance/audit-log", params={"pageSize": "100", **params}, headers=admin.headers)
    return ok(answer)  # type: ignore[no-any-return]


def test_every_change_is_in_the_audit_log_with_who_where_and_how_it_ended(
    api: httpx.Client, admin: User
) -> None:
    user = register(api, limits=None)
    ok(api.post("/api/venues/connect", json=PAPER, headers={**user.headers, "User-Agent": "edge-test/1"}))
    refused = api.post("/api/venues/connect", json={"venue": "nowhere"}, headers=user.headers)
    assert refused.status_code >= 400

    def mine() -> list[dict[str, Any]]:
        return entries(api, admin, actor=user.id, action="http.request")

    found = eventually_sync(mine, lambda rows: len(rows) >= 2)  # the two connects
    connects = [e for e in found if e["target"] == "/api/venues/connect"]
    statuses = sorted(e["details"]["status"] for e in connects)
    assert statuses == sorted([201, refused.status_code])
    ok_entry = next(e for e in connects if e["details"]["status"] == 201)
    assert ok_entry["details"]["method"] == "POST" and ok_entry["details"]["ip"] == "127.0.0.1"
    assert ok_entry["details"]["userAgent"] == "edge-test/1"
    assert ok_entry["service"] == "gateway" and ok_entry["chain"] == "gateway" and len(ok_entry["hash"]) == 64

    assert entries(api, admin, actor=user.id, to="2000-01-01T00:00:00Z") == []
    assert len(entries(api, admin, actor=user.id, **{"from": "2000-01-01T00:00:00Z"})) >= 2
    assert all(e["actor"] == user.id or e["target"] == user.id for e in entries(api, user))

    exported = api.get(
        "/api/compliance/audit-log", params={"format": "csv", "actor": user.id}, headers=admin.headers
    )
    assert exported.headers["content-type"].startswith("text/csv")
    header, *rows = exported.text.strip().splitlines()
    assert header.startswith("occurredAt,service,actor,action") and len(rows) >= 2
    export = api.get("/api/compliance/audit-log/export", params={"actor": user.id}, headers=admin.headers)
    assert export.text == exported.text


def verify(stack: Stack) -> subprocess.CompletedProcess[str]:
    env = {"PATH": "/usr/bin:/bin", "TP_DATABASE_URL": stack.database_url, "HOME": str(stack.workdir)}
    return subprocess.run(
        [sys.executable, "-m", "tradeplane.cli", "audit", "verify"],
        env=env,
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_tradeplane_audit_verify_names_an_edited_and_a_deleted_entry(
    api: httpx.Client, admin: User, stack: Stack
) -> None:
    user = register(api, limits=None)
    ok(api.post("/api/venues/connect", json=PAPER, headers=user.headers))
    [connect] = eventually_sync(lambda: entries(api, admin, actor=user.id), lambda rows: len(rows) >= 1)
    victim = {"id": connect["id"], "actor": connect["actor"]}
    intact = verify(stack)
    assert intact.returncode == 0, intact.stderr

    engine = sa.create_engine(stack.database_url)
    try:
        with engine.begin() as conn, pytest.raises(sa.exc.DBAPIError, match="append-only"):
            conn.execute(
                sa.text("UPDATE gateway.audit_log SET actor = 'nobody' WHERE event_id = :id"), victim
            )
        with engine.begin() as conn, pytest.raises(sa.exc.DBAPIError, match="append-only"):
            conn.execute(sa.text("DELETE FROM gateway.audit_log WHERE event_id = :id"), victim)

        with engine.begin() as conn:  # the owner (a superuser here) turns the trigger off: the chain tells
            conn.execute(sa.text("ALTER TABLE gateway.audit_log DISABLE TRIGGER audit_log_append_only"))
            conn.execute(
                sa.text("UPDATE gateway.audit_log SET actor = 'nobody' WHERE event_id = :id"), victim
            )
        edited = verify(stack)
        assert edited.returncode == 1
        assert "edited" in edited.stderr and victim["id"] in edited.stderr, edited.stderr

        with engine.begin() as conn:
            conn.execute(sa.text("UPDATE gateway.audit_log SET actor = :actor WHERE event_id = :id"), victim)
        assert verify(stack).returncode == 0

        with engine.begin() as conn:
            seq = conn.execute(
                sa.text("DELETE FROM gateway.audit_log WHERE event_id = :id RETURNING seq"), victim
            ).scalar_one()
            conn.execute(sa.text("ALTER TABLE gateway.audit_log ENABLE TRIGGER audit_log_append_only"))
        deleted = verify(stack)
        assert deleted.returncode == 1
        assert f"#{seq} deleted" in deleted.stderr, deleted.stderr
    finally:
        engine.dispose()
