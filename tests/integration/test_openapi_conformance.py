"""The gateway's OpenAPI document tells the truth: Schemathesis generates requests from it against the real
stack, as a logged-in trader, and every answer must conform to it: no 5xx, a documented status code,
content type and body, and 405 with an `Allow` header for a method the path does not have.

Schemathesis runs as its command line (its pytest plugin does not run under pytest 9), over every phase
but the stateful one, with a fixed seed and a bounded number of examples per operation.
"""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from pathlib import Path

import httpx
import pytest

from tests.support.client import PASSWORD, ok
from tests.support.servers import Stack, shared_stack

pytestmark = [pytest.mark.integration, pytest.mark.timeout(900)]

CHECKS = os.environ.get("TP_SCHEMATHESIS_CHECKS", "all")
BUSINESS_RULES = {
    "POST /api/auth/register": "password strength",
    "POST /api/auth/password": "password strength",
    "POST /api/venues/connect": "which exchanges exist and which credentials each needs",
    "PUT /api/settings/trading": "limits consistent with each other and within the admin's ceilings",
    "POST /api/orders": "clientOrderId and the Idempotency-Key header, when both are sent, must agree",
    "POST /api/webhooks": "the URL must be http(s) and reach a public address",
    "PATCH /api/webhooks/{webhook_id}": "the URL must be http(s) and reach a public address",
    "POST /api/bots": "the config must fit the schema of the strategy the body names",
    "PUT /api/bots/{bot_id}": "the config must fit the schema of the bot's strategy",
    "GET /api/market/candles/{symbol}": "start must not be after end, and both must have a UTC form",
    "POST /api/backtests": "the config must fit the strategy's schema; period, symbols and dataset must fit",
    "POST /api/strategies/{strategy_id}/backtest": "the strategy must exist and the config fit its schema",
    "POST /api/strategies/compare": "the backtests compared must be the caller's own",
    "POST /api/settings/import": "its limits, bots and webhooks follow the rules of their own endpoints",
    "GET /api/compliance/audit-log": "`to` must be after `from`, and both must have a UTC form",
    "GET /api/compliance/audit-log/export": "`to` must be after `from`, and both must have a UTC form",
}
"""Operations whose 422s also follow rules JSON Schema cannot state: a schema-valid request may be refused."""
ACCEPTED_OR_REFUSED = '["2xx", "3xx", "401", "403", "404", "409", "422", "429"]'
EXAMPLES_PER_OPERATION = os.environ.get("TP_SCHEMATHESIS_EXAMPLES", "10")
"""Bounded so the run takes a few minutes on 2 busy cores."""
SESSION_ENDING = "POST /api/auth/logout"
"""Would end the session every other request authenticates with."""


stack = shared_stack("openapi")


def trader_token(base_url: str) -> str:
    email = f"openapi-{uuid.uuid4().hex[:10]}@example.com"
    with httpx.Client(base_url=base_url, timeout=30) as http:
        ok(http.post("/api/auth/register", json={"email": email, "password": PASSWORD}))
        session = ok(http.post("/api/auth/login", json={"email": email, "password": PASSWORD}))
    return str(session["access_token"])


def config_file(directory: Path) -> Path:
    path = directory / "schemathesis.toml"
    sections = [
        f'[[operations]]  # {why}\ninclude-name = "{name}"\n'
        f"checks.positive_data_acceptance.expected-statuses = {ACCEPTED_OR_REFUSED}\n"
        for name, why in BUSINESS_RULES.items()
    ]
    path.write_text("\n".join(sections))
    return path


def test_gateway_answers_conform_to_its_openapi_document(stack: Stack, tmp_path: Path) -> None:
    base = stack.url("gateway")
    command = [
        sys.executable, "-m", "schemathesis.cli", "--config-file", str(config_file(tmp_path)),
        "run", f"{base}/api/openapi.json",
        "--url", base,
        "--header", f"Authorization: Bearer {trader_token(base)}",
        "--checks", CHECKS,
        "--phases", "examples,coverage,fuzzing",
        "--max-examples", EXAMPLES_PER_OPERATION,
        "--seed", "1",
        "--workers", "2",
        "--request-timeout", "30",
        "--exclude-name", SESSION_ENDING,
        "--suppress-health-check", "all",
        "--continue-on-failure",
        "--report-dir", str(tmp_path),
    ]  # fmt: skip
    env = os.environ | {"NO_COLOR": "1", "SCHEMATHESIS_HOOKS": ""}

    run = subprocess.run(command, capture_output=True, text=True, env=env, timeout=850, cwd=tmp_path)

    assert run.returncode == 0, f"schemathesis found mismatches:\n{run.stdout[-20000:]}\n{run.stderr[-3000:]}"
