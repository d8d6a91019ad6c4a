"""Reconciliation when an account actor starts: where does each unfinished order stand at the venue?"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import TYPE_CHECKING

from tradeplane.contracts import OrderStatus, RejectCode, utcnow
from tradeplane.runtime import TransientError

from .adapters.paper_venue import PaperVenue
from .adapters.store import Unfinished
from .adapters.venue import VenueCallError, VenueOrderReport
from .outcomes import Outcome, apply_report, failed

if TYPE_CHECKING:
    from .session import AccountSession

log = logging.getLogger(__name__)

STALE_SENDING = timedelta(minutes=2)
"""A row left 'sending' this long and unknown to the venue was never sent, and its approval is no
longer being redelivered."""


class RetryLater(TransientError):
    """The venue's state is unknown (a call failed); the message is redelivered to try again."""


async def reconcile(session: AccountSession) -> None:
    """Load the account's unfinished orders, ask the venue about them, and record what changed."""
    assert session.account is not None
    unfinished = await session.deps.store.unfinished(session.account_id, session.account.venue)
    session.open = {u.tracked.ctx.order_id: u.tracked for u in unfinished if u.send_state != "sending"}
    try:
        outcomes = [o for u in unfinished if u.send_state == "sending" and (o := await _settle(session, u))]
        outcomes += await _current(session)
    except (RetryLater, VenueCallError):
        log.warning("reconciling with the venue failed; polling catches up", exc_info=True)
        return
    changed = [o for o in outcomes if o.events]
    if changed:
        await session.commit(changed)


async def _settle(session: AccountSession, sending: Unfinished) -> Outcome | None:
    """A send interrupted by a crash: the venue's answer, or a failure once nobody will resend it."""
    tracked = sending.tracked
    report = await session.lookup(tracked)
    if report is not None:
        return apply_report(tracked.ctx, tracked.record, report)
    if utcnow() - sending.created_at > STALE_SENDING:
        reason = "interrupted before reaching the venue"
        return failed(tracked.ctx, tracked.record, RejectCode.VENUE_ERROR, reason)
    return None  # the approval is redelivered and sent then


async def _current(session: AccountSession) -> list[Outcome]:
    venue = session.venue
    assert venue is not None
    if not isinstance(venue, PaperVenue):
        orders = [t.venue_order() for t in session.open.values()]
        return session.outcomes(await session.call("poll", venue.poll(orders))) if orders else []
    outcomes = []
    for tracked in list(session.open.values()):
        report = await venue.lookup(tracked.venue_order())
        if report is None:  # the engine's state commits with the rows, so this means a bug: close it
            report = VenueOrderReport(tracked.ctx.client_order_id, "", OrderStatus.CANCELLED)
        outcomes.append(apply_report(tracked.ctx, tracked.record, report, "lost by the paper venue"))
    return outcomes
