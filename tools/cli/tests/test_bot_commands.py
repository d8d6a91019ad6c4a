"""`tradeplane bot list|start|stop`: the queries the CLI sends the bots service as an admin; its output."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from pathlib import Path
from typing import Any
from uuid import UUID

import nats
import pytest
from nats.aio.msg import Msg
from tradeplane.cli import bots, main
from tradeplane.cli.nats import EmbeddedNats
from tradeplane.contracts import Role, subjects
from tradeplane.contracts.queries import BOTS, Query, Reply
from typer.testing import CliRunner

BOT = UUID("7d0c5a8e-1f2b-4c3d-9e4f-5a6b7c8d9e0f")
OWNER = UUID("1b2c3d4e-0000-4000-8000-000000000001")
runner = CliRunner(env={"COLUMNS": "250"})


def bot(**over: Any) -> dict[str, Any]:
    return {
        "id": str(BOT),
        "userId": str(OWNER),
        "name": "grid-btc",
        "strategy": "grid",
        "status": "Running",
        "venue": "paper",
        "dryRun": False,
    } | over


class FakeBots:
    """Stands in for the bots service: records each query and answers from `replies` (else a bot)."""

    def __init__(self) -> None:
        self.asked: list[tuple[str, dict[str, Any]]] = []
        self.replies: dict[str, Reply] = {}

    async def __call__(
        self,
        url: str,
        credentials: tuple[str, str] | None,
        name: str,
        params: Mapping[str, Any],
        timeout: float,
    ) -> Reply:
        self.asked.append((name, dict(params)))
        if name in self.replies:
            return self.replies[name]
        return Reply.success([bot()] if name == "bots.admin_list" else bot())


@pytest.fixture
def fake(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> FakeBots:
    answering = FakeBots()
    monkeypatch.setattr(bots, "ask", answering)
    monkeypatch.setenv("TP_DATA_DIR", str(tmp_path))
    return answering


def no_database(email: str) -> UUID:
    raise AssertionError("a user id needs no database lookup")


def test_list_asks_for_every_users_bots_and_prints_them(fake: FakeBots) -> None:
    result = runner.invoke(main.app, ["bot", "list"])

    assert result.exit_code == 0, result.output
    assert fake.asked == [("bots.admin_list", {})]
    assert str(BOT) in result.output and "grid-btc" in result.output and "Running" in result.output


def test_list_prints_names_as_they_are(fake: FakeBots) -> None:
    fake.replies["bots.admin_list"] = Reply.success([bot(name="[bold]loud[/bold]")])

    result = runner.invoke(main.app, ["bot", "list"])

    assert "[bold]loud[/bold]" in result.output


def test_list_without_bots_says_so(fake: FakeBots) -> None:
    fake.replies["bots.admin_list"] = Reply.success([])

    result = runner.invoke(main.app, ["bot", "list"])

    assert result.exit_code == 0 and "0 bots" in result.output


def test_list_of_one_user_by_id(fake: FakeBots) -> None:
    result = runner.invoke(main.app, ["bot", "list", "--user", str(OWNER)])

    assert result.exit_code == 0, result.output
    assert fake.asked == [("bots.admin_list", {"userId": str(OWNER)})]


def test_list_of_one_user_by_email_looks_the_id_up(fake: FakeBots, monkeypatch: pytest.MonkeyPatch) -> None:
    looked_up: list[str] = []

    def by_email(url: str, email: str) -> UUID:
        looked_up.append(email)
        return OWNER

    monkeypatch.setattr(bots, "user_id_by_email", by_email)

    result = runner.invoke(main.app, ["bot", "list", "--user", "ann@example.com"])

    assert result.exit_code == 0, result.output
    assert looked_up == ["ann@example.com"]
    assert fake.asked == [("bots.admin_list", {"userId": str(OWNER)})]


def test_list_of_an_unknown_email_fails_without_asking(
    fake: FakeBots, monkeypatch: pytest.MonkeyPatch
) -> None:
    def nobody(url: str, email: str) -> UUID:
        raise bots.UnknownUser(email)

    monkeypatch.setattr(bots, "user_id_by_email", nobody)

    result = runner.invoke(main.app, ["bot", "list", "--user", "ghost@example.com"])

    assert result.exit_code == 1
    assert "ghost@example.com" in result.output
    assert fake.asked == []


def test_resolve_user_takes_an_id_as_it_is() -> None:
    assert bots.resolve_user(str(OWNER), no_database) == OWNER


def test_start_asks_for_the_bot_by_id(fake: FakeBots) -> None:
    result = runner.invoke(main.app, ["bot", "start", str(BOT)])

    assert result.exit_code == 0, result.output
    assert fake.asked == [("bots.start", {"id": str(BOT)})]


def test_stop_cancels_the_bots_open_orders_by_default(fake: FakeBots) -> None:
    result = runner.invoke(main.app, ["bot", "stop", str(BOT)])

    assert result.exit_code == 0, result.output
    assert fake.asked == [("bots.stop", {"id": str(BOT), "cancelOpenOrders": True, "closePositions": False})]


def test_stop_with_keep_orders_leaves_them_resting(fake: FakeBots) -> None:
    runner.invoke(main.app, ["bot", "stop", str(BOT), "--keep-orders"])

    assert fake.asked[0][1]["cancelOpenOrders"] is False


def test_a_bot_id_that_is_not_a_uuid_is_refused_before_asking(fake: FakeBots) -> None:
    result = runner.invoke(main.app, ["bot", "start", "grid-btc"])

    assert result.exit_code == 2
    assert fake.asked == []


def test_a_refusal_of_the_bots_service_is_printed_and_exits_1(fake: FakeBots) -> None:
    fake.replies["bots.start"] = Reply.failure("BOT_NOT_FOUND", "no such bot", 404)

    result = runner.invoke(main.app, ["bot", "start", str(BOT)])

    assert result.exit_code == 1
    assert "BOT_NOT_FOUND: no such bot" in result.output


# On a real nats-server: the query on the wire


async def _answer_once(url: str, reply: Reply) -> tuple[str, Query]:
    """Ask as the CLI does while a bots replica answers on the query subject."""
    received: list[tuple[str, Query]] = []
    service = await nats.connect(url)

    async def respond(msg: Msg) -> None:
        received.append((msg.subject, Query.model_validate_json(msg.data)))
        await msg.respond(reply.model_dump_json().encode())

    await service.subscribe(subjects.query(BOTS, "bots.stop"), queue="bots-queries", cb=respond)
    await service.flush()
    try:
        answer = await bots.ask(url, None, "bots.stop", bots.stop_params(BOT, keep_orders=True), 5.0)
    finally:
        await service.close()
    assert answer == reply
    return received[0]


@pytest.mark.integration
def test_the_query_goes_to_the_bots_service_as_an_admin(nats_server: EmbeddedNats) -> None:
    subject, query = asyncio.run(_answer_once(nats_server.url, Reply.success(bot(status="Stopped"))))

    assert subject == subjects.query(BOTS, "bots.stop")
    assert query.caller.role is Role.ADMIN and query.caller.email == bots.CLI_ACTOR
    assert query.params == {"id": str(BOT), "cancelOpenOrders": False, "closePositions": False}


@pytest.mark.integration
def test_no_bots_service_is_an_unavailable_answer(nats_server: EmbeddedNats) -> None:
    answer = asyncio.run(bots.ask(nats_server.url, None, "bots.list", {}, 1.0))

    assert answer.error is not None and (answer.error.status, answer.error.code) == (
        503,
        "SERVICE_UNAVAILABLE",
    )
