"""One venue account inside the executor: its venue, its open orders, and every change to them.

An `AccountSession` is the state of one account actor; its methods run one at a time (the actor's
mailbox, or the kill switch holding the actor's lock). Memory changes only after the database commit,
and a failed commit resets the session so the next job reloads everything from the database.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Sequence
from dataclasses import dataclass, replace
from datetime import timedelta
from typing import Any, TypeVar
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncEngine
from tradeplane.contracts import (
    CancelOrder,
    Meta,
    OrderApproved,
    OrderStatus,
    OrderType,
    RejectCode,
    VenueError,
    VenueErrorCategory,
    VenueSucceeded,
    subjects,
    utcnow,
)
from tradeplane.runtime import Outbox

from . import metrics
from .adapters import accounts, repo
from .adapters.paper_venue import PaperVenue, initial_state
from .adapters.venue import Venue, VenueCallError, VenueOrderReport
from .domain.feed import Tick
from .domain.markets import InvalidOrder, MarketSpec, market_for, validate_and_round
from .halts import HaltBook
from .market import LatestTickers
from .outcomes import (
    PRODUCER,
    Event,
    OrderContext,
    Outcome,
    TrackedOrder,
    apply_report,
    failed,
    new_record,
    rejected,
)

log = logging.getLogger(__name__)
T = TypeVar("T")

SUBMIT_ATTEMPTS = 3
STALE_SENDING = timedelta(minutes=2)
"""A row left 'sending' this long, unknown to the venue, was never sent and will not be redelivered."""


class RetryLater(Exception):
    """The venue's state is unknown (a call failed); the message is redelivered to try again."""


@dataclass(frozen=True, slots=True)
class Deps:
    engine: AsyncEngine
    outbox: Outbox
    halts: HaltBook
    tickers: LatestTickers
    vault: accounts.Vault
    partitions: int


