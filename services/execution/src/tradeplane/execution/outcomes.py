"""What a venue's answer means for one order: the new record, the new fills and the events to publish."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

from tradeplane.contracts import (
    Message,
    Meta,
    OrderAccepted,
    OrderApproved,
    OrderCanceled,
    OrderFailed,
    OrderFilled,
    OrderRejected,
    OrderStatus,
    OrderType,
    RejectCode,
    Side,
    VenueError,
    VenueErrorCategory,
    VenueSucceeded,
    subjects,
    utcnow,
)

from .adapters.venue import VenueFillReport, VenueOrder, VenueOrderReport, client_order_id_for
from .domain.order_state import (
    OrderRecord,
    OrderStateError,
    SendState,
    apply_accept,
    apply_cancel,
    apply_fill,
    apply_reject,
)

log = logging.getLogger(__name__)

PRODUCER = "execution"
_instance_producer = PRODUCER


def name_instance(executor_id: str) -> None:
    """Sign this process's order events `execution:<executor id>`, so each shows which executor ran it."""
    global _instance_producer
    _instance_producer = f"{PRODUCER}:{executor_id}"[:64]


@dataclass(frozen=True, slots=True)
class OrderContext:
    """The fixed facts of one order: who, where, what, and the flow it belongs to."""

    order_id: UUID
    user_id: UUID
    account_id: UUID
    venue: str
    symbol: str
    side: Side
    type: OrderType
    quantity: Decimal
    price: Decimal | None
    stop_price: Decimal | None
    partition: int
    correlation_id: UUID | None = None
    causation_id: UUID | None = None

    @property
    def client_order_id(self) -> str:
        return client_order_id_for(self.order_id)

    @classmethod
    def of(cls, msg: OrderApproved, partition: int) -> OrderContext:
        return cls(
            order_id=msg.order_id,
            user_id=msg.user_id,
            account_id=msg.account_id,
            venue=msg.venue,
            symbol=msg.symbol,
            side=msg.side,
            type=msg.type,
            quantity=msg.quantity,
            price=msg.price,
            stop_price=msg.stop_price,
            partition=partition,
            correlation_id=msg.meta.correlation_id or msg.meta.event_id,
            causation_id=msg.meta.event_id,
        )

    def meta(self) -> Meta:
        return Meta(
            producer=_instance_producer, correlation_id=self.correlation_id, causation_id=self.causation_id
        )

    def about(self) -> dict[str, Any]:
        """What every event about the order starts with: its meta (the approval as cause) and its ids."""
        return {
            "meta": self.meta(),
            "order_id": self.order_id,
            "user_id": self.user_id,
            "account_id": self.account_id,
        }


@dataclass(slots=True)
class TrackedOrder:
    """An order this executor has sent and not yet seen finish."""

    ctx: OrderContext
    record: OrderRecord

    def venue_order(self) -> VenueOrder:
        return VenueOrder(
            order_id=self.ctx.order_id,
            client_order_id=self.ctx.client_order_id,
            symbol=self.ctx.symbol,
            side=self.ctx.side,
            type=self.ctx.type,
            quantity=self.ctx.quantity,
            price=self.ctx.price,
            stop_price=self.ctx.stop_price,
            venue_order_id=self.record.venue_order_id,
            filled_quantity=self.record.filled_quantity,
            fill_ids=self.record.fill_ids,
        )


Event = tuple[str, Message]


@dataclass(frozen=True, slots=True)
class Outcome:
    ctx: OrderContext
    record: OrderRecord
    fills: tuple[VenueFillReport, ...] = ()
    events: tuple[Event, ...] = field(default=())

    @property
    def send_state(self) -> SendState:
        return SendState.DONE if self.record.status.is_terminal else SendState.SENT


def new_record(ctx: OrderContext) -> OrderRecord:
    return OrderRecord(order_id=str(ctx.order_id), quantity=ctx.quantity)


def rejected(ctx: OrderContext, record: OrderRecord, code: RejectCode, reason: str) -> Outcome:
    """Refused before or by the venue: the order never rests anywhere."""
    return _closed(ctx, record, OrderRejected, subjects.order_rejected, code, reason)


def failed(ctx: OrderContext, record: OrderRecord, code: RejectCode, reason: str) -> Outcome:
    """The venue call errored and will not be retried; the order is closed as rejected."""
    return _closed(ctx, record, OrderFailed, subjects.order_failed, code, reason)


