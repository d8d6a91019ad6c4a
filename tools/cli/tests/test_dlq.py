"""`tradeplane dlq`: listing dead letters with filters, and replaying them once, on a real nats-server."""

from __future__ import annotations

import asyncio
import base64
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import nats
import pytest
from nats.js import JetStreamContext
from nats.js.api import StreamConfig
from tradeplane.cli import dlq
from tradeplane.cli.dlq import LetterFilter
from tradeplane.cli.main import app
from tradeplane.cli.nats import EmbeddedNats
from tradeplane.cli.probe import free_port
from tradeplane.contracts import DeadLettered, new_meta, streams, subjects
from typer.testing import CliRunner

pytestmark = pytest.mark.integration

FILLED = "tp.order.filled.3.1b2c3d4e-0000-4000-8000-000000000001"
ANY = LetterFilter()
APPROVED = "tp.order.approved.3.1b2c3d4e-0000-4000-8000-000000000001"


@pytest.fixture
async def js(nats_server: EmbeddedNats) -> AsyncIterator[JetStreamContext]:
    nc = await nats.connect(nats_server.url)
    js = nc.jetstream()
    for spec in (streams.DLQ, streams.ORDERS):
        await js.add_stream(StreamConfig(name=spec.name, subjects=list(spec.subjects)))
    yield js
    await nc.close()


async def _dead_letter(
    js: JetStreamContext,
    consumer: str,
    subject: str,
    reason: str,
    body: bytes = b'{"n": 1}',
    at: datetime | None = None,
) -> None:
    meta = new_meta("test")
    if at is not None:
        meta = meta.model_copy(update={"occurred_at": at})
    text = body.decode("utf-8", errors="replace")
    as_base64 = text.encode() != body
    letter = DeadLettered(
        meta=meta,
        original_subject=subject,
        consumer=consumer,
        reason=reason,
        payload=base64.b64encode(body).decode() if as_base64 else text,
        payload_base64=as_base64,
        headers={"Nats-Msg-Id": "orig-1", "traceparent": "00-abc-def-01"},
    )
    await js.publish(subjects.dead_letter(consumer, subject), letter.model_dump_json().encode())


async def _seqs(js: JetStreamContext, accept: LetterFilter = ANY) -> list[int]:
    return [found.seq for found in await dlq.collect(js, accept, limit=100)]


async def test_list_keeps_the_letters_of_the_chosen_consumer_subject_time_and_reason(
    js: JetStreamContext,
) -> None:
    old = datetime.now(UTC) - timedelta(days=2)
    await _dead_letter(js, "pnl-fills", FILLED, "refused: Overfill()", at=old)
    await _dead_letter(js, "risk-order-filled", FILLED, "failed 5 times: KeyError('x')")
    await _dead_letter(js, "execution-approved-p3", APPROVED, "undecodable OrderApproved")

    assert await _seqs(js) == [1, 2, 3]
    assert await _seqs(js, LetterFilter(consumer="pnl-fills")) == [1]
    assert await _seqs(js, LetterFilter(subject="tp.order.approved")) == [3]
    assert await _seqs(js, LetterFilter(subject="tp.order.app")) == []
    assert await _seqs(js, LetterFilter(since=datetime.now(UTC) - timedelta(days=1))) == [2, 3]
    assert await _seqs(js, LetterFilter(reason="keyerror")) == [2]


async def test_replay_republishes_payload_and_headers_to_the_original_subject_once(
    js: JetStreamContext,
) -> None:
    await _dead_letter(js, "pnl-fills", FILLED, "refused", body=b'{"fill": "a"}')
    await _dead_letter(js, "pnl-fills", FILLED, "refused", body=b"\xff\xfe not utf-8")

    done, missing = await dlq.replay_matching(js, [1, 2], ANY)
    again, missing_again = await dlq.replay_matching(js, [1], ANY)

    assert ([f.seq for f in done], missing, again, missing_again) == ([1, 2], [], [], [1])
    assert await _seqs(js) == []
    first = await js.get_msg(streams.ORDERS.name, 1)
    second = await js.get_msg(streams.ORDERS.name, 2)
    assert (first.subject, first.data, second.data) == (FILLED, b'{"fill": "a"}', b"\xff\xfe not utf-8")
    assert first.headers is not None
    assert first.headers["traceparent"] == "00-abc-def-01"
    assert first.headers[dlq.REPLAYED_FROM] == "1"


async def test_replay_all_takes_only_the_letters_the_filters_keep(js: JetStreamContext) -> None:
    await _dead_letter(js, "pnl-fills", FILLED, "refused")
    await _dead_letter(js, "risk-order-filled", FILLED, "refused")

    done, _ = await dlq.replay_matching(js, [], LetterFilter(consumer="risk-order-filled"))

    assert [f.seq for f in done] == [2]
    assert await _seqs(js) == [1]


def test_cli_lists_and_replays_letters(nats_server: EmbeddedNats, monkeypatch: pytest.MonkeyPatch) -> None:
    async def arrange() -> None:
        nc = await nats.connect(nats_server.url)
        js = nc.jetstream()
        for spec in (streams.DLQ, streams.ORDERS):
            await js.add_stream(StreamConfig(name=spec.name, subjects=list(spec.subjects)))
        await _dead_letter(js, "pnl-fills", FILLED, "refused: [bold]Overfill[/bold]")
        await nc.close()

    asyncio.run(arrange())
    monkeypatch.setenv("TP_NATS_URL", nats_server.url)
    monkeypatch.setenv("COLUMNS", "250")
    runner = CliRunner()

    listed = runner.invoke(app, ["dlq", "list", "--consumer", "pnl-fills"])
    refused = runner.invoke(app, ["dlq", "replay"])
    replayed = runner.invoke(app, ["dlq", "replay", "1"])
    emptied = runner.invoke(app, ["dlq", "list"])

    assert listed.exit_code == 0, listed.output
    assert "pnl-fills" in listed.output and "[bold]Overfill[/bold]" in listed.output
    assert refused.exit_code == 2
    assert replayed.exit_code == 0 and "1 letters replayed" in replayed.output
    assert "0 dead letters" in emptied.output


def test_cli_says_when_nats_is_not_there(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TP_NATS_URL", f"nats://127.0.0.1:{free_port()}")

    result = CliRunner().invoke(app, ["dlq", "list"])

    assert result.exit_code == 1
    assert "cannot reach NATS" in result.output
