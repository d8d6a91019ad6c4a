"""Backtests as jobs on the real stack (gateway, risk, the backtests worker; real nats-server and
PostgreSQL): queue through the API, follow to Done, the same request gives the same `resultHash`,
compare side by side, cancel a running one, bad requests are 422 naming the field, another user's
backtest is a 404, the per-user limit, events on `tp.backtest.*`, and a job whose worker was SIGKILLed
runs again after the restart."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import httpx
import pytest
from tradeplane.contracts.market import Timeframe
from tradeplane.gateway.routes.backtests import EXAMPLE

from tests.support.client import User, eventually_sync, login, ok, register
from tests.support.market import publish_ticker
from tests.support.natsauth import recorded_while
from tests.support.servers import Stack, gateway_client, run_async, shared_stack

pytestmark = [pytest.mark.integration, pytest.mark.timeout(400)]

GRID: dict[str, Any] = EXAMPLE | {"end": "2024-03-01T00:00:00Z"}
"""The API's documented grid, on two months."""
REBALANCER = GRID | {
    "strategy": "rebalancer",
    "config": {"targets": {"BTC": "0.5", "USDT": "0.5"}, "intervalSeconds": 86400},
}
LONG = GRID | {"timeframe": "1m", "end": "2024-12-31T00:00:00Z"}
"""Half a million 1-minute candles: long enough to be caught running."""
METRICS = {
    "totalReturnPct",
    "cagr",
    "sharpeRatio",
    "sortinoRatio",
    "calmarRatio",
    "maxDrawdownPct",
    "winRate",
    "profitFactor",
    "expectancy",
    "totalTrades",
    "fees",
    "exposurePct",
    "buyAndHoldReturnPct",
}


# Progress every quarter second, so a job is seen running long before it is done.
stack = shared_stack(
    "backtests",
    services=["risk", "backtests", "gateway", "marketdata"],
    env={"TP_BACKTESTS_PROGRESS_SECONDS": "0.25"},
)
api = gateway_client()


def queue(api: httpx.Client, user: User, body: dict[str, Any]) -> dict[str, Any]:
    response = api.post("/api/backtests", json=body, headers=user.headers)
    assert response.status_code == 202, response.text
    created: dict[str, Any] = response.json()["data"]
    return created


def backtest(api: httpx.Client, user: User, backtest_id: str) -> dict[str, Any]:
    found: dict[str, Any] = ok(api.get(f"/api/backtests/{backtest_id}", headers=user.headers))
    return found


def finished(api: httpx.Client, user: User, backtest_id: str, timeout: float = 180) -> dict[str, Any]:
    return eventually_sync(
        lambda: backtest(api, user, backtest_id),
        lambda b: b["status"] in ("Done", "Failed", "Cancelled"),
        timeout=timeout,
    )


def running(api: httpx.Client, user: User, backtest_id: str) -> dict[str, Any]:
    return eventually_sync(
        lambda: backtest(api, user, backtest_id),
        lambda b: b["status"] == "Running" and b["progress"] > 0,
        timeout=120,
    )


def error_of(response: httpx.Response) -> tuple[int, str, list[str]]:
    error = response.json()["error"]
    fields = [f["field"] for f in error.get("details", {}).get("fields", [])]
    return response.status_code, error["code"], fields


def test_a_grid_backtest_runs_to_done_twice_with_the_same_hash_and_compares(
    api: httpx.Client, stack: Stack
) -> None:
    user = register(api, limits=None)

    def run_both() -> tuple[dict[str, Any], dict[str, Any]]:
        first = queue(api, user, GRID)
        assert (first["status"], first["progress"]) == ("Queued", 0)
        return finished(api, user, first["id"]), finished(api, user, queue(api, user, GRID)["id"])

    (first, second), events = run_async(
        lambda: recorded_while(stack.nats_url, f"tp.backtest.*.{user.id}", run_both)
    )

    assert (first["status"], first["progress"], first["error"]) == ("Done", 1, None)
    result = first["result"]
    assert set(result["metrics"]) >= METRICS
    assert result["equity"] and {"t", "value"} <= set(result["equity"][0])
    assert result["resultHash"] == first["resultHash"] and len(first["resultHash"]) == 64
    assert result["datasetHash"] == first["datasetHash"]
    assert second["resultHash"] == first["resultHash"]
    assert first["request"]["limits"] is not None  # the user's own limits, as live
    seen = [json.loads(e) for e in events]
    done = {(e["backtest_id"], e["status"], e.get("result_hash")) for e in seen}
    assert {(b["id"], "Done", b["resultHash"]) for b in (first, second)} <= done
    assert {(first["id"], "Running")} <= {(e["backtest_id"], e["status"]) for e in seen}

    other = queue(api, user, REBALANCER)
    assert finished(api, user, other["id"])["status"] == "Done"
    compared = ok(
        api.post(
            "/api/strategies/compare", json={"backtestIds": [first["id"], other["id"]]}, headers=user.headers
        )
    )
    assert [(c["id"], c["strategy"]) for c in compared] == [
        (first["id"], "grid"),
        (other["id"], "rebalancer"),
    ]
    assert all(set(c["metrics"]) >= METRICS for c in compared)
    assert "rebalances" in compared[1]["metrics"]

    listed = api.get("/api/backtests", headers=user.headers).json()
    assert listed["pagination"]["totalItems"] == 3
    assert listed["data"][0]["id"] == other["id"]