def _closed(
    ctx: OrderContext,
    record: OrderRecord,
    kind: type[OrderRejected | OrderFailed],
    subject: Callable[[int, UUID], str],
    code: RejectCode,
    reason: str,
) -> Outcome:
    """The order closed as rejected, told by a `kind` event on its `subject`."""
    reason = reason[:500]
    event = kind(
        **ctx.about(),
        code=code,
        reason=reason,
    )
    record = apply_reject(record, reason)
    return Outcome(ctx, record, events=((subject(ctx.partition, ctx.user_id), event),))


def canceled(ctx: OrderContext, record: OrderRecord, reason: str) -> Outcome:
    record = apply_cancel(record, reason[:500])
    return Outcome(ctx, record, events=(_canceled_event(ctx, record),))


def apply_report(
    ctx: OrderContext, record: OrderRecord, report: VenueOrderReport, reason: str = ""
) -> Outcome:
    """Fold a venue report into the record: accept, new fills (deduplicated by fill id), then the end."""
    if report.status is OrderStatus.REJECTED and record.status is OrderStatus.PENDING:
        return rejected(ctx, record, report.reject_code or RejectCode.VENUE_ERROR, report.reason or reason)
    events: list[Event] = []
    if record.status is OrderStatus.PENDING:
        record = apply_accept(record, report.venue_order_id)
        events.append(_accepted_event(ctx, report.venue_order_id))
    fills = []
    for fill in report.fills:
        if fill.fill_id in record.fill_ids:
            continue
        try:
            record = apply_fill(record, fill.fill_id, fill.quantity, fill.price, fill.fee)
        except OrderStateError:
            log.error("venue reported an impossible fill", exc_info=True, extra={"order_id": ctx.order_id})
            continue
        fills.append(fill)
        events.append(_filled_event(ctx, record, fill))
    ends = report.status in (OrderStatus.CANCELLED, OrderStatus.REJECTED)
    if ends and not record.status.is_terminal:
        record = apply_cancel(record, (reason or report.reason)[:500])
        events.append(_canceled_event(ctx, record))
    return Outcome(ctx, record, tuple(fills), tuple(events))


def _accepted_event(ctx: OrderContext, venue_order_id: str) -> Event:
    event = OrderAccepted(
        **ctx.about(),
        venue_order_id=venue_order_id,
        accepted_at=utcnow(),
    )
    return subjects.order_accepted(ctx.partition, ctx.user_id), event


def _filled_event(ctx: OrderContext, record: OrderRecord, fill: VenueFillReport) -> Event:
    event = OrderFilled(
        **ctx.about(),
        fill_id=fill.fill_id,
        venue=ctx.venue,
        symbol=ctx.symbol,
        side=ctx.side,
        quantity=fill.quantity,
        price=fill.price,
        fee=fill.fee,
        fee_currency=fill.fee_currency,
        liquidity=fill.liquidity,
        filled_quantity=record.filled_quantity,
        order_quantity=ctx.quantity,
        filled_at=_aware(fill.at),
    )
    return subjects.order_filled(ctx.partition, ctx.user_id), event


def _canceled_event(ctx: OrderContext, record: OrderRecord) -> Event:
    event = OrderCanceled(
        **ctx.about(),
        reason=record.reason,
        filled_quantity=record.filled_quantity,
    )
    return subjects.order_canceled(ctx.partition, ctx.user_id), event


def _aware(at: datetime) -> datetime:
    return at if at.tzinfo is not None else at.replace(tzinfo=utcnow().tzinfo)


def venue_error(
    user_id: UUID,
    account_id: UUID,
    venue: str,
    partition: int,
    category: VenueErrorCategory,
    message: str,
    ctx: OrderContext | None = None,
) -> Event:
    """Risk counts these per user to auto-disable an account that keeps failing."""
    event = VenueError(
        meta=ctx.meta() if ctx is not None else Meta(producer=_instance_producer),
        user_id=user_id,
        account_id=account_id,
        venue=venue,
        category=category,
        message=message[:1000],
        order_id=None if ctx is None else ctx.order_id,
    )
    return subjects.venue_error(partition, user_id), event


def venue_succeeded(user_id: UUID, account_id: UUID, partition: int) -> Event:
    """A call went through after errors: risk resets the user's consecutive error count."""
    event = VenueSucceeded(meta=Meta(producer=_instance_producer), user_id=user_id, account_id=account_id)
    return subjects.venue_ok(partition, user_id), event
