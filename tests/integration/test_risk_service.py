"""The risk service as a real process on real NATS and PostgreSQL: decisions, caps driven by events,
auto-disable, the kill switch, idempotency, the halt sweep, queries and the operator command."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any
from uuid import UUID, uuid4

import httpx
import nats
import orjson
import psycopg
import pytest
from nats.aio.client import Client
from nats.aio.subscription import Subscription
from tradeplane.cli.database import libpq_url
from tradeplane.contracts import (
    HaltEngaged,
    HaltReleased,
    Message,
    OrderApproved,
    OrderRejected,
    OrderRequested,
    OrderType,
    PnlUpdated,
    RejectCode,
    RiskStateChanged,
    Role,
    Side,
    Ticker,
    TradingState,
    UserDisabled,
    UserEnabled,
    VenueError,
    VenueErrorCategory,
    new_meta,
    streams,
    subjects,
)
from tradeplane.contracts.queries import Caller, Query, Reply
from tradeplane.riskrules import RiskState, TransitionCode

from tests.support.fills import order_filled
from tests.support.natsauth import connect_operator, operator_env
from tests.support.servers import REPO_ROOT, Stack, running_stack

pytestmark = pytest.mark.integration

PARTITIONS = 16
WAIT = 10.0
ADMIN = Caller(user_id=uuid4(), role=Role.ADMIN, email="admin@example.com")


@pytest.fixture(scope="module")
def risk(postgres_server_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    """One risk process for the module; every test trades as its own new user."""
    env = {"TP_RISK_SWEEP_SECONDS": "0.3"}
    workdir = tmp_path_factory.mktemp("risk")
    with running_stack(workdir, postgres_server_url, ["risk"], partitions=PARTITIONS, env=env) as stack:
        yield stack


@pytest.fixture
async def nc(risk: Stack) -> AsyncIterator[Client]:
    client = await connect_operator(risk.nats_url)
    try:
        yield client
    finally:
        await client.close()


@pytest.fixture
async def trader(nc: Client) -> Trader:
    return await Trader(nc).listen()


async def publish(nc: Client, subject: str, message: Message) -> None:
    await nc.jetstream().publish(
        subject, message.model_dump_json().encode(), headers={"Nats-Msg-Id": str(message.meta.event_id)}
    )


async def ask(nc: Client, name: str, caller: Caller, params: dict[str, Any] | None = None) -> Reply:
    body = Query(caller=caller, params=params or {}).model_dump_json().encode()
    msg = await nc.request(subjects.query("risk", name), body, timeout=WAIT)
    return Reply.model_validate_json(msg.data)


async def ok(nc: Client, name: str, caller: Caller, params: dict[str, Any] | None = None) -> Any:
    reply = await ask(nc, name, caller, params)
    assert reply.ok, reply.error
    return reply.data


async def next_message(sub: Subscription, model: type[Any]) -> Any:
    msg = await sub.next_msg(timeout=WAIT)
    return model.model_validate_json(msg.data)


@dataclass
class Trader:
    """A new user with one account, listening to their decisions and risk events."""

    nc: Client
    user_id: UUID = field(default_factory=uuid4)
    account_id: UUID = field(default_factory=uuid4)
    subs: dict[str, Subscription] = field(default_factory=dict)

    @property
    def partition(self) -> int:
        return subjects.partition_of(self.user_id, PARTITIONS)

    @property
    def caller(self) -> Caller:
        return Caller(user_id=self.user_id, role=Role.TRADER, email=f"{self.user_id}@example.com")

    async def listen(self) -> Trader:
        self.subs = {
            "decision": await self.nc.subscribe(f"{subjects.PREFIX}.order.*.{self.partition}.{self.user_id}"),
            "state": await self.nc.subscribe(subjects.risk_state(self.user_id)),
        }
        return self

    def request(
        self,
        side: Side = Side.BUY,
        quantity: str = "0.001",
        price: str = "50000",
        symbol: str = "BTC/USDT",
        market: bool = False,
    ) -> OrderRequested:
        order_id = uuid4()
        return OrderRequested(
            meta=new_meta("test"),
            order_id=order_id,
            user_id=self.user_id,
            account_id=self.account_id,
            client_order_id=order_id.hex,
            venue="paper",
            symbol=symbol,
            side=side,
            type=OrderType.MARKET if market else OrderType.LIMIT,
            quantity=Decimal(quantity),
            price=None if market else Decimal(price),
        )

    async def send(self, request: OrderRequested) -> OrderApproved | OrderRejected:
        await publish(self.nc, subjects.order_requested(self.partition, self.user_id), request)
        return await self.decision(request.order_id)

    async def order(self, side: Side = Side.BUY, quantity: str = "0.001") -> OrderApproved | OrderRejected:
        return await self.send(self.request(side, quantity))

    async def decision(self, order_id: UUID) -> OrderApproved | OrderRejected:
        while True:
            msg = await self.subs["decision"].next_msg(timeout=WAIT)
            kind = msg.subject.split(".")[2]
            models: dict[str, type[OrderApproved] | type[OrderRejected]] = {
                "approved": OrderApproved,
                "rejected": OrderRejected,
            }
            model = models.get(kind)
            if model is not None and (decided := model.model_validate_json(msg.data)).order_id == order_id:
                return decided

    async def rejected_with(
        self, side: Side = Side.BUY, quantity: str = "0.001", **kind: Any
    ) -> RejectCode | None:
        decided = await self.send(self.request(side, quantity, **kind))
        return decided.code if isinstance(decided, OrderRejected) else None

    async def state_change(self) -> RiskStateChanged:
        result: RiskStateChanged = await next_message(self.subs["state"], RiskStateChanged)
        return result

    async def realizes_loss(self, loss: str, *, equity: str) -> RiskStateChanged:
        """Report `equity`, then a realized `loss` from it; the trading-state change risk makes of that."""
        await self.pnl(equity=equity)
        await self.pnl(equity=str(Decimal(equity) - Decimal(loss)), realized=f"-{loss}")
        return await self.state_change()

    async def pnl(self, equity: str, realized: str = "0") -> None:
        """Publish a PnL update and wait until risk has applied it."""
        update = PnlUpdated(
            meta=new_meta("test"),
            user_id=self.user_id,
            realized_pnl=Decimal(realized),
            unrealized_pnl=Decimal(0),
            fees=Decimal(0),
            equity=Decimal(equity),
            daily_pnl=Decimal(realized),
            weekly_pnl=Decimal(realized),
        )
        await publish(self.nc, subjects.pnl_updated(self.user_id), update)
        await self.wait_state(lambda s: (s["equity"], s["dailyPnl"]) == (equity, realized))

    async def fill(self, side: Side, quantity: str, price: str = "50000", fee: str = "0") -> None:
        """Publish a complete fill of a new order and wait until risk has counted it."""
        before = (await self.settings())["state"]["tradesToday"]
        filled = order_filled(
            self.user_id, side, quantity, price, fee, meta=new_meta("test"), account_id=self.account_id
        )
        await publish(self.nc, subjects.order_filled(self.partition, self.user_id), filled)
        await self.wait_state(lambda s: s["tradesToday"] == before + 1)

    async def settings(self) -> dict[str, Any]:
        result: dict[str, Any] = await ok(self.nc, "settings.get", self.caller)
        return result

    async def put_limits(self, **limits: Any) -> dict[str, Any]:
        result: dict[str, Any] = await ok(self.nc, "settings.put", self.caller, {"limits": limits})
        return result

    async def wait_state(self, ready: Any) -> None:
        for _ in range(int(WAIT / 0.05)):
            if ready((await self.settings())["state"]):
                return
            await asyncio.sleep(0.05)
        raise AssertionError(f"risk state never got there: {(await self.settings())['state']}")


# Decisions


async def test_order_within_limits_is_approved_with_the_request_fields(trader: Trader) -> None:
    request = trader.request()

    approved = await trader.send(request)

    assert isinstance(approved, OrderApproved)
    assert approved.model_dump(exclude={"meta"}) == request.model_dump(exclude={"meta"})
    assert approved.meta.causation_id == request.meta.event_id


async def test_order_beyond_the_position_cap_is_rejected_max_position(trader: Trader) -> None:
    # No PnL yet and no pnl service: equity is the default 10000, so 5% allows 500 USD.
    assert await trader.rejected_with(quantity="0.02") is RejectCode.MAX_POSITION


async def test_order_beyond_the_per_minute_rate_is_rejected_rate_limit(trader: Trader) -> None:
    await trader.put_limits(maxOrdersPerMinute=2)
    await trader.order()
    await trader.order()

    assert await trader.rejected_with() is RejectCode.RATE_LIMIT


async def test_order_after_the_daily_trade_count_is_rejected_max_daily_trades(trader: Trader) -> None:
    await trader.put_limits(maxDailyTrades=2)
    await trader.fill(Side.BUY, "0.001")
    await trader.fill(Side.SELL, "0.001")

    assert await trader.rejected_with() is RejectCode.MAX_DAILY_TRADES


async def test_redelivered_order_request_is_decided_once(risk: Stack, trader: Trader) -> None:
    await trader.put_limits(maxOrdersPerMinute=2)
    first = trader.request()
    assert isinstance(await trader.send(first), OrderApproved)
    duplicates = _metric(risk, "tp_risk_duplicate_orders_total")

    again = first.model_copy(update={"meta": new_meta("test")})
    await publish(trader.nc, subjects.order_requested(trader.partition, trader.user_id), again)
    await _wait(lambda: _metric(risk, "tp_risk_duplicate_orders_total") > duplicates, "the duplicate")

    assert await _decisions_stored(trader) == 1
    # Counted once against the rate: one of the two orders a minute is left.
    assert await trader.rejected_with() is None
    assert await trader.rejected_with() is RejectCode.RATE_LIMIT


# Caps driven by PnL and fills


async def test_daily_loss_halts_and_after_release_the_cap_still_rejects_daily_loss(trader: Trader) -> None:
    change = await trader.realizes_loss("150", equity="10000")

    assert (change.current, change.reason_code) == (TradingState.HALTED, "DAILY_LOSS")
    assert await trader.rejected_with() is RejectCode.TRADING_HALTED

    await _release(trader)
    assert await trader.rejected_with() is RejectCode.DAILY_LOSS


async def test_weekly_loss_halts_with_its_code(trader: Trader) -> None:
    await trader.put_limits(maxDailyLossUsd="500", maxWeeklyLossUsd="500")
    change = await trader.realizes_loss("500", equity="100000")

    assert (change.current, change.reason_code) == (TradingState.HALTED, "WEEKLY_LOSS")


async def test_circuit_breaker_halts_until_released_then_rejects_increasing_orders(trader: Trader) -> None:
    await trader.put_limits(maxDailyLossUsd="1000", maxWeeklyLossUsd="1000")
    change = await trader.realizes_loss("350", equity="10000")

    assert (change.current, change.reason_code) == (TradingState.HALTED, "CIRCUIT_BREAKER")
    assert await trader.rejected_with() is RejectCode.TRADING_HALTED

    await _release(trader)
    released = await trader.state_change()
    assert (released.current, released.reason_code) == (TradingState.ACTIVE, "RELEASED")
    assert await trader.rejected_with() is RejectCode.CIRCUIT_BREAKER


async def test_drawdown_allows_reducing_orders_and_rejects_increasing_ones(trader: Trader) -> None:
    await trader.pnl(equity="10000")
    await trader.fill(Side.BUY, "0.004")
    await trader.pnl(equity="8400")

    change = await trader.state_change()
    assert (change.current, change.reason_code) == (TradingState.REDUCING, "MAX_DRAWDOWN")
    assert isinstance(await trader.order(Side.SELL, "0.002"), OrderApproved)
    assert await trader.rejected_with(Side.BUY, "0.001") is RejectCode.REDUCE_ONLY


# Auto-disable


async def test_five_auth_errors_disable_the_user_until_an_admin_enables_them(trader: Trader) -> None:
    disabled = await trader.nc.subscribe(subjects.user_disabled(trader.user_id))
    enabled = await trader.nc.subscribe(subjects.user_enabled(trader.user_id))
    for _ in range(5):
        error = VenueError(
            meta=new_meta("test"),
            user_id=trader.user_id,
            account_id=trader.account_id,
            venue="kraken",
            category=VenueErrorCategory.AUTH,
            message="EAPI:Invalid key",
        )
        await publish(trader.nc, subjects.venue_error(trader.partition, trader.user_id), error)

    assert (await next_message(disabled, UserDisabled)).error_counts == {"auth": 5}
    assert await trader.rejected_with() is RejectCode.USER_DISABLED

    await ok(trader.nc, "users.enable", ADMIN, {"userId": str(trader.user_id)})
    assert (await next_message(enabled, UserEnabled)).actor == ADMIN.email
    assert isinstance(await trader.order(), OrderApproved)


# Kill switch


async def test_user_kill_switch_rejects_orders_until_released(trader: Trader) -> None:
    engaged = await trader.nc.subscribe(subjects.halt_engaged(trader.user_id))
    released = await trader.nc.subscribe(subjects.halt_released(trader.user_id))
    command = {"scope": "user", "reason": "stepping away"}
    kv = await trader.nc.jetstream().key_value(streams.HALT_BUCKET)
    key = streams.halt_key(trader.user_id)

    status = await ok(trader.nc, "killswitch.activate", trader.caller, command)

    assert status["user"]["active"] is True
    stored = (await kv.get(key)).value
    assert stored is not None
    assert HaltEngaged.model_validate_json(stored).reason == "stepping away"
    assert (await next_message(engaged, HaltEngaged)).actor == trader.caller.email
    assert await trader.rejected_with(Side.SELL) is RejectCode.KILL_SWITCH

    await ok(trader.nc, "killswitch.deactivate", trader.caller, command)

    assert (await next_message(released, HaltReleased)).user_id == trader.user_id
    with pytest.raises(nats.js.errors.KeyNotFoundError):
        await kv.get(key)
    assert isinstance(await trader.order(), OrderApproved)


async def test_global_kill_switch_rejects_every_user_until_released(trader: Trader) -> None:
    command = {"scope": "global", "reason": "exchange incident"}
    await ok(trader.nc, "killswitch.activate", ADMIN, command)
    try:
        assert await trader.rejected_with() is RejectCode.KILL_SWITCH
        status = await ok(trader.nc, "killswitch.status", trader.caller)
        assert status["global"]["active"] is True
    finally:
        await ok(trader.nc, "killswitch.deactivate", ADMIN, command)

    assert isinstance(await trader.order(), OrderApproved)


async def test_admin_engaging_over_a_traders_own_halt_takes_it_over(trader: Trader) -> None:
    own = {"scope": "user", "reason": "stepping away"}
    await ok(trader.nc, "killswitch.activate", trader.caller, own)
    admin_halt = {"scope": "user", "userId": str(trader.user_id), "reason": "compliance review"}
    status = await ok(trader.nc, "killswitch.activate", ADMIN, admin_halt)

    reply = await ask(trader.nc, "killswitch.deactivate", trader.caller, own)

    assert (status["user"]["reason"], status["user"]["actor"]) == ("compliance review", ADMIN.email)
    assert reply.error is not None
    assert (reply.error.code, reply.error.status) == ("HALT_ENGAGED_BY_ADMIN", 403)
    assert await trader.rejected_with() is RejectCode.KILL_SWITCH
    await ok(trader.nc, "killswitch.deactivate", ADMIN, admin_halt)
    assert isinstance(await trader.order(), OrderApproved)


async def test_trader_cannot_engage_the_global_kill_switch(trader: Trader) -> None:
    reply = await ask(trader.nc, "killswitch.activate", trader.caller, {"scope": "global", "reason": "x"})

    assert reply.error is not None
    assert (reply.error.code, reply.error.status) == ("FORBIDDEN", 403)


async def test_trader_cannot_halt_another_user(trader: Trader) -> None:
    params = {"scope": "user", "userId": str(uuid4()), "reason": "x"}

    reply = await ask(trader.nc, "killswitch.activate", trader.caller, params)

    assert reply.error is not None and reply.error.status == 403


async def test_kill_switch_history_shows_a_trader_their_own_entries_newest_first(trader: Trader) -> None:
    other = Trader(trader.nc)
    for who, reason in ((trader, "first"), (other, "not mine"), (trader, "second")):
        await ok(trader.nc, "killswitch.activate", who.caller, {"scope": "user", "reason": reason})
        await ok(trader.nc, "killswitch.deactivate", who.caller, {"scope": "user", "reason": reason})

    reply = await ask(trader.nc, "killswitch.history", trader.caller, {"pageSize": 100})

    mine = [(e["action"], e["reason"]) for e in reply.data if e["userId"] == str(trader.user_id)]
    assert mine == [
        ("deactivate", "second"),
        ("activate", "second"),
        ("deactivate", "first"),
        ("activate", "first"),
    ]
    assert all(e["userId"] in (None, str(trader.user_id)) for e in reply.data)


async def test_heartbeat_is_published(nc: Client) -> None:
    sub = await nc.subscribe(subjects.heartbeat("risk"))

    beat = await sub.next_msg(timeout=WAIT)

    assert orjson.loads(beat.data)["service"] == "risk"


# Queries and the halt sweep


async def test_settings_put_with_an_out_of_range_value_answers_422_naming_the_field(trader: Trader) -> None:
    reply = await ask(trader.nc, "settings.put", trader.caller, {"limits": {"maxPositionPct": 101}})

    assert reply.error is not None
    assert (reply.error.code, reply.error.status) == ("VALIDATION_ERROR", 422)
    assert [f["field"] for f in reply.error.details["fields"]] == ["maxPositionPct"]


async def test_viewer_cannot_change_settings(trader: Trader) -> None:
    viewer = trader.caller.model_copy(update={"role": Role.VIEWER})

    reply = await ask(trader.nc, "settings.put", viewer, {"limits": {"maxDailyTrades": 5}})

    assert reply.error is not None and reply.error.status == 403


async def test_settings_put_keeps_unnamed_limits_and_returns_them(trader: Trader) -> None:
    result = await trader.put_limits(maxDailyTrades=7)

    assert (result["limits"]["maxDailyTrades"], result["limits"]["maxPositionPct"]) == (7, "5")


async def test_users_state_answers_admins_with_each_users_public_state(trader: Trader) -> None:
    result = await ok(trader.nc, "users.state", ADMIN, {"userIds": [str(trader.user_id)]})

    assert result[str(trader.user_id)]["tradingState"] == "Active"


async def test_sweep_lifts_an_ended_halt_and_announces_it(risk: Stack, trader: Trader) -> None:
    ended = datetime.now(UTC) - timedelta(seconds=1)
    halted = RiskState(
        trading_state=TradingState.HALTED, halt_code=TransitionCode.DAILY_LOSS, halted_until=ended
    )
    with psycopg.connect(libpq_url(risk.database_url)) as conn:
        conn.execute(
            "INSERT INTO risk.states (user_id, state, halted_until) VALUES (%s, %s, %s)",
            (trader.user_id, orjson.dumps(halted.to_dict()).decode(), ended),
        )

    change = await trader.state_change()

    assert (change.previous, change.current, change.reason_code) == (
        TradingState.HALTED,
        TradingState.ACTIVE,
        "HALT_EXPIRED",
    )


def test_operator_command_engages_and_releases_a_users_kill_switch(risk: Stack) -> None:
    user = str(uuid4())

    engaged = _operator(risk, "engage", "--user", user, "--reason", "operator test")
    released = _operator(risk, "release", "--user", user, "--reason", "done")

    assert (engaged["user"]["active"], engaged["user"]["actor"]) == (True, "cli")
    assert released["user"]["active"] is False


async def test_settings_get_remembers_the_users_timezone(trader: Trader) -> None:
    tokyo = trader.caller.model_copy(update={"timezone": "Asia/Tokyo"})
    await ok(trader.nc, "settings.get", tokyo)

    seen_by_admin = await ok(trader.nc, "settings.get", ADMIN, {"userId": str(trader.user_id)})

    assert seen_by_admin["timezone"] == "Asia/Tokyo"


# Market orders


async def test_market_order_is_judged_at_the_latest_ticker(trader: Trader) -> None:
    price = Decimal(2000)
    tick = Ticker(
        meta=new_meta("test"),
        venue="paper",
        symbol="ETH/USDT",
        bid=price,
        ask=price,
        last=price,
        at=datetime.now(UTC),
    )
    # 0.3 ETH at 2000 is 600 USD: over 5% of the default equity, known only from the ticker.
    code: RejectCode | None = RejectCode.INVALID_ORDER
    for _ in range(20):  # the ticker fan-out has no acknowledgement: retry until risk has seen a price
        await publish(
            trader.nc,
            subjects.ticker("paper", "ETH/USDT"),
            tick.model_copy(update={"meta": new_meta("test")}),
        )
        code = await trader.rejected_with(quantity="0.3", symbol="ETH/USDT", market=True)
        if code is not RejectCode.INVALID_ORDER:
            break

    assert code is RejectCode.MAX_POSITION


async def test_market_order_without_any_known_price_is_rejected_invalid_order(trader: Trader) -> None:
    assert await trader.rejected_with(symbol="XRP/USDT", market=True) is RejectCode.INVALID_ORDER


# Replicas


async def test_a_second_replica_loads_and_follows_the_kill_switch(risk: Stack, trader: Trader) -> None:
    command = {"scope": "global", "reason": "replica test"}
    await ok(trader.nc, "killswitch.activate", ADMIN, command)
    replica = _spawn_replica(risk, "risk-replica")
    try:
        assert {await trader.rejected_with() for _ in range(10)} == {RejectCode.KILL_SWITCH}
        await ok(trader.nc, "killswitch.deactivate", ADMIN, command)
        assert {await trader.rejected_with() for _ in range(10)} == {None}
        assert _metric(replica, "tp_risk_decisions_total") > 0
    finally:
        await ok(trader.nc, "killswitch.deactivate", ADMIN, command)
        risk.process("risk-replica").stop(10)


# Helpers


def _spawn_replica(stack: Stack, name: str) -> str:
    """Start another risk process sharing the stack's NATS and database; returns its base URL."""
    env = {"TP_INSTANCE_ID": name, **stack.credentials("risk")}
    return stack.spawn_serving(name, [sys.executable, "-m", "tradeplane.risk"], env)


