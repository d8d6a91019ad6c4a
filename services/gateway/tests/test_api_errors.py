"""Every error the API gives, whatever its origin, is the docs/api.md error envelope (never a bare 500)."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from tradeplane.contracts import Role
from tradeplane.gateway import deps
from tradeplane.gateway.auth.principal import Principal

Login = Callable[[Role], Principal]


def order(**over: Any) -> dict[str, Any]:
    body = {
        "venueId": str(uuid.uuid4()),
        "symbol": "BTC/USDT",
        "side": "Buy",
        "type": "Market",
        "quantity": "0.1",
    }
    return body | over


def error_of(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    body = response.json()
    assert body["success"] is False and "timestamp" in body
    return body["error"]  # type: ignore[no-any-return]


def field_names(err: dict[str, Any]) -> list[str]:
    return [f["field"] for f in err["details"]["fields"]]


def test_unknown_route_is_a_404_envelope(client: TestClient) -> None:
    assert error_of(client.get("/api/nowhere"), 404)["code"] == "NOT_FOUND"


def test_wrong_method_is_a_405_envelope(client: TestClient) -> None:
    assert error_of(client.put("/api/auth/login"), 405)["code"] == "METHOD_NOT_ALLOWED"


def test_missing_token_is_a_401_envelope(client: TestClient) -> None:
    response = client.get("/api/orders")

    assert error_of(response, 401)["code"] == "UNAUTHORIZED"
    assert response.headers["www-authenticate"] == "Bearer"


def test_invalid_token_is_refused(client: TestClient) -> None:
    response = client.get("/api/orders", headers={"Authorization": "Bearer nonsense"})

    assert error_of(response, 401)["code"] == "INVALID_TOKEN"


def test_invalid_cookie_is_refused(client: TestClient) -> None:
    client.cookies.set("tp_access", "nonsense")

    assert error_of(client.get("/api/orders"), 401)["code"] == "INVALID_TOKEN"


def test_malformed_json_is_a_422_validation_error(client: TestClient, login_as: Login) -> None:
    login_as(Role.TRADER)

    response = client.post(
        "/api/orders", content=b'{"venueId": ', headers={"Content-Type": "application/json"}
    )

    assert error_of(response, 422)["code"] == "VALIDATION_ERROR"


def test_unknown_body_field_is_a_422_naming_it(client: TestClient, login_as: Login) -> None:
    login_as(Role.TRADER)

    err = error_of(client.post("/api/orders", json=order(leverage="10")), 422)

    assert err["code"] == "VALIDATION_ERROR" and field_names(err) == ["leverage"]


def test_float_quantity_is_a_422(client: TestClient, login_as: Login) -> None:
    login_as(Role.TRADER)

    err = error_of(client.post("/api/orders", json=order(quantity=0.1)), 422)

    assert field_names(err) == ["quantity"]


def test_limit_order_without_price_is_a_422_naming_price(client: TestClient, login_as: Login) -> None:
    login_as(Role.TRADER)

    err = error_of(client.post("/api/orders", json=order(type="Limit")), 422)

    assert field_names(err) == ["price"]


def test_market_order_with_a_price_is_a_422(client: TestClient, login_as: Login) -> None:
    login_as(Role.TRADER)

    err = error_of(client.post("/api/orders", json=order(price="100")), 422)

    assert field_names(err) == ["price"]


def test_symbol_must_be_base_slash_quote(client: TestClient, login_as: Login) -> None:
    login_as(Role.TRADER)

    assert field_names(error_of(client.post("/api/orders", json=order(symbol="btcusdt")), 422)) == ["symbol"]


def test_invalid_idempotency_key_is_a_422(client: TestClient, login_as: Login) -> None:
    login_as(Role.TRADER)

    response = client.post("/api/orders", json=order(), headers={"Idempotency-Key": "has spaces"})

    assert error_of(response, 422)["details"]["fields"][0]["location"] == "header"


def test_viewer_cannot_place_orders(client: TestClient, login_as: Login) -> None:
    login_as(Role.VIEWER)

    assert error_of(client.post("/api/orders", json=order()), 403)["code"] == "FORBIDDEN"


def test_viewer_cannot_cancel_orders(client: TestClient, login_as: Login) -> None:
    login_as(Role.VIEWER)

    assert error_of(client.delete(f"/api/orders/{uuid.uuid4()}"), 403)["code"] == "FORBIDDEN"


def test_trader_cannot_reach_admin_endpoints(client: TestClient, login_as: Login) -> None:
    login_as(Role.TRADER)

    assert error_of(client.get("/api/admin/users"), 403)["code"] == "FORBIDDEN"


def test_trader_cannot_engage_the_global_kill_switch(client: TestClient, login_as: Login) -> None:
    login_as(Role.TRADER)

    response = client.post("/api/killswitch/activate", json={"scope": "global", "reason": "panic"})

    assert error_of(response, 403)["code"] == "FORBIDDEN"


def test_trader_cannot_halt_another_user(client: TestClient, login_as: Login) -> None:
    login_as(Role.TRADER)

    body = {"scope": "user", "userId": str(uuid.uuid4()), "reason": "panic"}

    assert error_of(client.post("/api/killswitch/activate", json=body), 403)["code"] == "FORBIDDEN"


def test_trader_cannot_read_another_users_settings(client: TestClient, login_as: Login) -> None:
    login_as(Role.TRADER)

    response = client.get("/api/settings/trading", params={"userId": str(uuid.uuid4())})

    assert error_of(response, 403)["code"] == "FORBIDDEN"


@pytest.mark.parametrize("field", ["maxOrderNotional", "maxDailyLossPct"])
def test_float_risk_limit_is_a_422(client: TestClient, login_as: Login, field: str) -> None:
    login_as(Role.TRADER)

    assert field_names(error_of(client.put("/api/settings/trading", json={field: 1.5}), 422)) == [field]


def test_page_size_above_the_maximum_is_a_422(client: TestClient, login_as: Login) -> None:
    login_as(Role.TRADER)

    response = client.get("/api/killswitch/history", params={"pageSize": 1000})

    assert field_names(error_of(response, 422)) == ["pageSize"]


def test_non_uuid_id_in_the_path_is_no_such_resource(client: TestClient, login_as: Login) -> None:
    login_as(Role.TRADER)

    assert error_of(client.get("/api/venues/not-a-uuid"), 404)["code"] == "NOT_FOUND"


def test_other_method_on_a_fixed_path_beside_an_id_path_is_a_405(client: TestClient, login_as: Login) -> None:
    login_as(Role.TRADER)

    response = client.delete("/api/orders/history")

    assert error_of(response, 405)["code"] == "METHOD_NOT_ALLOWED"
    assert response.headers["allow"] == "GET"


@pytest.mark.parametrize(
    ("method", "path", "allowed"),
    [
        ("PUT", "/api/orders", "GET, POST"),
        ("POST", "/api/settings/trading", "GET, PUT"),
        ("OPTIONS", "/api/webhooks/6f1c7f0e-4d0b-5a55-9a3e-2b8f5d1c9e47", "DELETE, PATCH"),
        ("PUT", "/api/auth/login", "POST"),
    ],
)
def test_405_allow_header_names_every_method_of_the_path(
    client: TestClient, method: str, path: str, allowed: str
) -> None:
    response = client.request(method, path)

    assert error_of(response, 405)["code"] == "METHOD_NOT_ALLOWED"
    assert response.headers["allow"] == allowed


def test_unexpected_failure_is_a_logged_503_internal(
    app: FastAPI, client: TestClient, login_as: Login
) -> None:
    login_as(Role.TRADER)

    def broken() -> None:
        raise RuntimeError("database exploded")

    app.dependency_overrides[deps._reading] = broken  # the connection GET /api/orders reads with

    assert error_of(client.get("/api/orders"), 503)["code"] == "INTERNAL"


def test_registration_with_an_invalid_email_is_a_422(client: TestClient) -> None:
    response = client.post("/api/auth/register", json={"email": "not-an-email", "password": "correcthorse42"})

    assert field_names(error_of(response, 422)) == ["email"]


def test_login_without_email_or_username_is_a_422(client: TestClient) -> None:
    assert error_of(client.post("/api/auth/login", json={"password": "x"}), 422)["code"] == "VALIDATION_ERROR"


def test_openapi_document_is_served_under_api(client: TestClient) -> None:
    document = client.get("/api/openapi.json").json()

    assert document["paths"]["/api/orders"]["post"]["summary"].startswith("Place an order")


def test_body_larger_than_the_limit_is_a_413_envelope(client: TestClient) -> None:
    response = client.post(
        "/api/auth/register", content=b"x" * (2 << 20), headers={"Content-Type": "application/json"}
    )

    assert error_of(response, 413)["code"] == "PAYLOAD_TOO_LARGE"


def test_client_order_id_and_idempotency_key_must_agree(client: TestClient, login_as: Login) -> None:
    login_as(Role.TRADER)

    response = client.post("/api/orders", json=order(clientOrderId="a"), headers={"Idempotency-Key": "b"})

    assert error_of(response, 422)["code"] == "IDEMPOTENCY_KEY_MISMATCH"
