"""What booking a fill persists, as one small interface: the SQL + outbox implementation lives here, an
in-memory one in the unit tests. Each `transaction` is ONE database transaction with its events."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Protocol
from uuid import UUID

from tradeplane.contracts import Message, OrderFilled, PnlUpdated
from tradeplane.runtime import Outbox, Tx

from ..domain.stored import Applied
from ..domain.trades import ClosedTrade
from ..domain.valuation import UserFigures
from . import repo

if TYPE_CHECKING:
    from ..equity_figures import Curve


class BookingTx(Protocol):
    async def claim_fill(self, event: OrderFilled, fee_quote: Decimal | None) -> bool:
        """Record the fill; False when its account booked this fill id before (see `repo.claim_fill`)."""
        ...

    async def lock_position(
        self, user_id: UUID, account_id: UUID, symbol: str, venue: str
    ) -> dict[str, Any] | None:
        """The position's stored state, locked until the transaction ends (None for a new position)."""
        ...

    async def save_position(self, applied: Applied) -> None: ...

    async def insert_trade(self, trade: ClosedTrade, venue: str, closing_fill_id: str) -> None: ...

    async def report(
        self, user_id: UUID, account_id: UUID, now: datetime, cause: OrderFilled
    ) -> tuple[UserFigures, PnlUpdated]:
        """Record the equity of the user and of `account_id` as of `now`; the figures and the
        `PnlUpdated` that reports them."""
        ...

    def emit(self, subject: str, message: Message) -> None:
        """Publish `message` once the transaction commits."""
        ...


class BookingStore(Protocol):
    def transaction(self) -> AbstractAsyncContextManager[BookingTx]: ...


class SqlBookingStore:
    def __init__(self, outbox: Outbox, curve: Curve) -> None:
        self._outbox = outbox
        self._curve = curve

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[BookingTx]:
        async with self._outbox.transaction() as tx:
            yield _SqlBookingTx(tx, self._curve)


class _SqlBookingTx:
    def __init__(self, tx: Tx, curve: Curve) -> None:
        self._tx = tx
        self._conn = tx.conn
        self._curve = curve

    async def claim_fill(self, event: OrderFilled, fee_quote: Decimal | None) -> bool:
        return await repo.claim_fill(self._conn, event, fee_quote)

    async def lock_position(
        self, user_id: UUID, account_id: UUID, symbol: str, venue: str
    ) -> dict[str, Any] | None:
        return await repo.lock_position(self._conn, user_id, account_id, symbol, venue)

    async def save_position(self, applied: Applied) -> None:
        await repo.save_position(self._conn, applied)

    async def insert_trade(self, trade: ClosedTrade, venue: str, closing_fill_id: str) -> None:
        await repo.insert_trade(self._conn, trade, venue, closing_fill_id)

    async def report(
        self, user_id: UUID, account_id: UUID, now: datetime, cause: OrderFilled
    ) -> tuple[UserFigures, PnlUpdated]:
        curve, conn = self._curve, self._conn
        tz = await curve.timezone(conn, user_id)
        figures = await curve.snapshot(conn, user_id, now, tz, [account_id])
        return figures, await curve.pnl_updated(conn, user_id, figures, now, tz, cause=cause)

    def emit(self, subject: str, message: Message) -> None:
        self._tx.emit(subject, message)
