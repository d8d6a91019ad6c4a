"""Strategies and bots at the gateway: strategies served from the library, bot routes forwarded to the bots
service (a fake answers its queries here), configs checked against their strategy before forwarding."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from tradeplane.contracts import Role
from tradeplane.contracts.queries import BOTS, BOTS_QUERIES, Caller, Reply
from tradeplane.gateway import deps
from tradeplane.gateway.adapters import order_view
from tradeplane.gateway.auth.principal import Principal
from tradeplane.gateway.routes import bots as bots_api
from tradeplane.strategies import STRATEGIES

Login = Callable[[Role], Principal]
BOT_ID = uuid.UUID("7d0c5a8e-1f2b-4c3d-9e4f-5a6b7c8d9e0f")
VENUE_ID = "6f1c0d2e-4b7a-4c39-9d0e-2a1b3c4d5e6f"
REBALANCER = {"targets": {"BTC": "0.5", "USDT": "0.5"}, "intervalSeconds": 3600, "driftThresholdPct": "5"}
UNANSWERED = Reply.failure("SERVICE_UNAVAILABLE", "the bots service did not answer", 503)


def bot(**over: Any) -> dict[str, Any]:
    return {
        "id": str(BOT_ID),
        "name": "50-50",
        "strategy": "rebalancer",
        "venueId": VENUE_ID,
        "status": "Stopped",
        "config": REBALANCER,
    } | over


class FakeBots:
    """Answers the gateway's queries as the bots service would; records what it was asked."""

    def __init__(self) -> None:
        self.asked: list[tuple[str, str, dict[str, Any]]] = []
        self.replies: dict[str, Reply] = {}

    async def __call__(
        self, caller: Caller, service: str, name: str, params: dict[str, Any] | None = None
    ) -> Reply:
        self.asked.append((service, name, dict(params or {})))
        if name in self.replies:
            return self.replies[name]
        if name in ("bots.list", "bots.logs"):
            return Reply.success([], {"page": 1, "pageSize": 20, "totalPages": 1, "totalItems": 0})
        return Reply.success(bot())

    @property
    def names(self) -> list[str]:
        return [name for _, name, _ in self.asked]

    def last(self, name: str) -> dict[str, Any]:
        return next(params for service, n, params in reversed(self.asked) if n == name and service == BOTS)


@pytest.fixture
def fake(app: FastAPI, monkeypatch: pytest.MonkeyPatch) -> FakeBots:
    answering = FakeBots()
    monkeypatch.setattr(app.state.gateway, "ask", answering)
    return answering


@pytest.fixture
def trader(login_as: Login) -> Principal:
    return login_as(Role.TRADER)


