"""One venue account inside the executor: its venue, its open orders, and every change to them.

An `AccountActor` is the state an account's actor (`actors.py`) works on; its methods run one at a
time (the actor's mailbox, or the kill switch holding the actor's lock). Memory changes only after the
store commits, and a failed commit resets it so the next job reloads everything from the store.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, replace
from typing import TypeVar
from uuid import UUID

from tradeplane.contracts import (
    CancelOrder,
    OrderApproved,
    OrderStatus,
    OrderType,
    RejectCode,
    VenueErrorCategory,
    subjects,
)
from tradeplane.paper.feed import Tick
from tradeplane.paper.markets import InvalidOrder, MarketSpec, market_for, validate_and_round
from tradeplane.runtime import telemetry

from . import metrics
from .adapters.accounts import Account
from .adapters.paper_venue import PaperVenue
from .adapters.store import Store
from .adapters.venue import Venue, VenueCallError, VenueOrderReport
from .domain.order_state import SendState
from .halts import HaltBook
from .market import LatestTickers
from .outcomes import (
    Event,
    OrderContext,
    Outcome,
    TrackedOrder,
    apply_report,
    canceled,
    failed,
    new_record,
    rejected,
    venue_error,
    venue_succeeded,
)
from .recovery import RetryLater, reconcile

log = logging.getLogger(__name__)
T = TypeVar("T")

SUBMIT_ATTEMPTS = 3


@dataclass(frozen=True, slots=True)
class Deps:
    store: Store
    open_venue: Callable[[Account], Awaitable[Venue]]
    halts: HaltBook
    tickers: LatestTickers
    partitions: int
    retry_pause: float = 0.2


class AccountActor:
    def __init__(self, account_id: UUID, deps: Deps) -> None:
        self.account_id = account_id
        self.deps = deps
        self.account: Account | None = None
        self.venue: Venue | None = None
        self.markets: dict[str, MarketSpec] = {}
        self.open: dict[UUID, TrackedOrder] = {}
        self.started = False
        self.broken: str | None = None
        """Why the account's venue could not be opened (unknown exchange, undecryptable credentials)."""
        self._error_streak = 0

    @property
    def is_paper(self) -> bool:
        return isinstance(self.venue, PaperVenue)

    @property
    def paper_account(self) -> bool:
        """The account trades on the paper venue (known even while the actor is reset)."""
        return self.account is not None and self.account.is_paper

    @property
    def live_account(self) -> bool:
        return self.account is not None and not self.account.is_paper

    @property
    def user_id(self) -> UUID | None:
        return None if self.account is None else self.account.user_id

    def symbols(self) -> set[str]:
        return {t.ctx.symbol for t in self.open.values()}

    async def ensure_started(self) -> None:
        if self.started:
            return
        account = await self.deps.store.account(self.account_id)
        self.account, self.open, self.broken = account, {}, None
        if account is not None and account.active:
            try:
                self.venue = await self.deps.open_venue(account)
                self.markets = {m.symbol: m for m in await self.call("markets", self.venue.markets())}
            except VenueCallError as err:
                await self.close()
                if err.retryable:
                    raise
                self.broken = err.message
        self.started = True
        if self.venue is not None:
            await reconcile(self, self.deps.store)

    async def close(self) -> None:
        venue, self.venue = self.venue, None
        if venue is not None:
            await venue.close()

    async def reset(self) -> None:
        """Forget memory after a failed commit; the next job reloads it from the store."""
        await self.close()
        self.started, self.open = False, {}

    async def approve(self, msg: OrderApproved) -> None:
        await self.ensure_started()
        arrival = await self.deps.store.arrival(msg.order_id)
        if not arrival.unsent:  # a redelivery of an order already sent
            if arrival.cancel_reason is not None:  # recovery settled it before its cancel could apply
                await self._cancel_open(msg.order_id, arrival.cancel_reason)
            return
        state = arrival.send_state
        ctx = OrderContext.of(msg, subjects.partition_of(msg.user_id, self.deps.partitions))
        if arrival.cancel_reason is not None and state is None:  # cancelled before it was ever sent
            await self.commit([canceled(ctx, new_record(ctx), arrival.cancel_reason)])
            return
        refusal = self._refusal(msg)
        if refusal is None and state is None:  # a 'sending' order is looked up first, halted or not
            refusal = await self.deps.halts.refusal(msg.user_id)
        if refusal is None:
            try:
                ctx = self._rounded(replace(ctx, venue=self._venue_id()))
            except InvalidOrder as exc:
                refusal = RejectCode.INVALID_ORDER, exc.message
        if refusal is not None:
            await self.commit([rejected(ctx, new_record(ctx), *refusal)])
            return
        tracked = TrackedOrder(ctx, new_record(ctx))
        if state == SendState.SENDING:  # a crash mid-send: only the venue knows whether it arrived
            await self._resume_sending(tracked, arrival.cancel_reason)
            return
        await self._send(tracked, sending_row=False)

    async def _resume_sending(self, tracked: TrackedOrder, cancel_reason: str | None) -> None:
        report = await self.lookup(tracked)
        ctx = tracked.ctx
        if report is None and cancel_reason is not None:  # it never arrived, and now never will
            await self.commit([canceled(ctx, tracked.record, cancel_reason)])
            return
        if report is None:
            await self._send(tracked, sending_row=True)
            return
        await self.commit([apply_report(ctx, tracked.record, report)])
        if cancel_reason is not None:
            await self._cancel_open(ctx.order_id, cancel_reason)
        await self._cancel_if_halted(ctx.order_id)

    async def cancel(self, cmd: CancelOrder) -> None:
        """Cancel at the venue; an order not sent yet is remembered as cancelled, so it never will be."""
        arrival = await self.deps.store.arrival(cmd.order_id)
        if arrival.unsent:
            await self.deps.store.remember_cancel(cmd)
            return
        if arrival.send_state == SendState.DONE:
            return
        await self.ensure_started()
        await self._cancel_open(cmd.order_id, cmd.reason)

    async def _cancel_open(self, order_id: UUID, reason: str) -> None:
        tracked = self.open.get(order_id)
        if tracked is None or self.venue is None:
            return
        try:
            report = await self.call("cancel", self.venue.cancel(tracked.venue_order()))
        except VenueCallError as err:
            await self.venue_failed(err, tracked.ctx)
            if err.retryable:
                raise RetryLater(err.message) from err
            return
        await self.commit([apply_report(tracked.ctx, tracked.record, report, reason)], venue_ok=True)

    async def tick(self, tick: Tick) -> None:
        await self.ensure_started()
        if isinstance(self.venue, PaperVenue):
            reports = self.venue.on_tick(tick)
            if reports:  # the engine changed: store it even when no open order is reported
                await self.commit(self.outcomes(reports))

    async def poll(self) -> None:
        await self.ensure_started()
        if self.venue is None or self.is_paper or not self.open:
            return
        orders = [t.venue_order() for t in self.open.values()]
        try:
            reports = await self.call("poll", self.venue.poll(orders))
        except VenueCallError as err:
            await self.venue_failed(err, None)
            return
        outcomes = self.outcomes(reports)
        if outcomes or self._error_streak:
            await self.commit(outcomes, venue_ok=True)

    async def cancel_all(self, reason: str) -> int:
        """Cancel every open order at the venue, one by one (the kill switch's live path)."""
        await self.ensure_started()
        if self.venue is None:
            return 0
        outcomes = []
        for tracked in list(self.open.values()):
            try:
                report = await self.call("cancel", self.venue.cancel(tracked.venue_order()))
            except VenueCallError as err:
                await self.venue_failed(err, tracked.ctx)
                continue
            outcomes.append(apply_report(tracked.ctx, tracked.record, report, reason))
        await self.commit(outcomes, venue_ok=True)
        return sum(1 for o in outcomes if o.record.status is OrderStatus.CANCELLED)

    def paper_cancel_all(self, reason: str) -> list[Outcome]:
        """Empty the paper engine's book; the caller commits (rows, and an empty stored book), then
        `applied`."""
        assert isinstance(self.venue, PaperVenue)
        engine = self.venue.engine
        for update in engine.open_orders():
            engine.cancel(update.order_id, reason)
        outcomes = []
        for tracked in self.open.values():
            report = VenueOrderReport(
                tracked.ctx.client_order_id, str(tracked.ctx.order_id), OrderStatus.CANCELLED
            )
            outcomes.append(apply_report(tracked.ctx, tracked.record, report, reason))
        return outcomes

    def applied(self, outcomes: Sequence[Outcome]) -> None:
        """Bring memory up to committed outcomes."""
        for outcome in outcomes:
            order_id = outcome.ctx.order_id
            previous = self.open.get(order_id)
            if previous is None or previous.record.status is not outcome.record.status:
                metrics.ORDERS.labels(outcome.record.status.value).inc()
            if outcome.record.status.is_terminal:
                self.open.pop(order_id, None)
            else:
                self.open[order_id] = TrackedOrder(outcome.ctx, outcome.record)

    def outcomes(self, reports: Sequence[VenueOrderReport]) -> list[Outcome]:
        """What reports about open orders change; a report about an order not open here is logged."""
        by_client = {t.ctx.client_order_id: t for t in self.open.values()}
        outcomes = []
        for report in reports:
            tracked = by_client.get(report.client_order_id)
            if tracked is None:
                log.warning("report for an order not open here", extra={"account_id": str(self.account_id)})
                continue
            outcomes.append(apply_report(tracked.ctx, tracked.record, report))
        return outcomes

    async def commit(self, outcomes: Sequence[Outcome], *, venue_ok: bool = False) -> None:
        """One transaction: order rows, fills, paper state and their events."""
        events: list[Event] = []
        recovered = venue_ok and self._error_streak > 0 and self.account is not None
        if recovered:
            events.append(venue_succeeded(self._user(), self.account_id, self._partition()))
        paper = (self.account_id, self.venue.snapshot()) if isinstance(self.venue, PaperVenue) else None
        try:
            await self.deps.store.commit(outcomes, events, paper)
        except Exception:
            await self.reset()
            raise
        if recovered:
            self._error_streak = 0
        self.applied(outcomes)

    async def lookup(self, tracked: TrackedOrder) -> VenueOrderReport | None:
        assert self.venue is not None
        try:
            return await self.call("lookup", self.venue.lookup(tracked.venue_order()))
        except VenueCallError as err:
            await self.venue_failed(err, tracked.ctx)
            raise RetryLater(f"cannot tell whether order {tracked.ctx.order_id} reached the venue") from err

    async def venue_failed(self, err: VenueCallError, ctx: OrderContext | None) -> None:
        metrics.VENUE_ERRORS.labels(err.category.value).inc()
        if err.category is VenueErrorCategory.NONCE:
            metrics.NONCE_ERRORS.inc()
        self._error_streak += 1
        if self.account is not None:
            event = venue_error(
                self._user(),
                self.account_id,
                self.account.venue,
                self._partition(),
                err.category,
                err.message,
                ctx,
            )
            await self.deps.store.commit((), (event,))

    async def call(self, name: str, call: Awaitable[T]) -> T:
        venue = "unknown" if self.account is None else self.account.venue
        started = time.perf_counter()
        try:
            with telemetry.span(f"venue {name}", {"tp.venue": venue, "tp.account_id": str(self.account_id)}):
                return await call
        finally:
            metrics.VENUE_CALLS.labels(venue, name).observe(time.perf_counter() - started)

    async def _send(self, tracked: TrackedOrder, *, sending_row: bool) -> None:
        ctx, venue = tracked.ctx, self.venue
        assert venue is not None
        if not self.is_paper and not sending_row and self._blocked(ctx) is None:
            await self.deps.store.mark_sending(ctx, tracked.record)
        before = self._catch_up(ctx.symbol)
        error: VenueCallError | None = None
        for attempt in range(SUBMIT_ATTEMPTS):
            blocked = self._blocked(ctx)  # again right before the call: a halt may have come in meanwhile
            if blocked is not None:
                await self.commit([*before, rejected(ctx, tracked.record, *blocked)])
                return
            try:
                report = await self.call("submit", venue.submit(tracked.venue_order()))
            except VenueCallError as err:
                error = err
                await self.venue_failed(err, ctx)
                if not err.retryable:
                    break
                found = await self.lookup(tracked)  # it may have landed despite the error
                if found is None:
                    await asyncio.sleep(self.deps.retry_pause * 2**attempt)
                    continue
                report = found
            await self.commit([*before, apply_report(ctx, tracked.record, report)], venue_ok=True)
            await self._cancel_if_halted(ctx.order_id)
            return
        assert error is not None
        await self.commit([*before, failed(ctx, tracked.record, error.reject_code, error.message)])

    def _catch_up(self, symbol: str) -> list[Outcome]:
        """Give a paper engine the latest tick it has not seen (it gets ticks only for open orders)."""
        latest = self.deps.tickers.tick("paper", symbol)
        if not isinstance(self.venue, PaperVenue) or latest is None:
            return []
        return self.outcomes(self.venue.on_tick(latest))

    async def _cancel_if_halted(self, order_id: UUID) -> None:
        """An order that reached the venue while a halt came in is cancelled at once."""
        tracked = self.open.get(order_id)
        blocked = None if tracked is None else self._blocked(tracked.ctx)
        if tracked is None or blocked is None or blocked[0] is not RejectCode.KILL_SWITCH or not self.venue:
            return
        try:
            report = await self.call("cancel", self.venue.cancel(tracked.venue_order()))
        except VenueCallError as err:
            await self.venue_failed(err, tracked.ctx)
            return
        await self.commit([apply_report(tracked.ctx, tracked.record, report, blocked[1])])

    def _refusal(self, msg: OrderApproved) -> tuple[RejectCode, str] | None:
        account = self.account
        if account is None or not account.active or account.user_id != msg.user_id:
            return RejectCode.ACCOUNT_NOT_FOUND, "no such account"
        if self.venue is None:
            return RejectCode.VENUE_ERROR, f"the venue cannot be used: {self.broken}"
        return None

    def _blocked(self, ctx: OrderContext) -> tuple[RejectCode, str] | None:
        return self.deps.halts.blocks(ctx.user_id)

    def _rounded(self, ctx: OrderContext) -> OrderContext:
        spec = market_for(self.markets, ctx.symbol)
        latest = self.deps.tickers.get(ctx.venue, ctx.symbol)
        reference = latest.last if latest is not None and ctx.type is OrderType.MARKET else None
        rounded = validate_and_round(
            spec, ctx.side, ctx.type, ctx.quantity, ctx.price, ctx.stop_price, reference_price=reference
        )
        return replace(ctx, quantity=rounded.quantity, price=rounded.price, stop_price=rounded.stop_price)

    def _venue_id(self) -> str:
        assert self.account is not None
        return self.account.venue

    def _user(self) -> UUID:
        assert self.account is not None
        return self.account.user_id

    def _partition(self) -> int:
        return subjects.partition_of(self._user(), self.deps.partitions)
