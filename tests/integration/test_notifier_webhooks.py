"""The notifier as a real process on real NATS and PostgreSQL, delivering to real local HTTP receivers."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal
from typing import Any
from uuid import UUID, uuid4

import pytest
import uvicorn
from nats.aio.client import Client as NatsClient
from standardwebhooks.webhooks import Webhook
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route
from tradeplane.contracts import (
    FillBooked,
    HaltEngaged,
    HaltReleased,
    HaltScope,
    Message,
    OrderCanceled,
    OrderFilled,
    OrderRejected,
    RejectCode,
    RiskStateChanged,
    Role,
    Side,
    TradeClosed,
    TradingState,
    UserDisabled,
    VenueError,
    VenueErrorCategory,
    new_meta,
    subjects,
    utcnow,
)
from tradeplane.contracts.queries import Caller, Query, Reply

from tests.support.client import eventually
from tests.support.fills import order_filled
from tests.support.natsauth import connect_operator
from tests.support.servers import Stack, running_stack

pytestmark = [pytest.mark.integration, pytest.mark.timeout(120)]

PARTITIONS = 16
FAST_RETRIES = {
    "TP_NOTIFIER_BACKOFF_BASE_SECONDS": "0.2",
    "TP_NOTIFIER_BACKOFF_JITTER": "0",
    "TP_NOTIFIER_LEASE_SECONDS": "10",
    "TP_NOTIFIER_DISABLE_AFTER_FAILURES": "2",
}


@dataclass
class Hit:
    name: str
    headers: dict[str, str]
    body: bytes
    status: int


@dataclass
class Receiver:
    """HTTP endpoints `/<name>` on its own thread and loop, so a paused test loop never stalls them.

    What `/<name>` answers is set per name: `ok`, `down` (503), `reject` (400), `hang` (until the
    receiver stops) or `flaky:<n>` (503 for the first n requests, then 200).
    """

    modes: dict[str, str] = field(default_factory=dict)
    hits: list[Hit] = field(default_factory=list)
    port: int = 0
    _loop: asyncio.AbstractEventLoop | None = None
    _release: asyncio.Event | None = None
    _server: uvicorn.Server | None = None

    def url(self, name: str) -> str:
        return f"http://127.0.0.1:{self.port}/{name}"

    def at(self, name: str) -> list[Hit]:
        return [hit for hit in list(self.hits) if hit.name == name]

    def _answer(self, name: str) -> int:
        mode = self.modes.get(name, "ok")
        if mode.startswith("flaky:"):
            return 503 if len(self.at(name)) < int(mode.split(":")[1]) else 200
        return {"ok": 200, "down": 503, "reject": 400}[mode]

    async def _handle(self, request: Request) -> Response:
        name = request.path_params["name"]
        body = await request.body()
        if self.modes.get(name) == "hang":
            self.hits.append(Hit(name, dict(request.headers), body, 0))
            assert self._release is not None
            await self._release.wait()
            return PlainTextResponse("late")
        status = self._answer(name)
        self.hits.append(Hit(name, dict(request.headers), body, status))
        return PlainTextResponse("", status_code=status)

    def start(self) -> None:
        app = Starlette(routes=[Route("/{name}", self._handle, methods=["POST"])])
        config = uvicorn.Config(app, host="127.0.0.1", port=0, lifespan="off", log_level="warning")
        self._server = uvicorn.Server(config)
        started = threading.Event()

        async def serve() -> None:
            self._loop = asyncio.get_running_loop()
            self._release = asyncio.Event()
            task = asyncio.create_task(self._server.serve())  # type: ignore[union-attr]
            while True:
                if self._server.started or task.done():  # type: ignore[union-attr]
                    break
                await asyncio.sleep(0.01)
            self.port = self._server.servers[0].sockets[0].getsockname()[1]  # type: ignore[union-attr]
            started.set()
            await task

        self._thread = threading.Thread(target=asyncio.run, args=(serve(),), daemon=True)
        self._thread.start()
        assert started.wait(10), "the receiver did not start"

    def stop(self) -> None:
        assert self._loop is not None and self._release is not None and self._server is not None
        self._loop.call_soon_threadsafe(self._release.set)
        self._server.should_exit = True
        self._thread.join(10)


@pytest.fixture(scope="module")
def receiver() -> Iterator[Receiver]:
    server = Receiver()
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def notifier(postgres_server_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    """One notifier shared by the tests that neither restart it nor change its settings."""
    workdir = tmp_path_factory.mktemp("notifier")
    with running_stack(
        workdir, postgres_server_url, ["notifier"], env=FAST_RETRIES, partitions=PARTITIONS
    ) as stack:
        yield stack


async def _connect(stack: Stack) -> AsyncIterator[NatsClient]:
    nc = await connect_operator(stack.nats_url)
    yield nc
    await nc.close()


@pytest.fixture(scope="module")
async def bus(notifier: Stack) -> AsyncIterator[NatsClient]:
    async for nc in _connect(notifier):
        yield nc


async def ask(nc: NatsClient, user: UUID, name: str, params: dict[str, Any] | None = None) -> Reply:
    query = Query(caller=Caller(user_id=user, role=Role.TRADER), params=params or {})
    msg = await nc.request(subjects.query("notifier", name), query.model_dump_json().encode(), timeout=5)
    return Reply.model_validate_json(msg.data)


async def create_endpoint(nc: NatsClient, user: UUID, url: str, events: list[str]) -> dict[str, Any]:
    reply = await ask(nc, user, "webhooks.create", {"url": url, "events": events})
    assert reply.ok, reply.error
    data: dict[str, Any] = reply.data
    return data


async def publish(nc: NatsClient, subject: str, message: Message) -> None:
    headers = {"Nats-Msg-Id": str(message.meta.event_id)}
    await nc.jetstream().publish(subject, message.model_dump_json().encode(), headers=headers)


def fill(user: UUID) -> OrderFilled:
    return order_filled(user, fee="0.5")


def closed(user: UUID) -> TradeClosed:
    now = utcnow()
    return TradeClosed(
        meta=new_meta("pnl"), trade_id=uuid4(), user_id=user, account_id=uuid4(), symbol="BTC/USDT",
        side="long", quantity=Decimal("0.01"), entry_price=Decimal("50000"), exit_price=Decimal("51000"),
        entry_at=now - timedelta(minutes=5), exit_at=now, fees=Decimal("1.01"), pnl_usd=Decimal("8.99"),
        pnl_pct=Decimal("1.798"), duration_seconds=300,
    )  # fmt: skip


def booked(event: OrderFilled, *, closing: TradeClosed | None = None) -> FillBooked:
    """What pnl publishes once it booked `event`: an opening fill, or the one that closed `closing`."""
    moved = (
        {"closed_quantity": event.quantity, "opened_quantity": Decimal(0)}
        if closing
        else {"closed_quantity": Decimal(0), "opened_quantity": event.quantity}
    )
    pnl = (
        {"pnl_usd": closing.pnl_usd, "pnl_pct": closing.pnl_pct}
        if closing
        else {"pnl_usd": Decimal(0), "pnl_pct": Decimal(0)}
    )
    return FillBooked(
        meta=new_meta("pnl"), fill=event, position_quantity=Decimal(0) if closing else event.quantity,
        trade_id=closing.trade_id if closing else None, **moved, **pnl,
    )  # fmt: skip


async def publish_fill(nc: NatsClient, user: UUID) -> OrderFilled:
    """An opening fill as execution publishes it, and as pnl does once booked."""
    event = fill(user)
    await publish(nc, subjects.order_filled(subjects.partition_of(user, PARTITIONS), user), event)
    await publish(nc, subjects.fill_booked(user), booked(event))
    return event


async def publish_closed(nc: NatsClient, user: UUID) -> TradeClosed:
    """The closing fill (execution's and pnl's events of it) and the closed trade."""
    event = closed(user)
    exit_fill = fill(user).model_copy(update={"side": Side.SELL})
    await publish(nc, subjects.order_filled(subjects.partition_of(user, PARTITIONS), user), exit_fill)
    await publish(nc, subjects.fill_booked(user), booked(exit_fill, closing=event))
    await publish(nc, subjects.trade_closed(user), event)
    return event


async def settled_log(nc: NatsClient, user: UUID, endpoint_id: str, count: int) -> list[dict[str, Any]]:
    """The endpoint's delivery log once `count` deliveries have finished."""
    async with asyncio.timeout(15):
        while True:
            reply = await ask(nc, user, "webhooks.deliveries", {"id": endpoint_id})
            done = [d for d in reply.data if d["status"] != "pending"]
            if len(done) >= count:
                return list(reply.data)
            await asyncio.sleep(0.1)


