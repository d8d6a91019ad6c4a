"""Bus consumers: the platform events that raise alerts and violations, the order flow watched for
crossing pairs and cancel bursts, and the fills the reconciliation books follow."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any
from uuid import UUID

from faststream.nats import NatsRouter
from tradeplane.contracts import (
    AuditRecorded,
    HaltEngaged,
    HaltReleased,
    OrderCanceled,
    OrderFailed,
    OrderFilled,
    OrderRejected,
    OrderRequested,
    OrderType,
    RiskStateChanged,
    UserDisabled,
    VenueError,
    streams,
    subjects,
)
from tradeplane.contracts.bots import BotStatusChanged
from tradeplane.runtime import Outbox, Runtime, Subscription, subscribe
from tradeplane.runtime.inbox import Inbox

from . import domain, store
from .config import Settings
from .domain import Finding, WatchedOrder

log = logging.getLogger(__name__)
SERVICE = "compliance"
LOGIN_LOCKED = "auth.login.locked"
"""The gateway's audit action for an account locked after failed sign-ins: a Security alert."""
ENDPOINT_DISABLED = "webhook.endpoint.disabled"
"""The notifier's audit action for a webhook endpoint it switched off after failures: a System alert."""


Outcome = OrderFilled | OrderCanceled | OrderFailed | OrderRejected


