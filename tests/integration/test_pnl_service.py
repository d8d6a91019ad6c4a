"""The real pnl process on real NATS and PostgreSQL: fills in, trades and PnL out, redelivery harmless.

Execution is not running, so the account's baseline is 0 (the "execution did not answer" path) and
equity is just the PnL of the fills.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any, TypeVar
from uuid import UUID, uuid4

import httpx
import nats
import psycopg
import pytest
from nats.aio.client import Client
from nats.js import JetStreamContext
from tradeplane.cli.database import libpq_url
from tradeplane.contracts import (
    OrderFilled,
    PnlUpdated,
    Role,
    Side,
    Ticker,
    TradeClosed,
    new_meta,
    streams,
    subjects,
)
from tradeplane.contracts.base import Message
from tradeplane.contracts.queries import Caller, Query, Reply

from tests.support.client import eventually
from tests.support.fills import order_filled
from tests.support.natsauth import connect_operator
from tests.support.servers import Stack, running_stack

pytestmark = pytest.mark.integration

T = TypeVar("T")
VENUE = "paper"
T0 = datetime(2025, 3, 3, 9, 0, tzinfo=UTC)
FAST = {
    "TP_PNL_UPDATE_THROTTLE_SECONDS": "0.2",
    "TP_PNL_MARK_FLUSH_SECONDS": "0.2",
    "TP_PNL_SNAPSHOT_SECONDS": "0.3",
    "TP_PNL_BASELINE_RETRY_SECONDS": "0.3",
    "TP_PNL_EXECUTION_TIMEOUT_SECONDS": "0.5",
    "TP_OUTBOX_SWEEP_SECONDS": "0.5",
}


class Trader:
    """One user with one paper account, talking to the pnl service over NATS."""

    def __init__(self, nc: Client) -> None:
        self.nc = nc
        self.js: JetStreamContext = nc.jetstream()
        self.user_id = uuid4()
        self.account_id = uuid4()
        self.order_id = uuid4()
        self.symbol = f"X{self.user_id.hex[:8].upper()}/USDT"
        """A symbol of its own, so the marks of one test never reach another's positions."""
        self.pnl_updates: list[PnlUpdated] = []

    async def listen(self) -> None:
        async def collect(msg: Any) -> None:
            self.pnl_updates.append(PnlUpdated.model_validate_json(msg.data))

        await self.js.subscribe(subjects.pnl_updated(self.user_id), cb=collect, ordered_consumer=True)

    def fill(
        self, fill_id: str, side: Side, quantity: str, price: str, fee: str, minutes: int
    ) -> OrderFilled:
        return order_filled(
            self.user_id,
            side,
            quantity,
            price,
            fee,
            order_id=self.order_id,
            account_id=self.account_id,
            fill_id=fill_id,
            venue=VENUE,
            symbol=self.symbol,
            filled_at=T0 + timedelta(minutes=minutes),
        )

    async def publish(self, subject: str, message: Message) -> int:
        headers = {"Nats-Msg-Id": str(message.meta.event_id)}
        ack = await self.js.publish(subject, message.model_dump_json().encode(), headers=headers)
        return ack.seq

    async def publish_fill(self, fill: OrderFilled) -> int:
        return await self.publish(subjects.order_filled(0, self.user_id), fill)

    async def publish_fill_as_new_message(self, fill: OrderFilled) -> int:
        """The identical body under a new `Nats-Msg-Id`, so JetStream stores and delivers it again."""
        subject = subjects.order_filled(0, self.user_id)
        ack = await self.js.publish(
            subject, fill.model_dump_json().encode(), headers={"Nats-Msg-Id": str(uuid4())}
        )
        return ack.seq

    async def publish_ticker(self, last: str) -> None:
        price = Decimal(last)
        ticker = Ticker(
            meta=new_meta("execution"),
            venue=VENUE,
            symbol=self.symbol,
            bid=price,
            ask=price,
            last=price,
            at=datetime.now(UTC),
        )
        await self.publish(subjects.ticker(VENUE, self.symbol), ticker)

    async def ask(
        self, name: str, params: dict[str, Any] | None = None, user_id: UUID | None = None
    ) -> Reply:
        caller = Caller(user_id=user_id or self.user_id, role=Role.TRADER, timezone="Europe/Berlin")
        body = Query(caller=caller, params=params or {}).model_dump_json().encode()
        msg = await self.nc.request(subjects.query("pnl", name), body, timeout=5)
        return Reply.model_validate_json(msg.data)

    async def data(self, name: str, params: dict[str, Any] | None = None) -> Any:
        reply = await self.ask(name, params)
        assert reply.ok, reply.error
        return reply.data

    async def fills_settled(self, last_seq: int) -> bool:
        info = await self.js.consumer_info(streams.ORDERS.name, "pnl-fills")
        return info.delivered.stream_seq >= last_seq and not info.num_ack_pending and not info.num_pending