def verified(secret: str, hit: Hit) -> dict[str, Any]:
    payload: dict[str, Any] = Webhook(secret).verify(hit.body, hit.headers)
    return payload


async def test_round_trip_sends_signed_trade_entry_and_exit(bus: NatsClient, receiver: Receiver) -> None:
    user = uuid4()
    endpoint = await create_endpoint(bus, user, receiver.url("trades"), ["trade_entry", "trade_exit"])

    entry = await publish_fill(bus, user)
    await publish_closed(bus, user)
    await eventually(lambda: "trade_exit" in str([hit.body for hit in receiver.at("trades")]), bool)
    log = await settled_log(bus, user, endpoint["id"], 2)

    assert sorted(d["type"] for d in log) == ["trade_entry", "trade_exit"]
    payloads = [verified(endpoint["secret"], hit) for hit in receiver.at("trades")]
    assert sorted(p["type"] for p in payloads) == ["trade_entry", "trade_exit"]
    bodies = {p["type"]: p for p in payloads}
    assert bodies["trade_entry"]["data"]["order_id"] == str(entry.order_id)
    exit_data = bodies["trade_exit"]["data"]
    assert (exit_data["user_id"], exit_data["symbol"]) == (str(user), "BTC/USDT")
    assert (exit_data["pnl_usd"], exit_data["pnl_pct"]) == ("8.99", "1.798")
    assert bodies["trade_entry"]["data"]["symbol"] == "BTC/USDT"


