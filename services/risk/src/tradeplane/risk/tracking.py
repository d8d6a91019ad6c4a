"""Per-user risk state from events (fills, PnL, venue errors) and admin actions, each change in one
outbox transaction with the events and audit records its transitions make."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncConnection
from tradeplane.contracts import Message, OrderFilled, PnlUpdated, VenueError, VenueSucceeded, utcnow
from tradeplane.riskrules import Disabled, Fill, RiskState, Transition, on_fill, on_pnl, release, roll_day
from tradeplane.runtime import Runtime

from . import events, metrics
from .adapters import repo
from .domain import enable, on_venue_error, on_venue_success
from .profiles import Profile, Profiles

log = logging.getLogger(__name__)

Change = tuple[RiskState, Sequence[Transition], dict[str, Any]]
"""The new state, the transitions that made it, and other columns to store beside it."""
Step = Callable[[repo.StateRow, Profile], Change | None]
"""Given the locked row and the user's profile: the change to store, or None for no change."""
Claim = Callable[[AsyncConnection], Awaitable[bool]]


class Tracker:
    def __init__(self, rt: Runtime, profiles: Profiles, disable_after: int) -> None:
        self._rt = rt
        self._profiles = profiles
        self._disable_after = disable_after

    async def fill(self, event: OrderFilled) -> None:
        """Move the position and count the trade, once per fill whatever its event id."""
        fill = Fill(
            event.account_id,
            event.symbol,
            event.side,
            event.quantity,
            order_filled_quantity=event.filled_quantity,
        )

        def step(row: repo.StateRow, profile: Profile) -> Change:
            state, changes = on_fill(row.state, profile.limits, fill, now=utcnow(), tz=profile.zone)
            return state, changes, {}

        async def claim(conn: AsyncConnection) -> bool:
            return await repo.claim_fill(conn, event.order_id, event.fill_id)

        await self._update(event.user_id, step, event, claim=claim)

    async def pnl(self, event: PnlUpdated) -> None:
        """Add the realized PnL (net of fees) made since the last update, and record the equity.

        Cumulative figures make a stale or repeated update harmless: it is skipped by its time. An
        update whose equity is unknown (pnl could not read balances) leaves the last known one.
        """
        at = event.meta.occurred_at
        realized = event.realized_pnl - event.fees

        def step(row: repo.StateRow, profile: Profile) -> Change | None:
            if row.pnl_at is not None and at <= row.pnl_at:
                return None
            state, changes = on_pnl(
                row.state,
                profile.limits,
                now=utcnow(),
                tz=profile.zone,
                realized_delta=realized - row.last_realized,
                equity=event.equity,
            )
            columns: dict[str, Any] = {"last_realized": realized, "pnl_at": at}
            if event.equity is not None:
                columns["equity"] = event.equity
            return state, changes, columns

        await self._update(event.user_id, step, event)

    async def venue_error(self, event: VenueError) -> None:
        def step(row: repo.StateRow, profile: Profile) -> Change:
            state, changes = on_venue_error(row.state, event.category, self._disable_after)
            return state, changes, {}

        async def claim(conn: AsyncConnection) -> bool:
            return await self._rt.inbox.claim(conn, "risk-venue-error", event.meta.event_id)

        for change in await self._update(event.user_id, step, event, claim=claim):
            if isinstance(change, Disabled):
                metrics.USERS_DISABLED.inc()
                log.critical(
                    "user disabled after repeated venue errors",
                    extra={"user_id": str(event.user_id), "venue": event.venue, "reason": change.reason},
                )

    async def venue_ok(self, event: VenueSucceeded) -> None:
        """Reset the error streak; most successes find none, and cost one read."""
        async with self._rt.engine.connect() as conn:
            row = await repo.read(conn, event.user_id)
        if row is None or not row.state.consecutive_errors:
            return

        def step(row: repo.StateRow, profile: Profile) -> Change:
            state, changes = on_venue_success(row.state)
            return state, changes, {}

        await self._update(event.user_id, step, event)

    async def enable(self, user_id: UUID, actor: str) -> list[Transition]:
        """An admin re-enables a user (a no-op, reported as no transition, when they were not disabled)."""

        def step(row: repo.StateRow, profile: Profile) -> Change:
            state, changes = enable(row.state)
            return state, changes, {}

        return await self._update(user_id, step, None, actor=actor)

    async def release(self, user_id: UUID, actor: str) -> list[Transition]:
        """An explicit release of a Halted or Reducing user back to Active."""

        def step(row: repo.StateRow, profile: Profile) -> Change:
            state, changes = release(row.state)
            return state, changes, {}

        return await self._update(user_id, step, None, actor=actor)

    async def roll(self, user_id: UUID, now: datetime) -> list[Transition]:
        """Start the user's new day and lift a halt that has ended (the periodic sweep)."""

        def step(row: repo.StateRow, profile: Profile) -> Change:
            state, changes = roll_day(row.state, now, profile.zone)
            return state, changes, {}

        return await self._update(user_id, step, None)

    async def _update(
        self,
        user_id: UUID,
        step: Step,
        cause: Message | None,
        *,
        claim: Claim | None = None,
        actor: str = events.PRODUCER,
    ) -> list[Transition]:
        async with self._rt.outbox.transaction() as tx:
            if claim is not None and not await claim(tx.conn):
                return []
            row = await repo.lock(tx.conn, user_id)
            result = step(row, self._profiles.resolve(user_id, row.profile))
            if result is None:
                return []
            state, changes, columns = result
            if state != row.state or columns:
                await repo.save(tx.conn, user_id, state, **columns)
            for subject, message in events.transitions(user_id, changes, cause, actor):
                tx.emit(subject, message)
        return list(changes)