def error_of(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    return response.json()["error"]  # type: ignore[no-any-return]


def fields_of(response: Any) -> list[str]:
    return [f["field"] for f in error_of(response, 422)["details"]["fields"]]


def create(**over: Any) -> dict[str, Any]:
    return {"name": "50-50", "strategy": "rebalancer", "venueId": VENUE_ID, "config": REBALANCER} | over


# Strategies


def test_strategies_lists_the_five_built_ins_with_their_schemas(
    client: TestClient, trader: Principal
) -> None:
    response = client.get("/api/strategies")

    assert response.status_code == 200
    listed = {s["id"]: s for s in response.json()["data"]}
    assert set(listed) == {"rebalancer", "grid", "dca", "trend", "mean_reversion"}
    rebalancer = listed["rebalancer"]
    assert rebalancer["type"] == "Rebalancing" and rebalancer["version"]
    assert "targets" in rebalancer["configSchema"]["properties"]
    assert "intervalSeconds" in rebalancer["updatableFields"]


def test_one_strategy_by_id(client: TestClient, login_as: Login) -> None:
    login_as(Role.VIEWER)

    response = client.get("/api/strategies/grid")

    assert response.status_code == 200
    assert response.json()["data"]["configSchema"]["required"] == list(
        STRATEGIES["grid"].config.model_json_schema(by_alias=True)["required"]
    )


def test_unknown_strategy_is_a_404(client: TestClient, trader: Principal) -> None:
    assert error_of(client.get("/api/strategies/martingale"), 404)["code"] == "STRATEGY_NOT_FOUND"


def test_strategies_need_a_login(client: TestClient) -> None:
    assert error_of(client.get("/api/strategies"), 401)["code"] == "UNAUTHORIZED"


# Creating and changing bots


def test_create_forwards_the_body_and_answers_201(
    client: TestClient, trader: Principal, fake: FakeBots
) -> None:
    body = create(allocation={"USDT": "5000"}, dryRun=True)

    response = client.post("/api/bots", json=body)

    assert response.status_code == 201 and response.json()["data"]["id"] == str(BOT_ID)
    assert fake.last("bots.create") == body


def test_create_sends_the_caller_to_the_bots_service(
    client: TestClient, trader: Principal, fake: FakeBots, monkeypatch: pytest.MonkeyPatch
) -> None:
    callers: list[Caller] = []

    async def recording(
        caller: Caller, service: str, name: str, params: dict[str, Any] | None = None
    ) -> Reply:
        callers.append(caller)
        return await fake(caller, service, name, params)

    monkeypatch.setattr(client.app.state.gateway, "ask", recording)  # type: ignore[attr-defined]

    client.post("/api/bots", json=create())

    assert [(c.user_id, c.role) for c in callers] == [(trader.id, Role.TRADER)]


def test_config_that_does_not_fit_is_a_422_naming_the_field_and_is_not_forwarded(
    client: TestClient, trader: Principal, fake: FakeBots
) -> None:
    response = client.post("/api/bots", json=create(config=REBALANCER | {"intervalSeconds": 5}))

    assert fields_of(response) == ["config.intervalSeconds"]
    assert error_of(response, 422)["code"] == "VALIDATION_ERROR"
    assert fake.asked == []


def test_missing_and_unknown_config_fields_are_each_named(
    client: TestClient, trader: Principal, fake: FakeBots
) -> None:
    response = client.post(
        "/api/bots", json=create(strategy="grid", config={"symbol": "BTC/USDT", "step": "1"})
    )

    assert set(fields_of(response)) >= {"config.lower", "config.upper", "config.step"}


def test_config_rule_across_fields_is_a_422_on_config(
    client: TestClient, trader: Principal, fake: FakeBots
) -> None:
    uneven = REBALANCER | {"targets": {"BTC": "0.7", "USDT": "0.5"}}

    response = client.post("/api/bots", json=create(config=uneven))

    assert fields_of(response) == ["config"]
    assert "sum to 1" in error_of(response, 422)["details"]["fields"][0]["message"]


def test_unknown_strategy_is_a_422_naming_strategy(
    client: TestClient, trader: Principal, fake: FakeBots
) -> None:
    response = client.post("/api/bots", json=create(strategy="martingale"))

    assert fields_of(response) == ["strategy"]
    assert fake.asked == []


@pytest.mark.parametrize(
    ("over", "field"),
    [
        ({"allocation": {"USDT": 5000.5}}, "allocation.USDT"),
        ({"allocation": {"USDT": "-1"}}, "allocation.USDT"),
        ({"allocation": {"USDT": "1" * 20}}, "allocation.USDT"),
        ({"name": "   "}, "name"),
        ({"venueId": "paper"}, "venueId"),
        ({"owner": "someone"}, "owner"),
    ],
)
def test_body_shape_is_checked_before_forwarding(
    client: TestClient, trader: Principal, fake: FakeBots, over: dict[str, Any], field: str
) -> None:
    assert fields_of(client.post("/api/bots", json=create(**over))) == [field]
    assert fake.asked == []


def test_unknown_venue_404_of_the_bots_service_passes_through(
    client: TestClient, trader: Principal, fake: FakeBots
) -> None:
    fake.replies["bots.create"] = Reply.failure("VENUE_NOT_FOUND", "no such venue account", 404)

    assert error_of(client.post("/api/bots", json=create()), 404)["code"] == "VENUE_NOT_FOUND"


def test_update_checks_the_new_config_against_the_bots_strategy(
    client: TestClient, trader: Principal, fake: FakeBots
) -> None:
    fake.replies["bots.get"] = Reply.success(bot(strategy="grid"))

    response = client.put(f"/api/bots/{BOT_ID}", json={"config": REBALANCER})

    assert "config.targets" in fields_of(response)
    assert fake.names == ["bots.get"]


def test_update_forwards_the_changes(client: TestClient, trader: Principal, fake: FakeBots) -> None:
    changed = REBALANCER | {"driftThresholdPct": "2"}

    response = client.put(f"/api/bots/{BOT_ID}", json={"config": changed, "dryRun": False})

    assert response.status_code == 200
    assert fake.last("bots.update") == {"id": str(BOT_ID), "config": changed, "dryRun": False}


def test_update_without_config_does_not_look_up_the_strategy(
    client: TestClient, trader: Principal, fake: FakeBots
) -> None:
    client.put(f"/api/bots/{BOT_ID}", json={"name": "renamed"})

    assert fake.names == ["bots.update"]


def test_update_of_a_running_bot_409_passes_through(
    client: TestClient, trader: Principal, fake: FakeBots
) -> None:
    fake.replies["bots.update"] = Reply.failure("BOT_RUNNING", "stop the bot to change its symbol", 409)

    assert error_of(client.put(f"/api/bots/{BOT_ID}", json={"name": "x"}), 409)["code"] == "BOT_RUNNING"


def test_update_of_an_unknown_bot_is_the_bots_services_404(
    client: TestClient, trader: Principal, fake: FakeBots
) -> None:
    fake.replies["bots.get"] = Reply.failure("BOT_NOT_FOUND", "no such bot", 404)

    response = client.put(f"/api/bots/{BOT_ID}", json={"config": REBALANCER})

    assert error_of(response, 404)["code"] == "BOT_NOT_FOUND"
    assert "bots.update" not in fake.names


# Reading and acting on bots


ACTIONS = ["start", "pause", "resume", "run"]


@pytest.mark.parametrize("action", ACTIONS)
def test_actions_forward_the_bot_id(
    client: TestClient, trader: Principal, fake: FakeBots, action: str
) -> None:
    response = client.post(f"/api/bots/{BOT_ID}/{action}")

    assert response.status_code == 200
    assert fake.last(f"bots.{action}") == {"id": str(BOT_ID)}


@pytest.mark.parametrize("action", ACTIONS)
def test_the_bot_page_calls_the_same_action_endpoints(
    app: FastAPI, trader: Principal, fake: FakeBots, action: str
) -> None:
    response = asyncio.run(bots_api.ACTIONS[action](BOT_ID, trader, app.state.gateway))

    assert response.status_code == 200
    assert fake.last(f"bots.{action}") == {"id": str(BOT_ID)}


def test_stop_cancels_open_orders_and_keeps_positions_by_default(
    client: TestClient, trader: Principal, fake: FakeBots
) -> None:
    client.post(f"/api/bots/{BOT_ID}/stop")

    assert fake.last("bots.stop") == {"id": str(BOT_ID), "cancelOpenOrders": True, "closePositions": False}


def test_stop_forwards_the_callers_choices(client: TestClient, trader: Principal, fake: FakeBots) -> None:
    client.post(f"/api/bots/{BOT_ID}/stop", json={"cancelOpenOrders": False, "closePositions": True})

    assert fake.last("bots.stop") == {"id": str(BOT_ID), "cancelOpenOrders": False, "closePositions": True}


def test_delete_of_a_running_bot_409_passes_through(
    client: TestClient, trader: Principal, fake: FakeBots
) -> None:
    fake.replies["bots.delete"] = Reply.failure("BOT_NOT_STOPPED", "stop the bot first", 409)

    assert error_of(client.delete(f"/api/bots/{BOT_ID}"), 409)["code"] == "BOT_NOT_STOPPED"
    assert fake.last("bots.delete") == {"id": str(BOT_ID)}


def test_run_of_a_stopped_bot_409_passes_through(
    client: TestClient, trader: Principal, fake: FakeBots
) -> None:
    fake.replies["bots.run"] = Reply.failure(
        "BOT_NOT_RUNNING", "start the bot first", 409, botStatus="Stopped"
    )

    err = error_of(client.post(f"/api/bots/{BOT_ID}/run"), 409)

    assert (err["code"], err["details"]) == ("BOT_NOT_RUNNING", {"botStatus": "Stopped"})


def test_list_forwards_paging_and_status(client: TestClient, trader: Principal, fake: FakeBots) -> None:
    response = client.get("/api/bots", params={"page": 2, "pageSize": 5, "status": "Running"})

    assert response.status_code == 200 and "pagination" in response.json()
    assert fake.last("bots.list") == {"page": 2, "pageSize": 5, "status": "Running"}


def test_list_refuses_an_unknown_status(client: TestClient, trader: Principal, fake: FakeBots) -> None:
    assert error_of(client.get("/api/bots", params={"status": "Sleeping"}), 422)["code"] == "VALIDATION_ERROR"


def test_logs_forward_paging_and_level(client: TestClient, trader: Principal, fake: FakeBots) -> None:
    client.get(f"/api/bots/{BOT_ID}/logs", params={"pageSize": 50, "level": "error"})

    assert fake.last("bots.logs") == {"id": str(BOT_ID), "page": 1, "pageSize": 50, "level": "error"}


@pytest.mark.parametrize(("path", "name"), [("", "bots.get"), ("/performance", "bots.performance")])
def test_reads_forward_the_bot_id(
    client: TestClient, login_as: Login, fake: FakeBots, path: str, name: str
) -> None:
    login_as(Role.VIEWER)

    assert client.get(f"/api/bots/{BOT_ID}{path}").status_code == 200
    assert fake.last(name) == {"id": str(BOT_ID)}


def test_unknown_bot_404_passes_through(client: TestClient, trader: Principal, fake: FakeBots) -> None:
    fake.replies["bots.get"] = Reply.failure("BOT_NOT_FOUND", "no such bot", 404)

    assert error_of(client.get(f"/api/bots/{BOT_ID}"), 404)["code"] == "BOT_NOT_FOUND"


def test_a_bot_id_that_is_not_a_uuid_is_no_such_resource(client: TestClient, trader: Principal) -> None:
    assert error_of(client.get("/api/bots/mybot"), 404)["code"] == "NOT_FOUND"


# The bot's orders (the gateway's own order view)


class PagedView:
    def __init__(self) -> None:
        self.asked: list[dict[str, Any]] = []

    async def __call__(self, conn: Any, user_id: uuid.UUID, **filters: Any) -> tuple[list[Any], int]:
        self.asked.append({"user_id": user_id} | filters)
        return [], 0


@pytest.fixture
def view(app: FastAPI, monkeypatch: pytest.MonkeyPatch) -> PagedView:
    async def no_database() -> AsyncIterator[None]:
        yield None

    app.dependency_overrides[deps._connection] = no_database
    app.dependency_overrides[deps._reading] = no_database
    paged_view = PagedView()
    monkeypatch.setattr(order_view, "page", paged_view)
    return paged_view


def test_bot_orders_are_the_callers_orders_of_that_bot(
    client: TestClient, trader: Principal, fake: FakeBots, view: PagedView
) -> None:
    response = client.get(f"/api/bots/{BOT_ID}/orders", params={"page": 3, "pageSize": 10})

    assert response.json()["pagination"]["page"] == 3
    assert view.asked == [{"user_id": trader.id, "bot_id": BOT_ID, "offset": 20, "limit": 10}]


def test_orders_of_an_unknown_bot_are_a_404(
    client: TestClient, trader: Principal, fake: FakeBots, view: PagedView
) -> None:
    fake.replies["bots.get"] = Reply.failure("BOT_NOT_FOUND", "no such bot", 404)

    assert error_of(client.get(f"/api/bots/{BOT_ID}/orders"), 404)["code"] == "BOT_NOT_FOUND"
    assert view.asked == []


def test_orders_filter_by_bot(client: TestClient, trader: Principal, view: PagedView) -> None:
    client.get("/api/orders", params={"botId": str(BOT_ID)})

    assert view.asked[0]["bot_id"] == BOT_ID


def test_users_cannot_set_a_bot_id_on_their_orders(client: TestClient, trader: Principal) -> None:
    order = {"venueId": VENUE_ID, "symbol": "BTC/USDT", "side": "Buy", "type": "Market", "quantity": "1"}

    assert fields_of(client.post("/api/orders", json=order | {"botId": str(BOT_ID)})) == ["botId"]


# Who may act, and when the bots service is away


WRITES = [
    ("post", "/api/bots", create()),
    ("put", f"/api/bots/{BOT_ID}", {"name": "x"}),
    ("delete", f"/api/bots/{BOT_ID}", None),
    *[("post", f"/api/bots/{BOT_ID}/{action}", None) for action in [*ACTIONS, "stop"]],
]


@pytest.mark.parametrize(("method", "path", "body"), WRITES)
def test_viewers_may_not_act_on_bots(
    client: TestClient, login_as: Login, fake: FakeBots, method: str, path: str, body: dict[str, Any] | None
) -> None:
    login_as(Role.VIEWER)

    response = client.request(method, path, json=body)

    assert error_of(response, 403)["code"] == "FORBIDDEN"
    assert fake.asked == []


READS = ["", f"/{BOT_ID}", f"/{BOT_ID}/logs", f"/{BOT_ID}/performance", f"/{BOT_ID}/orders"]


@pytest.mark.parametrize(
    ("method", "path", "body"), [*WRITES, *[("get", f"/api/bots{p}", None) for p in READS]]
)
def test_unanswered_bots_service_is_a_503(
    client: TestClient,
    trader: Principal,
    fake: FakeBots,
    view: PagedView,
    method: str,
    path: str,
    body: dict[str, Any] | None,
) -> None:
    fake.replies = dict.fromkeys(BOTS_QUERIES, UNANSWERED)

    response = client.request(method, path, json=body)

    assert error_of(response, 503)["code"] == "SERVICE_UNAVAILABLE"


def test_bot_routes_are_documented_with_summaries(client: TestClient) -> None:
    paths = client.get("/api/openapi.json").json()["paths"]

    operations = [op for path, item in paths.items() if "/bots" in path for op in item.values()]
    assert len(operations) == 13
    assert all(op.get("summary") for op in operations)
    assert paths["/api/bots"]["post"]["requestBody"]["content"]["application/json"]["schema"]