def every_other_event(user: UUID) -> list[tuple[str, Message]]:
    """One of each event that is not a fill or a closed trade, on the subject its producer uses."""
    p = subjects.partition_of(user, PARTITIONS)
    ids = {"order_id": uuid4(), "user_id": user, "account_id": uuid4()}
    halt = {"scope": HaltScope.USER, "user_id": user, "reason": "test", "actor": "admin"}
    return [
        (
            subjects.order_rejected(p, user),
            OrderRejected(meta=new_meta("risk"), **ids, code=RejectCode.DAILY_LOSS, reason="cap"),
        ),
        (subjects.order_canceled(p, user), OrderCanceled(meta=new_meta("execution"), **ids)),
        (
            subjects.venue_error(p, user),
            VenueError(meta=new_meta("execution"), user_id=user, account_id=uuid4(), venue="paper",
                       category=VenueErrorCategory.NETWORK, message="timeout"),
        ),
        (
            subjects.risk_state(user),
            RiskStateChanged(meta=new_meta("risk"), user_id=user, previous=TradingState.ACTIVE,
                             current=TradingState.HALTED, reason_code="DAILY_LOSS", reason="cap"),
        ),
        (subjects.halt_engaged(user), HaltEngaged(meta=new_meta("risk"), **halt)),
        (subjects.halt_released(user), HaltReleased(meta=new_meta("risk"), **halt)),
        (subjects.user_disabled(user), UserDisabled(meta=new_meta("risk"), user_id=user, reason="broken")),
    ]  # fmt: skip