class AccountSession:
    def __init__(self, account_id: UUID, deps: Deps) -> None:
        self.account_id = account_id
        self.deps = deps
        self.account: accounts.Account | None = None
        self.venue: Venue | None = None
        self.markets: dict[str, MarketSpec] = {}
        self.open: dict[UUID, TrackedOrder] = {}
        self.started = False
        self._error_streak = 0

    @property
    def is_paper(self) -> bool:
        return isinstance(self.venue, PaperVenue)

    @property
    def user_id(self) -> UUID | None:
        return None if self.account is None else self.account.user_id

    def symbols(self) -> set[str]:
        return {t.ctx.symbol for t in self.open.values()}

    async def ensure_started(self) -> None:
        if self.started:
            return
        async with self.deps.engine.connect() as conn:
            account = await accounts.get(conn, self.account_id)
        if account is not None and account.active:
            self.venue = await self._open_venue(account)
            self.markets = {spec.symbol: spec for spec in await self._call("markets", self.venue.markets())}
        self.account = account
        self.open = {}
        self.started = True
        if self.venue is not None:
            await self._reconcile()

    async def close(self) -> None:
        if self.venue is not None:
            await self.venue.close()

    async def reset(self) -> None:
        """Forget memory after a failed commit; the next job reloads it from the database."""
        await self.close()
        self.venue, self.started, self.open = None, False, {}

    async def approve(self, msg: OrderApproved) -> None:
        await self.ensure_started()
        async with self.deps.engine.connect() as conn:
            row = await repo.order_row(conn, msg.order_id)
        if row is not None and row.send_state != "sending":
            return
        ctx = OrderContext.of(msg, subjects.partition_of(msg.user_id, self.deps.partitions))
        account = self.account
        if account is None or not account.active or account.user_id != msg.user_id or self.venue is None:
            await self._commit(
                [rejected(ctx, new_record(ctx), RejectCode.ACCOUNT_NOT_FOUND, "no such account")]
            )
            return
        ctx = replace(ctx, venue=account.venue)
        try:
            ctx = self._rounded(ctx)
        except InvalidOrder as exc:
            await self._commit([rejected(ctx, new_record(ctx), RejectCode.INVALID_ORDER, exc.message)])
            return
        tracked = TrackedOrder(ctx, new_record(ctx))
        if row is not None:
            report = await self._lookup(tracked)
            if report is not None:
                await self._commit([apply_report(ctx, tracked.record, report)])
                return
        await self._send(tracked, sending_row=row is not None)

    async def cancel(self, cmd: CancelOrder) -> None:
        await self.ensure_started()
        tracked = self.open.get(cmd.order_id)
        if tracked is None or self.venue is None:
            return
        try:
            report = await self._call("cancel", self.venue.cancel(tracked.venue_order()))
        except VenueCallError as err:
            await self._venue_failed(err, tracked.ctx)
            if err.retryable:
                raise RetryLater(err.message) from err
            return
        await self._commit([apply_report(tracked.ctx, tracked.record, report, cmd.reason)], venue_ok=True)

    async def tick(self, tick: Tick) -> None:
        await self.ensure_started()
        if isinstance(self.venue, PaperVenue):
            outcomes = self._outcomes(self.venue.on_tick(tick))
            if outcomes is not None:
                await self._commit(outcomes)

    async def poll(self) -> None:
        await self.ensure_started()
        if self.venue is None or self.is_paper or not self.open:
            return
        orders = [t.venue_order() for t in self.open.values()]
        try:
            reports = await self._call("poll", self.venue.poll(orders))
        except VenueCallError as err:
            await self._venue_failed(err, None)
            return
        outcomes = self._outcomes(reports) or []
        if outcomes or self._error_streak:
            await self._commit(outcomes, venue_ok=True)

    async def cancel_all(self, reason: str) -> int:
        """Cancel every open order at the venue, one by one (the kill switch's live path)."""
        await self.ensure_started()
        if self.venue is None:
            return 0
        outcomes = []
        for tracked in list(self.open.values()):
            try:
                report = await self._call("cancel", self.venue.cancel(tracked.venue_order()))
            except VenueCallError as err:
                await self._venue_failed(err, tracked.ctx)
                continue
            outcomes.append(apply_report(tracked.ctx, tracked.record, report, reason))
        await self._commit(outcomes, venue_ok=True)
        return sum(1 for o in outcomes if o.record.status is OrderStatus.CANCELLED)

    def paper_cancel_all(self, reason: str) -> list[Outcome]:
        """Cancel every open paper order in the engine only; the caller commits (`snapshot`, `applied`)."""
        assert isinstance(self.venue, PaperVenue)
        outcomes = []
        for tracked in list(self.open.values()):
            update = self.venue.engine.cancel(str(tracked.ctx.order_id), reason)
            status = OrderStatus.CANCELLED if update is None else update.status
            report = VenueOrderReport(tracked.ctx.client_order_id, str(tracked.ctx.order_id), status)
            outcomes.append(apply_report(tracked.ctx, tracked.record, report, reason))
        return outcomes

    def snapshot(self) -> dict[str, Any]:
        assert isinstance(self.venue, PaperVenue)
        return self.venue.snapshot()

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

    async def _send(self, tracked: TrackedOrder, *, sending_row: bool) -> None:
        ctx, venue = tracked.ctx, self.venue
        assert venue is not None
        if not self.is_paper and not sending_row and not self._blocked(ctx):
            async with self.deps.engine.begin() as conn:
                await repo.write_order(conn, ctx, tracked.record, "sending")
        before: list[Outcome] = []
        if isinstance(venue, PaperVenue):
            latest = self.deps.tickers.tick("paper", ctx.symbol)
            before = (None if latest is None else self._outcomes(venue.on_tick(latest))) or []
        error: VenueCallError | None = None
        for attempt in range(SUBMIT_ATTEMPTS):
            blocked = self._blocked(ctx)
            if blocked is not None:
                await self._commit([*before, rejected(ctx, tracked.record, *blocked)])
                return
            try:
                report = await self._call("submit", venue.submit(tracked.venue_order()))
            except VenueCallError as err:
                error = err
                await self._venue_failed(err, ctx)
                if not err.retryable:
                    break
                found = await self._lookup(tracked)
                if found is None:
                    await asyncio.sleep(0.2 * 2**attempt)
                    continue
                report = found
            await self._commit([*before, apply_report(ctx, tracked.record, report)], venue_ok=True)
            await self._cancel_if_halted(ctx.order_id)
            return
        assert error is not None
        await self._commit([failed(ctx, tracked.record, error.reject_code, error.message)])

    async def _lookup(self, tracked: TrackedOrder) -> VenueOrderReport | None:
        assert self.venue is not None
        try:
            return await self._call("lookup", self.venue.lookup(tracked.venue_order()))
        except VenueCallError as err:
            await self._venue_failed(err, tracked.ctx)
            raise RetryLater(f"cannot tell whether order {tracked.ctx.order_id} reached the venue") from err

    async def _cancel_if_halted(self, order_id: UUID) -> None:
        """An order that reached the venue while a halt came in is cancelled at once."""
        tracked = self.open.get(order_id)
        if tracked is None or self.venue is None:
            return
        blocked = self.deps.halts.blocks(tracked.ctx.user_id)
        if blocked is None or blocked[0] is not RejectCode.KILL_SWITCH:
            return
        try:
            report = await self._call("cancel", self.venue.cancel(tracked.venue_order()))
        except VenueCallError as err:
            await self._venue_failed(err, tracked.ctx)
            return
        await self._commit([apply_report(tracked.ctx, tracked.record, report, blocked[1])])

    def _blocked(self, ctx: OrderContext) -> tuple[RejectCode, str] | None:
        return self.deps.halts.blocks(ctx.user_id)

    def _rounded(self, ctx: OrderContext) -> OrderContext:
        spec = market_for(self.markets, ctx.symbol)
        latest = self.deps.tickers.get(ctx.venue, ctx.symbol)
        reference = None if latest is None or ctx.type is not OrderType.MARKET else latest.last
        rounded = validate_and_round(
            spec, ctx.side, ctx.type, ctx.quantity, ctx.price, ctx.stop_price, reference_price=reference
        )
        return replace(ctx, quantity=rounded.quantity, price=rounded.price, stop_price=rounded.stop_price)

    def _outcomes(self, reports: Sequence[VenueOrderReport]) -> list[Outcome] | None:
        """Outcomes of reports about open orders; None when there were no reports at all."""
        if not reports:
            return None
        by_client = {t.ctx.client_order_id: t for t in self.open.values()}
        outcomes = []
        for report in reports:
            tracked = by_client.get(report.client_order_id)
            if tracked is None:
                log.warning("report for an order not open here", extra={"account_id": str(self.account_id)})
                continue
            outcomes.append(apply_report(tracked.ctx, tracked.record, report))
        return outcomes

    async def _commit(
        self, outcomes: Sequence[Outcome], extra: Sequence[Event] = (), *, venue_ok: bool = False
    ) -> None:
        """One transaction: order rows, fills, paper state and their events."""
        events = [*extra]
        recovered = venue_ok and self._error_streak > 0 and self.account is not None
        if recovered:
            events.append(self._succeeded_event())
        try:
            async with self.deps.outbox.transaction() as tx:
                await repo.write_outcomes(tx.conn, outcomes)
                if isinstance(self.venue, PaperVenue):
                    await repo.save_paper_state(tx.conn, self.account_id, self.venue.snapshot())
                for outcome in outcomes:
                    for subject, event in outcome.events:
                        tx.emit(subject, event)
                for subject, event in events:
                    tx.emit(subject, event)
        except Exception:
            await self.reset()
            raise
        if recovered:
            self._error_streak = 0
        self.applied(outcomes)

    def _succeeded_event(self) -> Event:
        assert self.account is not None
        user_id = self.account.user_id
        event = VenueSucceeded(meta=Meta(producer=PRODUCER), user_id=user_id, account_id=self.account_id)
        return subjects.venue_ok(subjects.partition_of(user_id, self.deps.partitions), user_id), event

    async def _venue_failed(self, err: VenueCallError, ctx: OrderContext | None) -> None:
        metrics.VENUE_ERRORS.labels(err.category.value).inc()
        if err.category is VenueErrorCategory.NONCE:
            metrics.NONCE_ERRORS.inc()
        self._error_streak += 1
        if self.account is None:
            return
        user_id = self.account.user_id
        event = VenueError(
            meta=ctx.meta() if ctx is not None else Meta(producer=PRODUCER),
            user_id=user_id,
            account_id=self.account_id,
            venue=self.account.venue,
            category=err.category,
            message=err.message[:1000],
            order_id=None if ctx is None else ctx.order_id,
        )
        subject = subjects.venue_error(subjects.partition_of(user_id, self.deps.partitions), user_id)
        async with self.deps.outbox.transaction() as tx:
            tx.emit(subject, event)

    async def _call(self, name: str, call: Awaitable[T]) -> T:
        started = time.perf_counter()
        try:
            return await call
        finally:
            venue = "paper" if self.account is None else self.account.venue
            metrics.VENUE_CALLS.labels(venue, name).observe(time.perf_counter() - started)

    async def _open_venue(self, account: accounts.Account) -> Venue:
        if account.is_paper:
            async with self.deps.engine.connect() as conn:
                state = await repo.load_paper_state(conn, account.id)
            return PaperVenue(state or initial_state({}))
        from .adapters import ccxt_venue

        venue: Venue = ccxt_venue.create_venue(account.info, self.deps.vault.open(account), self.deps.engine)
        return venue

    async def _reconcile(self) -> None:
        """Pick up this account's unfinished orders: ask the venue where each stands, record what changed."""
        assert self.account is not None and self.venue is not None
        async with self.deps.engine.connect() as conn:
            rows = await repo.unfinished_orders(conn, self.account_id)
            known = await repo.fill_ids(conn, [row.order_id for row in rows])
        sending = []
        for row in rows:
            partition = subjects.partition_of(row.user_id, self.deps.partitions)
            tracked = repo.tracked_from_row(
                row, self.account.venue, partition, known.get(row.order_id, frozenset())
            )
            if row.send_state == "sending":
                sending.append((tracked, row.created_at))
            else:
                self.open[row.order_id] = tracked
        try:
            outcomes = [o for t, at in sending if (o := await self._settle_sending(t, at)) is not None]
            outcomes += await self._current_reports()
        except (RetryLater, VenueCallError):
            log.warning("reconciling with the venue failed; polling will catch up", exc_info=True)
            return
        changed = [o for o in outcomes if o.events]
        if changed:
            await self._commit(changed)

    async def _current_reports(self) -> list[Outcome]:
        assert self.venue is not None
        if not isinstance(self.venue, PaperVenue):
            orders = [t.venue_order() for t in self.open.values()]
            return self._outcomes(await self._call("poll", self.venue.poll(orders)) if orders else []) or []
        outcomes = []
        for tracked in list(self.open.values()):
            report = await self.venue.lookup(tracked.venue_order())
            if report is None:  # the engine's state is committed with the rows: this should not happen
                report = VenueOrderReport(tracked.ctx.client_order_id, "", OrderStatus.CANCELLED)
            outcomes.append(apply_report(tracked.ctx, tracked.record, report, "lost by the paper venue"))
        return outcomes

    async def _settle_sending(self, tracked: TrackedOrder, created_at: Any) -> Outcome | None:
        report = await self._lookup(tracked)
        if report is not None:
            return apply_report(tracked.ctx, tracked.record, report)
        if utcnow() - created_at > STALE_SENDING:
            return failed(
                tracked.ctx, tracked.record, RejectCode.VENUE_ERROR, "interrupted before reaching the venue"
            )
        return None  # the approval will be redelivered and sent then
