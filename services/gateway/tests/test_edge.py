"""The edge's middleware on a bare app: CSRF for cookie-authenticated changes (header or form field, the
body still reaching the route), the admin allowlist, HSTS only over TLS."""

from __future__ import annotations

import ipaddress
from datetime import timedelta
from uuid import uuid4

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route
from starlette.testclient import TestClient
from tradeplane.contracts import Role
from tradeplane.gateway.auth.tokens import AccessTokens
from tradeplane.gateway.edge import CSP_EVAL, AdminAllowlist, CsrfGuard, csrf_token, policies
from tradeplane.runtime.headers import BASELINE, SecurityHeaders

KEY = "k" * 40
TOKENS = AccessTokens(KEY, timedelta(minutes=5))
SESSION = uuid4()


async def echo(request: Request) -> JSONResponse:
    form = await request.form()
    return JSONResponse({k: str(v) for k, v in form.items()})


def client() -> TestClient:
    app = Starlette(
        routes=[Route("/change", echo, methods=["POST"]), Route("/api/admin/x", echo, methods=["POST"])]
    )
    app.add_middleware(CsrfGuard, tokens=TOKENS, key=KEY)
    app.add_middleware(AdminAllowlist, networks=[ipaddress.ip_network("10.0.0.0/8")])
    app.add_middleware(SecurityHeaders, headers=BASELINE, extra=policies(60))
    return TestClient(app, base_url="http://gateway.test", client=("10.0.0.5", 1234))


def cookie() -> dict[str, str]:
    token, _ = TOKENS.issue(uuid4(), Role.TRADER, SESSION)
    return {"Cookie": f"tp_access={token}"}


def test_a_cookie_change_without_the_token_is_refused_with_the_headers_on() -> None:
    refused = client().post("/change", data={"a": "1"}, headers=cookie())
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "CSRF_FAILED"
    assert refused.headers["x-frame-options"] == "DENY" and "strict-transport-security" not in refused.headers


def test_the_form_field_passes_and_the_route_still_reads_the_whole_body() -> None:
    form = {"a": "1", "csrf_token": csrf_token(KEY, SESSION), "b": "x" * 100_000}
    answer = client().post("/change", data=form, headers=cookie())
    assert answer.status_code == 200 and answer.json() == form


def test_the_header_passes_and_a_stale_header_falls_back_to_the_field() -> None:
    token = csrf_token(KEY, SESSION)
    assert client().post("/change", headers={**cookie(), "X-CSRF-Token": token}).status_code == 200
    stale = {**cookie(), "X-CSRF-Token": "stale"}
    assert client().post("/change", data={"csrf_token": token}, headers=stale).status_code == 200
    assert client().post("/change", data={"csrf_token": "x"}, headers=stale).status_code == 403


def test_another_sessions_token_and_another_sites_origin_are_refused() -> None:
    other = csrf_token(KEY, uuid4())
    assert client().post("/change", headers={**cookie(), "X-CSRF-Token": other}).status_code == 403
    headers = {**cookie(), "X-CSRF-Token": csrf_token(KEY, SESSION), "Origin": "https://evil.example"}
    assert client().post("/change", headers=headers).status_code == 403
    headers["Origin"] = "http://gateway.test"
    assert client().post("/change", headers=headers).status_code == 200


def test_bearer_and_unauthenticated_requests_need_no_token() -> None:
    token, _ = TOKENS.issue(uuid4(), Role.TRADER, SESSION)
    both = {**cookie(), "Authorization": f"Bearer {token}"}
    assert client().post("/change", headers=both).status_code == 200
    assert client().post("/change").status_code == 200


def test_the_admin_allowlist_and_hsts_over_tls() -> None:
    inside = client().post("/api/admin/x")
    assert inside.status_code == 200
    app = client().app
    outside = TestClient(app, base_url="https://gateway.test", client=("192.0.2.1", 1))
    refused = outside.post("/api/admin/x")
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "IP_NOT_ALLOWED"
    assert refused.headers["strict-transport-security"] == "max-age=60; includeSubDomains"


def test_only_the_asyncapi_page_may_compile_code() -> None:
    app = Starlette(routes=[Route("/api/events", echo), Route("/", echo)])
    app.add_middleware(SecurityHeaders, headers=BASELINE, extra=policies(0))
    web = TestClient(app)
    assert web.get("/api/events").headers["content-security-policy"] == CSP_EVAL
    assert "unsafe-eval" not in web.get("/").headers["content-security-policy"]
