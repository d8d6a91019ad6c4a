"""Booking one fill: claim its id, lock and update the position, store the trade, record equity, emit.

All of it is one transaction with the outbox, so a crash or a redelivery books a fill exactly once:
the `fills` row (unique per account and fill id) is the idempotency key, and the position row is
locked (`SELECT ... FOR UPDATE`) so replicas and concurrent workers serialize per position.
"""

from __future__ import annotations

import logging
from decimal import Decimal
from typing import Protocol
from uuid import NAMESPACE_URL, UUID, uuid5

from tradeplane.contracts import FillBooked, OrderFilled, PositionChanged, TradeClosed, subjects, utcnow

from . import metrics
from .adapters.booking_store import BookingStore, BookingTx
from .domain.fills import Fill
from .domain.marks import Marks
from .domain.stored import Applied, apply_fill, bookable
from .domain.trades import ClosedTrade
from .domain.valuation import Holding, value
from .equity_figures import PRODUCER

log = logging.getLogger(__name__)
_POSITION_NAMESPACE = uuid5(NAMESPACE_URL, "tradeplane:pnl:position")


def position_id(user_id: UUID, account_id: UUID, symbol: str) -> UUID:
    """A stable id for the API: one per (user, account, symbol)."""
    return uuid5(_POSITION_NAMESPACE, f"{user_id}:{account_id}:{symbol}")


class KnownAccounts(Protocol):
    async def ensure(self, user_id: UUID, account_id: UUID, venue: str) -> None:
        """Make sure the account is recorded (see `Accounts.ensure`)."""
        ...


class Booker:
    def __init__(self, store: BookingStore, marks: Marks, accounts: KnownAccounts) -> None:
        self.store = store
        self.marks = marks
        self.accounts = accounts
        self.last_unrealized: dict[UUID, Decimal] = {}
        """Each user's unrealized PnL as last reported, so price updates report only a move."""

    async def book(self, event: OrderFilled) -> bool:
        """Book the fill; False when it was booked before (nothing changes, nothing is published)."""
        marks = self.marks
        marks.update(event.venue, event.symbol, event.price, event.filled_at)
        fill, fee_quote = bookable(Fill.from_event(event), marks.rates)
        if fee_quote is None:
            log.warning(
                "no rate converts a fill's fee to the quote currency; booked without the fee",
                extra={"fill_id": event.fill_id, "fee_currency": event.fee_currency},
            )
        await self.accounts.ensure(event.user_id, event.account_id, event.venue)
        async with self.store.transaction() as tx:
            if not await tx.claim_fill(event, fee_quote):
                metrics.FILLS_DUPLICATE.inc()
                return False
            state = await tx.lock_position(event.user_id, event.account_id, event.symbol, event.venue)
            applied = apply_fill(state, fill, marks.rates)
            await tx.save_position(applied)
            trade = applied.result.trade
            if trade is not None:
                await tx.insert_trade(trade, event.venue, event.fill_id)
            await self._publish(tx, event, applied, trade)
        metrics.FILLS_BOOKED.inc()
        if trade is not None:
            metrics.TRADES_CLOSED.inc()
        return True

    async def _publish(
        self, tx: BookingTx, event: OrderFilled, applied: Applied, trade: ClosedTrade | None
    ) -> None:
        figures, pnl_updated = await tx.report(event.user_id, event.account_id, utcnow(), event)
        position = applied.position
        unrealized = value(Holding(event.venue, position), self.marks).unrealized
        tx.emit(
            subjects.position_changed(event.user_id),
            event.caused(
                PositionChanged,
                PRODUCER,
                user_id=event.user_id,
                account_id=event.account_id,
                symbol=event.symbol,
                quantity=position.quantity,
                average_entry=position.average_entry,
                realized_pnl=position.realized_pnl,
                unrealized_pnl=unrealized,
            ),
        )
        if trade is not None:
            tx.emit(subjects.trade_closed(event.user_id), trade_closed(event, trade))
        tx.emit(subjects.fill_booked(event.user_id), fill_booked(event, applied, trade))
        tx.emit(subjects.pnl_updated(event.user_id), pnl_updated)
        self.last_unrealized[event.user_id] = figures.total.unrealized


def trade_closed(cause: OrderFilled, trade: ClosedTrade) -> TradeClosed:
    event: TradeClosed = cause.caused(TradeClosed, PRODUCER, **trade.as_dict())
    return event


def fill_booked(cause: OrderFilled, applied: Applied, trade: ClosedTrade | None) -> FillBooked:
    effect = applied.effect
    event: FillBooked = cause.caused(
        FillBooked,
        PRODUCER,
        fill=cause,
        opened_quantity=effect.opened,
        closed_quantity=effect.closed,
        position_quantity=applied.position.quantity,
        pnl_usd=effect.pnl_usd,
        pnl_pct=effect.pnl_pct,
        trade_id=trade.trade_id if trade is not None else None,
    )
    return event