async def test_every_event_type_reaches_an_endpoint_subscribed_to_all(
    bus: NatsClient, receiver: Receiver
) -> None:
    user = uuid4()
    events = ["trade_entry", "trade_exit", "order_rejected", "order_cancelled", "error", "risk_state",
              "killswitch", "user_disabled"]  # fmt: skip
    endpoint = await create_endpoint(bus, user, receiver.url("everything"), events)

    await publish_fill(bus, user)
    await publish_closed(bus, user)
    for subject, message in every_other_event(user):
        await publish(bus, subject, message)
    await eventually(lambda: len(receiver.at("everything")) >= 9, bool)

    received = sorted(verified(endpoint["secret"], hit)["type"] for hit in receiver.at("everything"))
    assert received == sorted([*events, "killswitch"])


async def test_global_halt_reaches_every_users_killswitch_endpoint(
    bus: NatsClient, receiver: Receiver
) -> None:
    for name in ("halt-a", "halt-b"):
        await create_endpoint(bus, uuid4(), receiver.url(name), ["killswitch"])

    halt = HaltEngaged(meta=new_meta("risk"), scope=HaltScope.GLOBAL, reason="market chaos", actor="admin")
    await publish(bus, subjects.halt_engaged(), halt)

    await eventually(lambda: len(receiver.at("halt-a")) == len(receiver.at("halt-b")) == 1, bool)


async def test_user_halt_reaches_only_that_users_endpoints(bus: NatsClient, receiver: Receiver) -> None:
    halted, bystander = uuid4(), uuid4()
    await create_endpoint(bus, halted, receiver.url("halted"), ["killswitch"])
    other = await create_endpoint(bus, bystander, receiver.url("bystander"), ["killswitch"])

    halt = HaltEngaged(meta=new_meta("risk"), scope=HaltScope.USER, user_id=halted, reason="r", actor="admin")
    await publish(bus, subjects.halt_engaged(halted), halt)
    await eventually(lambda: len(receiver.at("halted")) == 1, bool)

    # Both would have been queued in the one transaction that handled the halt.
    assert (await ask(bus, bystander, "webhooks.deliveries", {"id": other["id"]})).data == []


async def test_endpoint_failing_twice_gets_one_accepted_delivery_and_three_logged_attempts(
    bus: NatsClient, receiver: Receiver
) -> None:
    user = uuid4()
    receiver.modes["flaky"] = "flaky:2"
    endpoint = await create_endpoint(bus, user, receiver.url("flaky"), ["trade_exit"])

    await publish_closed(bus, user)
    [delivery] = await settled_log(bus, user, endpoint["id"], 1)

    accepted = [hit for hit in receiver.at("flaky") if hit.status == 200]
    assert len(accepted) == 1
    assert {hit.headers["webhook-id"] for hit in receiver.at("flaky")} == {delivery["webhookId"]}
    assert (delivery["status"], delivery["attempts"]) == ("succeeded", 3)
    assert [a["responseCode"] for a in delivery["attemptLog"]] == [503, 503, 200]


async def test_hanging_endpoint_does_not_delay_another_users_delivery(
    bus: NatsClient, receiver: Receiver
) -> None:
    slow_user, other_user = uuid4(), uuid4()
    receiver.modes["hang"] = "hang"
    await create_endpoint(bus, slow_user, receiver.url("hang"), ["trade_exit"])
    await create_endpoint(bus, other_user, receiver.url("prompt"), ["trade_exit"])
    for _ in range(4):
        await publish_closed(bus, slow_user)
    await eventually(lambda: len(receiver.at("hang")) >= 2, bool)

    await publish_closed(bus, other_user)

    await eventually(lambda: len(receiver.at("prompt")) == 1, bool, timeout=1.0)


async def test_endpoint_failing_in_a_row_is_disabled_and_the_user_told_elsewhere(
    bus: NatsClient, receiver: Receiver
) -> None:
    user = uuid4()
    receiver.modes["broken"] = "reject"
    broken = await create_endpoint(bus, user, receiver.url("broken"), ["trade_exit"])
    backup = await create_endpoint(bus, user, receiver.url("backup"), ["error"])

    for _ in range(2):
        await publish_closed(bus, user)
    await eventually(lambda: len(receiver.at("backup")) == 1, bool)

    notice = verified(backup["secret"], receiver.at("backup")[0])
    listed = {e["id"]: e for e in (await ask(bus, user, "webhooks.list")).data}
    assert (notice["type"], notice["data"]["endpoint_id"]) == ("endpoint_disabled", broken["id"])
    assert listed[broken["id"]]["enabled"] is False