async def collected(js: JetStreamContext, subject: str, model: type[T]) -> list[T]:
    """Every message stored on `subject` so far."""
    sub = await js.subscribe(subject, ordered_consumer=True)
    found: list[T] = []
    try:
        while True:
            try:
                msg = await sub.next_msg(timeout=0.5)
            except nats.errors.TimeoutError:
                return found
            found.append(model.model_validate_json(msg.data))  # type: ignore[attr-defined]
    finally:
        await sub.unsubscribe()


@pytest.fixture(scope="module")
def pnl(postgres_server_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    """One pnl process for the module (like the `stack` fixture, shared); each test has its own user."""
    with running_stack(
        tmp_path_factory.mktemp("pnl-stack"), postgres_server_url, ["pnl"], env=FAST
    ) as running:
        yield running


@pytest.fixture
async def trader(pnl: Stack) -> AsyncIterator[Trader]:
    nc = await connect_operator(pnl.nats_url)
    try:
        trader = Trader(nc)
        await trader.listen()
        yield trader
    finally:
        await nc.close()


async def round_trip(trader: Trader) -> list[OrderFilled]:
    """Buy 1 at 100 (fee 0.1), the price moves to 110, sell 1 at 110 (fee 0.11); returns the fills."""
    fills = [
        trader.fill("f-buy", Side.BUY, "1", "100", "0.1", minutes=0),
        trader.fill("f-sell", Side.SELL, "1", "110", "0.11", minutes=90),
    ]
    await trader.publish_fill(fills[0])
    await eventually(lambda: trader.data("portfolio.positions"), lambda p: len(p) == 1)
    await trader.publish_ticker("110")
    await eventually(lambda: trader.data("portfolio.positions"), lambda p: p[0]["currentPrice"] == "110")
    await eventually(lambda: any(u.unrealized_pnl == 10 for u in trader.pnl_updates), bool)
    seq = await trader.publish_fill(fills[1])
    await eventually(lambda: trader.fills_settled(seq), bool)
    return fills


async def test_round_trip_closes_a_trade_with_the_pnl_the_fills_imply(trader: Trader) -> None:
    await round_trip(trader)

    trades = await trader.ask("pnl.trades")

    assert trades.pagination == {"page": 1, "pageSize": 50, "totalPages": 1, "totalItems": 1}
    (trade,) = trades.data
    assert (trade["side"], trade["quantity"], trade["entryPrice"], trade["exitPrice"]) == (
        "long",
        "1",
        "100",
        "110",
    )
    assert (trade["fees"], trade["pnlUsd"], trade["pnlPct"], trade["durationSeconds"]) == (
        "0.21",
        "9.79",
        "9.79",
        5400,
    )


async def test_summary_and_portfolio_report_the_closed_trade(trader: Trader) -> None:
    await round_trip(trader)

    summary = await trader.data("pnl.summary")
    portfolio = await trader.data("portfolio")

    assert (summary["realizedPnl"], summary["fees"], summary["unrealizedPnl"]) == ("10", "0.21", "0")
    assert (summary["totalTrades"], summary["winningTrades"], summary["winRate"]) == (1, 1, "100")
    assert summary["byAccount"][0]["accountId"] == str(trader.account_id)
    assert (portfolio["totalValue"], portfolio["positions"]) == ("9.79", [])


async def test_trade_closed_and_pnl_updated_are_published(trader: Trader) -> None:
    await round_trip(trader)

    closed = await eventually(
        lambda: collected(trader.js, subjects.trade_closed(trader.user_id), TradeClosed),
        lambda m: len(m) >= 1,
    )
    await eventually(lambda: bool(trader.pnl_updates) and trader.pnl_updates[-1].realized_pnl == 10, bool)
    last = trader.pnl_updates[-1]

    assert [(t.pnl_usd, t.fees, t.side) for t in closed] == [(Decimal("9.79"), Decimal("0.21"), "long")]
    assert (last.realized_pnl, last.unrealized_pnl, last.fees) == (10, 0, Decimal("0.21"))
    assert (last.daily_pnl, last.weekly_pnl) == (Decimal("9.79"), Decimal("9.79"))
    # No execution service answers here: the account's balances, hence the equity, are unknown.
    assert (last.equity, last.meta.schema_version) == (None, 2)


async def test_redelivered_and_duplicated_fills_change_nothing(trader: Trader) -> None:
    fills = await round_trip(trader)
    before = (await trader.data("pnl.summary"), await trader.ask("pnl.trades"))

    for fill in fills:
        # The same message again (as a redelivery would bring it), and the same fill in a new message.
        await trader.publish_fill_as_new_message(fill)
        seq = await trader.publish_fill(fill.model_copy(update={"meta": new_meta("execution")}))
    await eventually(lambda: trader.fills_settled(seq), bool)

    after = (await trader.data("pnl.summary"), await trader.ask("pnl.trades"))
    assert after == before


async def test_user_without_fills_gets_an_empty_portfolio(trader: Trader) -> None:
    portfolio = await trader.data("portfolio")

    assert (portfolio["totalValue"], portfolio["realizedPnl"], portfolio["positions"]) == ("0", "0", [])


async def test_trader_cannot_read_another_users_pnl(trader: Trader) -> None:
    reply = await trader.ask("pnl.summary", {"userId": str(uuid4())})

    assert reply.error is not None
    assert (reply.error.code, reply.error.status) == ("FORBIDDEN", 403)


def counter(stack: Stack, name: str) -> float:
    for line in httpx.get(f"{stack.url('pnl')}/metrics").text.splitlines():
        if line.startswith(f"{name} "):
            return float(line.split()[1])
    return 0.0


async def test_metrics_count_booked_fills_and_closed_trades(trader: Trader, pnl: Stack) -> None:
    booked, closed = (
        counter(pnl, "tp_pnl_fills_booked_total"),
        counter(pnl, "tp_pnl_trades_closed_total"),
    )

    await round_trip(trader)

    assert counter(pnl, "tp_pnl_fills_booked_total") - booked == 2
    assert counter(pnl, "tp_pnl_trades_closed_total") - closed == 1


class FakeExecution:
    """Answers `venues.list` and `venues.balance` for one trader, as the execution service would."""

    def __init__(self, trader: Trader, balances: dict[str, Any]) -> None:
        self.trader = trader
        self.balances = balances
        self.subs: list[Any] = []

    async def __aenter__(self) -> FakeExecution:
        for name in ("venues.list", "venues.balance"):
            self.subs.append(
                await self.trader.nc.subscribe(subjects.query("execution", name), cb=self.answer)
            )
        return self

    async def __aexit__(self, *exc: object) -> None:
        for sub in self.subs:
            await sub.unsubscribe()

    async def answer(self, msg: Any) -> None:
        query = Query.model_validate_json(msg.data)
        if query.caller.user_id != self.trader.user_id:
            reply = Reply.failure("NOT_FOUND", "no such account", 404)
        elif msg.subject.endswith("venues.list"):
            reply = Reply.success([{"id": str(self.trader.account_id), "venue": VENUE}])
        else:
            reply = Reply.success(self.balances)
        await msg.respond(reply.model_dump_json().encode())


BALANCES = {"USDT": {"free": "1000", "used": "0", "total": "1000"}, "USD": {"total": "250.5"}}


async def test_user_with_an_account_but_no_fills_is_valued_from_its_balances(trader: Trader) -> None:
    async with FakeExecution(trader, BALANCES):
        portfolio = await trader.data("portfolio")
        summary = await trader.data("pnl.summary")

    assert (portfolio["totalValue"], portfolio["dailyPnL"], portfolio["positions"]) == ("1250.5", "0", [])
    assert [(a["accountId"], a["equity"]) for a in summary["byAccount"]] == [
        (str(trader.account_id), "1250.5")
    ]


async def test_baseline_unknown_at_the_first_fill_is_added_once_execution_answers(trader: Trader) -> None:
    await trader.publish_fill(trader.fill("f-buy", Side.BUY, "1", "100", "0.1", minutes=0))
    unknown = await eventually(lambda: trader.data("portfolio"), lambda p: p["totalValue"] == "-0.1")
    assert unknown["equityKnown"] is False

    async with FakeExecution(trader, BALANCES):
        portfolio = await eventually(lambda: trader.data("portfolio"), lambda p: p["totalValue"] != "-0.1")

    assert (portfolio["totalValue"], portfolio["equityKnown"]) == ("1250.4", True)
    await eventually(lambda: any(u.equity == Decimal("1250.4") for u in trader.pnl_updates), bool)


def saved_mark(stack: Stack, symbol: str) -> Decimal | None:
    with psycopg.connect(libpq_url(stack.database_url)) as conn:
        row = conn.execute("SELECT price FROM pnl.marks WHERE symbol = %s", (symbol,)).fetchone()
    return row[0] if row else None


async def test_marks_survive_a_restart(trader: Trader, pnl: Stack) -> None:
    await trader.publish_fill(trader.fill("f-buy", Side.BUY, "1", "100", "0", minutes=0))
    await trader.publish_ticker("120")
    await eventually(
        lambda: trader.data("portfolio.positions"), lambda p: p and p[0]["currentPrice"] == "120"
    )
    await eventually(lambda: asyncio.to_thread(saved_mark, pnl, trader.symbol), lambda price: price == 120)

    await asyncio.to_thread(pnl.restart, "pnl")

    positions = await trader.data("portfolio.positions")
    assert positions[0]["currentPrice"] == "120"


async def test_open_position_is_snapshotted_at_its_mark_on_the_timer(trader: Trader) -> None:
    await trader.publish_fill(trader.fill("f-buy", Side.BUY, "1", "100", "0", minutes=0))
    await eventually(lambda: trader.data("portfolio.positions"), len)

    await trader.publish_ticker("130")

    await eventually(lambda: trader.data("portfolio.history"), lambda h: h[-1]["equity"] == "30")