def test_the_strategy_in_the_path_runs_the_same_backtest(api: httpx.Client) -> None:
    user = register(api, limits=None)
    body = {k: v for k, v in GRID.items() if k != "strategy"}

    response = api.post("/api/strategies/grid/backtest", json=body, headers=user.headers)

    assert response.status_code == 202, response.text
    direct = finished(api, user, queue(api, user, GRID)["id"])
    assert finished(api, user, response.json()["data"]["id"])["resultHash"] == direct["resultHash"]


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"config": GRID["config"] | {"levels": "many"}}, (422, "VALIDATION_ERROR", ["config.levels"])),
        ({"end": "2023-12-01T00:00:00Z"}, (422, "VALIDATION_ERROR", ["end"])),
        ({"dataset": "nowhere:1"}, (422, "VALIDATION_ERROR", ["dataset"])),
        ({"dataset": "recorded"}, (422, "NO_RECORDED_CANDLES", ["dataset"])),
        ({"dataset": "csv:/etc/passwd"}, (422, "DATASET_UNAVAILABLE", ["dataset"])),
        ({"strategy": "astrology"}, (422, "VALIDATION_ERROR", ["strategy"])),
        ({"symbols": [f"X{i}/USDT" for i in range(500)]}, (422, "VALIDATION_ERROR", ["symbols"])),
    ],
)
def test_bad_requests_are_422_naming_the_field(
    api: httpx.Client, change: dict[str, Any], expected: tuple[int, str, list[str]]
) -> None:
    user = register(api, limits=None)

    response = api.post("/api/backtests", json=GRID | change, headers=user.headers)

    assert error_of(response) == expected
    assert api.get("/api/backtests", headers=user.headers).json()["pagination"]["totalItems"] == 0


RECORDED_PRICES = ["61000", "59900", "61100", "61050"]
"""One ticker a minute: the grid (60000 / 61000 / 62000) buys at 60000, then sells at 61000."""


def test_a_backtest_on_recorded_candles_replays_what_marketdata_stored(
    api: httpx.Client, stack: Stack
) -> None:
    user = register(api, limits=None)
    # Tickers of minutes past, as the paper feed would have sent them: marketdata builds and stores a
    # candle of each (the timer closes a minute already over).
    first = Timeframe.M1.floor(datetime.now(UTC)) - timedelta(minutes=30)

    async def publish() -> None:
        for i, price in enumerate(RECORDED_PRICES):
            at = first + timedelta(minutes=i, seconds=30)
            await publish_ticker(stack.nats_url, "BTC/USDT", Decimal(price), at=at)

    run_async(publish)
    params: dict[str, str | int] = {"timeframe": "1m", "start": first.isoformat(), "limit": 100}
    stored = eventually_sync(
        lambda: ok(api.get("/api/market/candles/BTC-USDT", params=params, headers=user.headers)),
        lambda rows: len([r for r in rows if r["closed"]]) == len(RECORDED_PRICES),
    )
    body = GRID | {
        "config": GRID["config"] | {"upper": "62000", "levels": 3},
        "timeframe": "1m",
        "start": first.isoformat(),
        "end": (first + timedelta(minutes=len(RECORDED_PRICES))).isoformat(),
        "dataset": "recorded",
        "limits": {"maxPositionPct": 50},
    }

    done = finished(api, user, queue(api, user, body)["id"])

    assert (done["status"], done["error"]) == ("Done", None)
    result = done["result"]
    assert result["dataset"] == {"spec": "recorded", "candles": len(stored), "symbols": ["BTC/USDT"]}
    # The buy at 60000 and the sell at 61000: one round trip (the reply counts the fills, lists trades).
    assert result["truncated"]["fills"] == 2
    trades = [
        (Decimal(t["entryPrice"]), Decimal(t["exitPrice"]), Decimal(t["quantity"])) for t in result["trades"]
    ]
    assert trades == [(60000, 61000, Decimal("0.01"))]
    # Another range holds nothing marketdata stored: a clear 422, no job.
    empty = body | {"start": "2024-01-01T00:00:00Z", "end": "2024-01-01T01:00:00Z"}
    response = api.post("/api/backtests", json=empty, headers=user.headers)
    assert error_of(response) == (422, "NO_RECORDED_CANDLES", ["dataset"])
    assert "stored no 1m candle of BTC/USDT" in response.json()["error"]["message"]


