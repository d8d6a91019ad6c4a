"""The order hot path: decide on one `OrderRequested` in one transaction, exactly once per order id."""

from __future__ import annotations

import logging
import time
from datetime import datetime
from decimal import Decimal
from typing import Protocol
from uuid import UUID

from tradeplane.contracts import OrderRequested, RejectCode, utcnow
from tradeplane.riskrules import (
    Approved,
    Decision,
    ProposedOrder,
    Rejected,
    RiskState,
    check_order,
    record_order,
    roll_day,
)

from . import events, metrics
from .adapters.decisions import DecisionStore, Outcome
from .market import Prices
from .profiles import Profile, Profiles

log = logging.getLogger(__name__)


def proposed(order: OrderRequested) -> ProposedOrder:
    """What the domain checks: a stop order's notional is judged at its stop price."""
    return ProposedOrder(
        order.user_id,
        order.account_id,
        order.symbol,
        order.side,
        order.quantity,
        order.price or order.stop_price,
    )


def no_reference_price(order: OrderRequested) -> Rejected:
    return Rejected(
        RejectCode.INVALID_ORDER,
        f"no market price known for {order.symbol} on {order.venue} yet; retry shortly or send a limit order",
    )


class Halts(Protocol):
    """Which kill switches are engaged (the `KillSwitch`)."""

    @property
    def global_engaged(self) -> bool: ...

    def user_engaged(self, user_id: UUID) -> bool: ...


class Equity(Protocol):
    """A user's equity when no PnL update told it (the `EquitySource`)."""

    async def of(self, user_id: UUID) -> Decimal | None: ...


class PreTrade:
    def __init__(
        self,
        store: DecisionStore,
        partitions: int,
        profiles: Profiles,
        halts: Halts,
        prices: Prices,
        equity: Equity,
    ) -> None:
        self._store = store
        self._profiles = profiles
        self._halts = halts
        self._prices = prices
        self._equity = equity
        self._partitions = partitions

    async def handle(self, order: OrderRequested) -> None:
        """Lock the user's state, decide, store the state and decision, and emit the outcome.

        An order already decided (a redelivery, or the same order id sent again) changes and emits
        nothing: its decision went out with the transaction that took it.
        """
        started = time.perf_counter()
        now = utcnow()
        async with self._store.transaction() as tx:
            row = await tx.lock(order.user_id, order.order_id)
            if row.decision is not None:
                log.debug("order already decided", extra={"order_id": str(order.order_id)})
                metrics.DUPLICATES.inc()
                return
            profile = self._profiles.resolve(order.user_id, row.profile)
            state, changes = roll_day(row.state, now, profile.zone)
            decision = await self._decide(order, profile, state, now)
            if isinstance(decision, Approved):
                state = record_order(state, now)
            changed = state if state != row.state else None
            for subject, message in events.transitions(order.user_id, changes, order):
                tx.emit(subject, message)
            tx.emit(*events.decision(order, decision, self._partitions))
            await tx.record_decision(order.order_id, order.user_id, _outcome(decision), changed)
        _count(decision, time.perf_counter() - started)

    async def _decide(
        self, order: OrderRequested, profile: Profile, state: RiskState, now: datetime
    ) -> Decision:
        halted_global = self._halts.global_engaged
        halted_user = self._halts.user_engaged(order.user_id)
        reference = self._prices.reference(order)
        if reference is None:
            if halted_global or halted_user:
                return Rejected(RejectCode.KILL_SWITCH, "trading is halted by the kill switch")
            return no_reference_price(order)
        return check_order(
            proposed(order),
            profile.limits,
            state,
            halted_global=halted_global,
            halted_user=halted_user,
            price=reference,
            equity=state.equity if state.equity is not None else await self._equity.of(order.user_id),
            now=now,
            tz=profile.zone,
        )


def _outcome(decision: Decision) -> Outcome:
    if isinstance(decision, Approved):
        return True, None, None
    return False, decision.code.value, decision.message[: events.REASON_MAX]


def _count(decision: Decision, seconds: float) -> None:
    metrics.DECISION_SECONDS.observe(seconds)
    if isinstance(decision, Approved):
        metrics.DECISIONS.labels("approved").inc()
    else:
        metrics.DECISIONS.labels("rejected").inc()
        metrics.REJECTIONS.labels(decision.code.value).inc()