async def test_test_delivery_is_signed_and_logged(bus: NatsClient, receiver: Receiver) -> None:
    user = uuid4()
    endpoint = await create_endpoint(bus, user, receiver.url("ping"), ["order_rejected"])

    queued = await ask(bus, user, "webhooks.test", {"id": endpoint["id"]})
    await eventually(lambda: len(receiver.at("ping")) == 1, bool)

    assert (queued.data["status"], queued.data["type"]) == ("pending", "test")
    assert verified(endpoint["secret"], receiver.at("ping")[0])["type"] == "test"


async def test_another_users_endpoint_is_not_found(bus: NatsClient, receiver: Receiver) -> None:
    owner, stranger = uuid4(), uuid4()
    endpoint = await create_endpoint(bus, owner, receiver.url("private"), ["trade_exit"])

    reply = await ask(bus, stranger, "webhooks.deliveries", {"id": endpoint["id"]})

    assert reply.error is not None
    assert (reply.error.code, reply.error.status) == ("WEBHOOK_NOT_FOUND", 404)


async def test_stats_count_deliveries_per_endpoint(bus: NatsClient, receiver: Receiver) -> None:
    user = uuid4()
    endpoint = await create_endpoint(bus, user, receiver.url("counted"), ["trade_exit"])
    await publish_closed(bus, user)
    await settled_log(bus, user, endpoint["id"], 1)

    stats = (await ask(bus, user, "webhooks.stats")).data

    assert (stats["total"], stats["succeeded"], stats["successRate"]) == (1, 1, "1.0000")
    assert [e["id"] for e in stats["endpoints"]] == [endpoint["id"]]


async def test_sigkilled_notifier_delivers_pending_work_after_restart_with_same_webhook_ids(
    stack: Stack, receiver: Receiver
) -> None:
    user = uuid4()
    receiver.modes["outage"] = "down"
    env = FAST_RETRIES | {"TP_NOTIFIER_BACKOFF_BASE_SECONDS": "1", "TP_NOTIFIER_MAX_ATTEMPTS": "6"}
    stack.start(services=["notifier"], env=env, partitions=PARTITIONS)
    async for nc in _connect(stack):
        endpoint = await create_endpoint(nc, user, receiver.url("outage"), ["trade_exit"])
        trades = [await publish_closed(nc, user) for _ in range(3)]
        await eventually(lambda: len(receiver.at("outage")) >= 3, bool)
        stack.kill("notifier")
        failed_ids = {hit.headers["webhook-id"] for hit in receiver.at("outage")}
        trades.append(await publish_closed(nc, user))
        receiver.modes["outage"] = "ok"

        stack.restart("notifier")
        await eventually(lambda: len(accepted_ids(receiver, "outage")) == 4, bool)

        delivered = [verified(endpoint["secret"], h) for h in receiver.at("outage") if h.status == 200]
        assert {p["data"]["trade_id"] for p in delivered} == {str(t.trade_id) for t in trades}
        assert failed_ids <= accepted_ids(receiver, "outage")


def accepted_ids(receiver: Receiver, name: str) -> set[str]:
    return {hit.headers["webhook-id"] for hit in receiver.at(name) if hit.status == 200}


async def test_private_target_is_refused_when_private_targets_are_off(stack: Stack) -> None:
    user = uuid4()
    stack.start(services=["notifier"], env={"TP_NOTIFIER_ALLOW_PRIVATE_TARGETS": "false"})
    async for nc in _connect(stack):
        replies = [
            await ask(nc, user, "webhooks.create", {"url": url, "events": ["trade_exit"]})
            for url in ("http://127.0.0.1:9/hook", "https://10.1.2.3/hook")
        ]
        listed = await ask(nc, user, "webhooks.list")

    assert [(r.error.code, r.error.status) for r in replies if r.error] == [("PRIVATE_TARGET", 422)] * 2
    assert listed.data == []