def test_an_unknown_strategy_in_the_path_is_a_422(api: httpx.Client) -> None:
    body = {k: v for k, v in GRID.items() if k != "strategy"}
    response = api.post(
        "/api/strategies/astrology/backtest", json=body, headers=register(api, limits=None).headers
    )
    assert error_of(response) == (422, "VALIDATION_ERROR", ["strategy"])


def test_a_running_backtest_is_cancelled_and_the_limit_counts_queued_and_running(api: httpx.Client) -> None:
    user = register(api, limits=None)
    long_one = queue(api, user, LONG)
    queued = queue(api, user, LONG)
    running(api, user, long_one["id"])

    refused = api.post("/api/backtests", json=GRID, headers=user.headers)
    cancelled = ok(api.delete(f"/api/backtests/{long_one['id']}", headers=user.headers))
    dequeued = ok(api.delete(f"/api/backtests/{queued['id']}", headers=user.headers))

    assert error_of(refused)[:2] == (429, "BACKTEST_LIMIT")
    assert (cancelled["status"], dequeued["status"]) == ("Cancelled", "Cancelled")
    # The worker let go of it: the next job runs, and the cancelled one stays cancelled.
    assert finished(api, user, queue(api, user, GRID)["id"])["status"] == "Done"
    after = backtest(api, user, long_one["id"])
    assert (after["status"], after["result"]) == ("Cancelled", None)
    deleted = ok(api.delete(f"/api/backtests/{long_one['id']}", headers=user.headers))
    assert deleted == {"id": long_one["id"], "deleted": True}
    assert api.get(f"/api/backtests/{long_one['id']}", headers=user.headers).status_code == 404


def test_another_users_backtest_is_not_found(api: httpx.Client) -> None:
    owner, other = register(api, limits=None), register(api, limits=None)
    mine = queue(api, owner, GRID)
    finished(api, owner, mine["id"])

    assert error_of(api.get(f"/api/backtests/{mine['id']}", headers=other.headers))[:2] == (
        404,
        "BACKTEST_NOT_FOUND",
    )
    assert api.delete(f"/api/backtests/{mine['id']}", headers=other.headers).status_code == 404
    theirs = queue(api, other, GRID)
    compare = {"backtestIds": [theirs["id"], mine["id"]]}
    assert api.post("/api/strategies/compare", json=compare, headers=other.headers).status_code == 404
    assert api.get("/api/backtests", headers=other.headers).json()["pagination"]["totalItems"] == 1
    assert backtest(api, owner, mine["id"])["status"] == "Done"


def test_a_viewer_cannot_queue_a_backtest(api: httpx.Client, stack: Stack) -> None:
    admin, user = login(api, stack.admin_email, stack.admin_password), register(api, limits=None)
    ok(api.patch(f"/api/admin/users/{user.id}", json={"role": "viewer"}, headers=admin.headers))

    response = api.post("/api/backtests", json=GRID, headers=user.headers)

    assert error_of(response)[:2] == (403, "FORBIDDEN")


def test_a_job_whose_worker_was_killed_runs_again_after_the_restart(api: httpx.Client, stack: Stack) -> None:
    user = register(api, limits=None)
    medium = GRID | {"timeframe": "1m", "end": "2024-06-01T00:00:00Z"}  # seconds of work, many reports
    job = queue(api, user, medium)
    started = running(api, user, job["id"])

    stack.kill("backtests")
    stack.restart("backtests")

    done = finished(api, user, job["id"])
    assert done["status"] == "Done", done["error"]
    assert done["startedAt"] != started["startedAt"]  # claimed again, from the start
    assert done["resultHash"] == finished(api, user, queue(api, user, medium)["id"])["resultHash"]
