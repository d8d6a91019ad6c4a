"""Fakes at the executor's outer seams: a store that keeps rows and events in memory, and a live venue."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any
from uuid import UUID, uuid4

from tradeplane.contracts import (
    CancelOrder,
    LiquiditySide,
    Message,
    OrderApproved,
    OrderStatus,
    OrderType,
    Side,
    new_meta,
)
from tradeplane.execution.account_actor import AccountActor, Deps
from tradeplane.execution.adapters.accounts import Account
from tradeplane.execution.adapters.paper_venue import PaperVenue, initial_state
from tradeplane.execution.adapters.store import Arrival, Unfinished
from tradeplane.execution.adapters.venue import (
    VenueCallError,
    VenueFillReport,
    VenueOrder,
    VenueOrderReport,
)
from tradeplane.execution.domain.order_state import OrderRecord, SendState
from tradeplane.execution.halts import HaltBook
from tradeplane.execution.market import LatestTickers
from tradeplane.execution.outcomes import Event, OrderContext, Outcome, TrackedOrder, new_record
from tradeplane.paper.markets import PAPER_MARKETS, MarketSpec

NOW = datetime(2026, 1, 5, 12, 0, tzinfo=UTC)


def account(venue: str = "fakex", user_id: UUID | None = None) -> Account:
    return Account(
        id=uuid4(),
        user_id=user_id or uuid4(),
        venue=venue,
        label=venue,
        environment="Paper" if venue == "paper" else "Live",
        status="Connected",
        key_hint=None,
        sandbox=False,
        created_at=NOW,
        sealed=None,
    )


def approval(
    acct: Account, *, quantity: str = "0.01", type: OrderType = OrderType.MARKET, **more: Any
) -> OrderApproved:
    return OrderApproved(
        meta=new_meta("test"),
        order_id=more.pop("order_id", None) or uuid4(),
        user_id=acct.user_id,
        account_id=acct.id,
        client_order_id="c-1",
        venue=acct.venue,
        symbol=more.pop("symbol", "BTC/USDT"),
        side=more.pop("side", Side.BUY),
        type=type,
        quantity=Decimal(quantity),
        **more,
    )


@dataclass
class FakeStore:
    accounts: dict[UUID, Account] = field(default_factory=dict)
    rows: dict[UUID, SendState] = field(default_factory=dict)
    """order id -> send state."""
    records: dict[UUID, OrderRecord] = field(default_factory=dict)
    contexts: dict[UUID, OrderContext] = field(default_factory=dict)
    events: list[Event] = field(default_factory=list)
    cancels: dict[UUID, tuple[CancelOrder, datetime]] = field(default_factory=dict)
    """order id -> a cancel that came before the order was sent, and when."""
    paper: dict[UUID, dict[str, Any]] = field(default_factory=dict)
    unfinished_rows: dict[UUID, list[Unfinished]] = field(default_factory=dict)
    commits: int = 0
    halt_commits: list[int] = field(default_factory=list)
    """How many cancels each halt commit wrote."""
    fail_next_commit: bool = False
    fail_next_halt: bool = False
    on_mark_sending: Callable[[], None] | None = None

    def add(self, acct: Account, balances: dict[str, str] | None = None) -> Account:
        self.accounts[acct.id] = acct
        if acct.is_paper:
            self.paper[acct.id] = initial_state(
                {c: Decimal(a) for c, a in (balances or {"USDT": "100000"}).items()}
            )
        return acct

    def of(self, kind: type[Message]) -> list[Any]:
        return [event for _, event in self.events if isinstance(event, kind)]

    async def account(self, account_id: UUID) -> Account | None:
        return self.accounts.get(account_id)

    async def arrival(self, order_id: UUID) -> Arrival:
        held = self.cancels.get(order_id)
        return Arrival(self.rows.get(order_id), None if held is None else held[0].reason)

    async def remember_cancel(self, cmd: CancelOrder) -> None:
        self.cancels.setdefault(cmd.order_id, (cmd, NOW))

    async def prune_cancels(self, before: datetime) -> int:
        old = [order_id for order_id, (_, at) in self.cancels.items() if at < before]
        for order_id in old:
            del self.cancels[order_id]
        return len(old)

    async def unfinished(self, account_id: UUID, venue: str) -> list[Unfinished]:
        committed = [
            Unfinished(TrackedOrder(ctx, self.records[order_id]), self.rows[order_id], NOW)
            for order_id, ctx in self.contexts.items()
            if ctx.account_id == account_id and not self.records[order_id].status.is_terminal
        ]
        return self.unfinished_rows.get(account_id, []) + committed

    async def paper_state(self, account_id: UUID) -> dict[str, Any] | None:
        return self.paper.get(account_id)

    async def mark_sending(self, ctx: OrderContext, record: OrderRecord) -> None:
        self.rows[ctx.order_id] = SendState.SENDING
        if self.on_mark_sending is not None:
            self.on_mark_sending()

    async def commit(
        self,
        outcomes: Sequence[Outcome],
        events: Sequence[Event] = (),
        paper: tuple[UUID, dict[str, Any]] | None = None,
    ) -> None:
        if self.fail_next_commit:
            self.fail_next_commit = False
            raise ConnectionError("database went away")
        self.commits += 1
        for outcome in outcomes:
            self.rows[outcome.ctx.order_id] = outcome.send_state
            self.records[outcome.ctx.order_id] = outcome.record
            self.contexts[outcome.ctx.order_id] = outcome.ctx
            self.events += outcome.events
        self.events += events
        if paper is not None:
            self.paper[paper[0]] = paper[1]

    async def commit_halt(self, outcomes: Sequence[Outcome], reason: str, emptied: Sequence[UUID]) -> None:
        if self.fail_next_halt:
            self.fail_next_halt = False
            raise ConnectionError("database went away")
        self.halt_commits.append(len(outcomes))
        for outcome in outcomes:
            self.rows[outcome.ctx.order_id] = outcome.send_state
            self.records[outcome.ctx.order_id] = outcome.record
            self.events += outcome.events
        for account_id in emptied:
            self.paper[account_id] = {**self.paper[account_id], "orders": []}


class FakeVenue:
    """A live venue that fills market orders at 100, rests limit orders, and fails on request."""

    name = "fakex"

    def __init__(self) -> None:
        self.submitted: list[VenueOrder] = []
        self.cancelled: list[VenueOrder] = []
        self.known: dict[str, VenueOrderReport] = {}
        self.submit_errors: list[tuple[VenueCallError, bool]] = []
        """Raised by the next submits, in order: (error, whether the order landed anyway)."""
        self.delay = 0.0
        self.running = 0
        self.max_running = 0

    async def markets(self) -> list[MarketSpec]:
        return list(PAPER_MARKETS.values())

    async def submit(self, order: VenueOrder) -> VenueOrderReport:
        self.running += 1
        self.max_running = max(self.max_running, self.running)
        try:
            await asyncio.sleep(self.delay)
        finally:
            self.running -= 1
        self.submitted.append(order)
        report = self._accept(order)
        if self.submit_errors:
            error, landed = self.submit_errors.pop(0)
            if not landed:
                del self.known[order.client_order_id]
            raise error
        return report

    async def cancel(self, order: VenueOrder) -> VenueOrderReport:
        self.cancelled.append(order)
        report = VenueOrderReport(order.client_order_id, f"v-{order.client_order_id}", OrderStatus.CANCELLED)
        self.known[order.client_order_id] = report
        return report

    async def lookup(self, order: VenueOrder) -> VenueOrderReport | None:
        return self.known.get(order.client_order_id)

    async def poll(self, open_orders: list[VenueOrder]) -> list[VenueOrderReport]:
        return []

    async def balance(self) -> dict[str, dict[str, Decimal]]:
        return {}

    async def close(self) -> None:
        return None

    def _accept(self, order: VenueOrder) -> VenueOrderReport:
        venue_id = f"v-{order.client_order_id}"
        if order.type is OrderType.MARKET:
            fill = VenueFillReport(
                f"t-{len(self.submitted)}",
                order.quantity,
                Decimal(100),
                Decimal("0.2"),
                "USDT",
                LiquiditySide.TAKER,
                NOW,
            )
            report = VenueOrderReport(
                order.client_order_id, venue_id, OrderStatus.FILLED, order.quantity, (fill,)
            )
        else:
            report = VenueOrderReport(order.client_order_id, venue_id, OrderStatus.OPEN)
        self.known[order.client_order_id] = report
        return report


@dataclass
class Harness:
    """Sessions wired to fakes: `venue` serves every live account, paper accounts get a real PaperVenue."""

    store: FakeStore = field(default_factory=FakeStore)
    venue: FakeVenue = field(default_factory=FakeVenue)
    halts: HaltBook = field(default_factory=lambda: HaltBook(heartbeat_timeout=0))
    tickers: LatestTickers = field(default_factory=LatestTickers)

    def deps(self) -> Deps:
        return Deps(self.store, self._open_venue, self.halts, self.tickers, partitions=16, retry_pause=0)

    def session(self, acct: Account) -> AccountActor:
        return AccountActor(acct.id, self.deps())

    async def crashed_while_sending(self, msg: OrderApproved, *, landed: bool) -> None:
        """As a crash between marking the order `sending` and storing the venue's answer leaves it;
        `landed`: the order reached the venue before the crash."""
        self.store.rows[msg.order_id] = SendState.SENDING
        if landed:
            ctx = OrderContext.of(msg, 0)
            await self.venue.submit(TrackedOrder(ctx, new_record(ctx)).venue_order())

    async def _open_venue(self, acct: Account) -> Any:
        if acct.is_paper:
            return PaperVenue(self.store.paper[acct.id])
        return self.venue