@dataclass(frozen=True)
class Handlers:
    outbox: Outbox
    inbox: Inbox
    wash_window: timedelta
    burst: int
    burst_window: timedelta

    async def findings(self, consumer: str, event_id: UUID, found: tuple[Finding, ...]) -> None:
        """Record what an event raised, once per consumer and event."""
        if not found:
            return
        async with self.outbox.transaction() as tx:
            if await self.inbox.claim(tx.conn, consumer, event_id):
                await store.record(tx, found)

    async def requested(self, event: OrderRequested) -> None:
        order = WatchedOrder(
            event.order_id,
            event.account_id,
            event.bot_id,
            event.side,
            None if event.type in (OrderType.MARKET, OrderType.STOP) else event.price,
        )
        at = event.meta.occurred_at
        async with self.outbox.transaction() as tx:
            await store.lock_user(tx.conn, event.user_id)
            others = await store.watch(tx.conn, event.user_id, event.symbol, order, at, self.wash_window)
            if others is None:  # its request was seen before
                return
            crossing = [o for o in others if domain.crosses(order, o)]
            await store.record(
                tx, [domain.wash_trade(event.user_id, event.symbol, order, o) for o in crossing]
            )

    async def closed(
        self, event: OrderFilled | OrderCanceled | OrderFailed | OrderRejected, as_: str
    ) -> None:
        at, user_id = event.meta.occurred_at, event.user_id
        async with self.outbox.transaction() as tx:
            await store.lock_user(tx.conn, user_id)
            since = at - self.burst_window if as_ == store.CANCELED else None
            count = await store.close_order(
                tx.conn, event.order_id, user_id, event.account_id, as_, at, since
            )
            if count is None or as_ != store.CANCELED:
                return
            window = self.burst_window.total_seconds()
            if count >= self.burst:
                bucket = int(at.timestamp() // window)
                await store.record(tx, [domain.cancel_burst(user_id, count, window, bucket)])

    async def filled(self, event: OrderFilled) -> None:
        async with self.outbox.transaction() as tx:
            await store.book_fill(
                tx.conn,
                event.account_id,
                event.fill_id,
                event.user_id,
                event.filled_at,
                domain.fill_deltas(event),
            )
        if event.filled_quantity >= event.order_quantity:
            await self.closed(event, "filled")

    async def canceled(self, event: OrderCanceled) -> None:
        await self.closed(event, "canceled")

    async def failed(self, event: OrderFailed) -> None:
        await self.closed(event, "failed")

    async def rejected(self, event: OrderRejected) -> None:
        await self.closed(event, "rejected")
        await self.findings("compliance-order-rejected", event.meta.event_id, domain.order_rejected(event))

    async def audit(self, event: AuditRecorded) -> None:
        rule = AUDIT_RULES.get(event.action)
        if rule is None:
            return
        user_id = _user_of(event)
        if user_id is None:
            log.info("an audited action names no user; no alert", extra={"action": event.action})
            return
        await self.findings("compliance-audit", event.meta.event_id, rule(event, user_id))


AUDIT_RULES: dict[str, Callable[[AuditRecorded, UUID], tuple[Finding, ...]]] = {
    LOGIN_LOCKED: lambda e, user_id: domain.login_locked(e.meta.event_id, user_id, e.target),
    ENDPOINT_DISABLED: lambda e, user_id: domain.endpoint_disabled(e.meta.event_id, user_id, e.reason),
}


def _user_of(event: AuditRecorded) -> UUID | None:
    for raw in (event.details.get("user_id"), event.details.get("userId"), event.target):
        try:
            return UUID(str(raw))
        except ValueError:
            continue
    return None


def _simple(
    h: Handlers, durable: str, rule: Callable[[Any], tuple[Finding, ...]]
) -> Callable[[Any], Awaitable[None]]:
    async def handle(event: Any) -> None:
        await h.findings(durable, event.meta.event_id, rule(event))

    return handle


ALL_BOT_STATUS = f"{subjects.PREFIX}.bot.status.>"


def subscriptions(h: Handlers) -> tuple[Subscription[Any], ...]:
    def row(model: type[Any], subject: str, stream: streams.StreamSpec, durable: str, fn: Any) -> Any:
        return Subscription(model, subject, stream, durable, fn, max_workers=4)

    return (
        row(RiskStateChanged, subjects.ALL_RISK_STATE, streams.RISK, "compliance-risk-state",
            _simple(h, "compliance-risk-state", domain.risk_state)),
        row(HaltEngaged, subjects.ALL_HALTS_ENGAGED, streams.HALTS, "compliance-halt-engaged",
            _simple(h, "compliance-halt-engaged", domain.halt)),
        row(HaltReleased, subjects.ALL_HALTS_RELEASED, streams.HALTS, "compliance-halt-released",
            _simple(h, "compliance-halt-released", domain.halt)),
        row(UserDisabled, subjects.ALL_USER_DISABLED, streams.VENUE, "compliance-user-disabled",
            _simple(h, "compliance-user-disabled", domain.user_disabled)),
        row(VenueError, subjects.ALL_VENUE_ERRORS, streams.VENUE, "compliance-venue-error",
            _simple(h, "compliance-venue-error", domain.venue_error)),
        row(BotStatusChanged, ALL_BOT_STATUS, streams.BOTS, "compliance-bot-status",
            _simple(h, "compliance-bot-status", domain.bot_status)),
        # Only the audits that raise alerts, each from the one service that may publish it (the subject
        # names the publisher; NATS lets no other service publish there).
        row(AuditRecorded, subjects.audit("gateway", LOGIN_LOCKED), streams.AUDIT,
            "compliance-audit-gateway", h.audit),
        row(AuditRecorded, subjects.audit("notifier", ENDPOINT_DISABLED), streams.AUDIT,
            "compliance-audit-notifier", h.audit),
        row(OrderRequested, subjects.ALL_ORDER_REQUESTED, streams.ORDERS, "compliance-order-requested",
            h.requested),
        row(OrderRejected, subjects.ALL_ORDER_REJECTED, streams.ORDERS, "compliance-order-rejected",
            h.rejected),
        row(OrderFilled, subjects.ALL_FILLS, streams.ORDERS, "compliance-fills", h.filled),
        row(OrderCanceled, subjects.ALL_ORDER_CANCELED, streams.ORDERS, "compliance-order-canceled",
            h.canceled),
        row(OrderFailed, subjects.ALL_ORDER_FAILED, streams.ORDERS, "compliance-order-failed", h.failed),
    )  # fmt: skip


def build_handlers(rt: Runtime, settings: Settings) -> Handlers:
    return Handlers(
        rt.outbox,
        rt.inbox,
        timedelta(seconds=settings.compliance_wash_window_seconds),
        settings.compliance_cancel_burst,
        timedelta(seconds=settings.compliance_cancel_burst_seconds),
    )


def router(rt: Runtime, handlers: Handlers) -> NatsRouter:
    return subscribe(lambda: rt.broker, SERVICE, subscriptions(handlers))