async def _release(trader: Trader) -> None:
    await ok(
        trader.nc,
        "killswitch.deactivate",
        ADMIN,
        {"scope": "user", "userId": str(trader.user_id), "reason": "reviewed"},
    )


async def _decisions_stored(trader: Trader) -> int:
    """How many approvals and rejections the ORDERS stream holds for the trader."""
    counts = 0
    for kind in ("approved", "rejected"):
        subject = f"{subjects.PREFIX}.order.{kind}.{trader.partition}.{trader.user_id}"
        info = await trader.nc.jetstream().stream_info(streams.ORDERS.name, subjects_filter=subject)
        counts += (info.state.subjects or {}).get(subject, 0)
    return counts


def _metric(where: Stack | str, name: str) -> float:
    base = where.url("risk") if isinstance(where, Stack) else where
    text = httpx.get(f"{base}/metrics").text
    return sum(
        float(line.split()[-1]) for line in text.splitlines() if line.startswith((name + " ", name + "{"))
    )


async def _wait(ready: Any, what: str) -> None:
    for _ in range(int(WAIT / 0.05)):
        if ready():
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"never saw {what}")


def _operator(stack: Stack, *args: str) -> dict[str, Any]:
    done = subprocess.run(
        [sys.executable, "-m", "tradeplane.risk", "killswitch", *args],
        env={**os.environ, "TP_NATS_URL": stack.nats_url, **operator_env()},
        cwd=REPO_ROOT,
        capture_output=True,
        timeout=60,
        check=True,
    )
    result: dict[str, Any] = orjson.loads(done.stdout)
    return result
