"""Bots at the gateway on the real stack (the gateway process, real nats-server and PostgreSQL): the built-in
strategies with their config schemas, orders a bot sends on the bus, which the order view shows with
their `botId` and filters by it, and `tradeplane bot list --user EMAIL` asking the bots service (played
here by a responder) about the user with that email."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import threading
import uuid
from decimal import Decimal
from typing import Any
from uuid import UUID

import httpx
import pytest
from nats.aio.msg import Msg
from tradeplane.contracts import subjects
from tradeplane.contracts.queries import BOTS, Query, Reply

from tests.support import natsauth
from tests.support.bot_orders import bot_order, publish_orders
from tests.support.client import User, eventually_sync, ok, register
from tests.support.servers import Stack, gateway_client, run_async, shared_stack

pytestmark = [pytest.mark.integration, pytest.mark.timeout(180)]

PARTITIONS = 16
BUILT_INS = {"rebalancer", "grid", "dca", "trend", "mean_reversion"}


stack = shared_stack("gateway-bots", services=["gateway"])
"""The gateway alone: the orders arrive on the bus as a bot sends them."""
api = gateway_client()


async def send_on_the_bus(nats_url: str, user: User, bot_id: UUID | None) -> str:
    """A market order published as another service would (the bots service, for `bot_id`)."""
    intent = bot_order(user.uuid, uuid.uuid4(), Decimal("0.001"), bot_id)
    sent: list[str] = await publish_orders(nats_url, [intent], PARTITIONS)
    return sent[0]


def orders(api: httpx.Client, user: User, **params: str) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = ok(api.get("/api/orders", params=params, headers=user.headers))
    return found


def test_strategies_are_the_five_built_ins_with_their_config_schemas(api: httpx.Client) -> None:
    user = register(api, limits=None)

    listed = ok(api.get("/api/strategies", headers=user.headers))
    grid = ok(api.get("/api/strategies/grid", headers=user.headers))

    assert {s["id"] for s in listed} == BUILT_INS
    assert all(s["configSchema"]["type"] == "object" and s["configSchema"]["properties"] for s in listed)
    assert {"lower", "upper", "levels", "quantityPerLevel"} <= set(grid["configSchema"]["required"])


def test_a_bots_orders_carry_its_id_and_are_filtered_by_it(api: httpx.Client, stack: Stack) -> None:
    user, bot, other_bot = register(api, limits=None), uuid.uuid4(), uuid.uuid4()
    by_bot = run_async(lambda: send_on_the_bus(stack.nats_url, user, bot))
    by_other_bot = run_async(lambda: send_on_the_bus(stack.nats_url, user, other_bot))
    by_hand = run_async(lambda: send_on_the_bus(stack.nats_url, user, None))

    everything = eventually_sync(lambda: orders(api, user), lambda found: len(found) == 3)

    assert {o["id"]: o["botId"] for o in everything} == {
        by_bot: str(bot),
        by_other_bot: str(other_bot),
        by_hand: None,
    }
    assert [o["id"] for o in orders(api, user, botId=str(bot))] == [by_bot]
    one = ok(api.get(f"/api/orders/{by_bot}", headers=user.headers))
    assert one["botId"] == str(bot)


def test_another_users_bot_orders_are_not_shown(api: httpx.Client, stack: Stack) -> None:
    owner, stranger, bot = register(api, limits=None), register(api, limits=None), uuid.uuid4()
    sent = run_async(lambda: send_on_the_bus(stack.nats_url, owner, bot))
    eventually_sync(lambda: orders(api, owner, botId=str(bot)), lambda found: len(found) == 1)

    assert orders(api, stranger, botId=str(bot)) == []
    assert api.get(f"/api/orders/{sent}", headers=stranger.headers).status_code == 404


class BotsResponder:
    """Answers `bots.admin_list` on the stack's NATS from a thread of its own, recording each query."""

    def __init__(self, nats_url: str, answer: Reply) -> None:
        self.nats_url, self.answer = nats_url, answer
        self.queries: list[Query] = []
        self.ready, self.done = threading.Event(), threading.Event()
        self.thread = threading.Thread(target=lambda: asyncio.run(self._serve()), daemon=True)

    async def _serve(self) -> None:
        nc = await natsauth.connect_operator(self.nats_url)

        async def respond(msg: Msg) -> None:
            self.queries.append(Query.model_validate_json(msg.data))
            await msg.respond(self.answer.model_dump_json().encode())

        await nc.subscribe(subjects.query(BOTS, "bots.admin_list"), cb=respond)
        await nc.flush()
        self.ready.set()
        await asyncio.to_thread(self.done.wait)
        await nc.close()

    def __enter__(self) -> BotsResponder:
        self.thread.start()
        assert self.ready.wait(10), "the responder did not subscribe"
        return self

    def __exit__(self, *exc: object) -> None:
        self.done.set()
        self.thread.join(10)


def bot_cli(stack: Stack, *args: str) -> subprocess.CompletedProcess[str]:
    env = os.environ | {"TP_DATABASE_URL": stack.database_url, "TP_NATS_URL": stack.nats_url}
    env |= natsauth.operator_env() | {"COLUMNS": "250"}
    command = [sys.executable, "-m", "tradeplane.cli", "bot", *args]
    return subprocess.run(command, env=env, capture_output=True, text=True, timeout=60)


def test_cli_lists_the_bots_of_the_user_with_an_email(api: httpx.Client, stack: Stack) -> None:
    user = register(api, limits=None)
    listed = Reply.success([{"id": str(uuid.uuid4()), "name": "grid-btc", "status": "Running"}])

    with BotsResponder(stack.nats_url, listed) as bots:
        result = bot_cli(stack, "list", "--user", user.email.upper())

    assert result.returncode == 0, result.stderr
    assert "grid-btc" in result.stdout
    assert [(q.params, q.caller.role.value) for q in bots.queries] == [({"userId": user.id}, "admin")]


def test_cli_refuses_an_email_no_user_has(stack: Stack) -> None:
    result = bot_cli(stack, "list", "--user", "nobody-here@example.com")

    assert result.returncode == 1
    assert "no user has the email nobody-here@example.com" in result.stderr
