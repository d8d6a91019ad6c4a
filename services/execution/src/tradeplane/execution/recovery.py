"""Reconciliation when an account actor starts: where does each unfinished order stand at the venue?"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Sequence
from datetime import timedelta
from typing import Protocol, TypeVar
from uuid import UUID

from tradeplane.contracts import OrderStatus, RejectCode, utcnow
from tradeplane.runtime import TransientError

from .adapters.accounts import Account
from .adapters.paper_venue import PaperVenue
from .adapters.store import Store, Unfinished
from .adapters.venue import Venue, VenueCallError, VenueOrderReport
from .domain.order_state import SendState
from .outcomes import Outcome, TrackedOrder, apply_report, failed

log = logging.getLogger(__name__)

STALE_SENDING = timedelta(minutes=2)
"""A row left 'sending' this long and unknown to the venue was never sent, and its approval is no
longer being redelivered."""


T = TypeVar("T")


class RetryLater(TransientError):
    """The venue's state is unknown (a call failed); the message is redelivered to try again."""


class Reconciling(Protocol):
    """What reconciling needs of an account actor (`account_actor.AccountActor`)."""

    account_id: UUID
    account: Account | None
    venue: Venue | None
    open: dict[UUID, TrackedOrder]

    async def commit(self, outcomes: Sequence[Outcome], *, venue_ok: bool = False) -> None: ...

    async def lookup(self, tracked: TrackedOrder) -> VenueOrderReport | None: ...

    async def call(self, name: str, call: Awaitable[T]) -> T: ...

    def outcomes(self, reports: Sequence[VenueOrderReport]) -> list[Outcome]: ...


async def reconcile(actor: Reconciling, store: Store) -> None:
    """Load the account's unfinished orders, ask the venue about them, and record what changed."""
    assert actor.account is not None
    unfinished = await store.unfinished(actor.account_id, actor.account.venue)
    actor.open = {u.tracked.ctx.order_id: u.tracked for u in unfinished if u.send_state != SendState.SENDING}
    try:
        outcomes = [
            o for u in unfinished if u.send_state == SendState.SENDING and (o := await _settle(actor, u))
        ]
        outcomes += await _current(actor)
    except (RetryLater, VenueCallError):
        log.warning("reconciling with the venue failed; polling catches up", exc_info=True)
        return
    changed = [o for o in outcomes if o.events]
    if changed:
        await actor.commit(changed)


async def _settle(actor: Reconciling, sending: Unfinished) -> Outcome | None:
    """A send interrupted by a crash: the venue's answer, or a failure once nobody will resend it."""
    tracked = sending.tracked
    report = await actor.lookup(tracked)
    if report is not None:
        return apply_report(tracked.ctx, tracked.record, report)
    if utcnow() - sending.created_at > STALE_SENDING:
        reason = "interrupted before reaching the venue"
        return failed(tracked.ctx, tracked.record, RejectCode.VENUE_ERROR, reason)
    return None  # the approval is redelivered and sent then


async def _current(actor: Reconciling) -> list[Outcome]:
    venue = actor.venue
    assert venue is not None
    if not isinstance(venue, PaperVenue):
        orders = [t.venue_order() for t in actor.open.values()]
        return actor.outcomes(await actor.call("poll", venue.poll(orders))) if orders else []
    outcomes = []
    for tracked in list(actor.open.values()):
        report = await venue.lookup(tracked.venue_order())
        if report is None:  # the engine's state commits with the rows, so this means a bug: close it
            report = VenueOrderReport(tracked.ctx.client_order_id, "", OrderStatus.CANCELLED)
        outcomes.append(apply_report(tracked.ctx, tracked.record, report, "lost by the paper venue"))
    return outcomes
