"""Fakes at the PnL service's outer seams: a booking store that keeps fills, positions, trades and events
in memory (a transaction's writes land only when it commits), and the accounts it has seen."""

from __future__ import annotations

import itertools
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any
from uuid import UUID

from tradeplane.contracts import LiquiditySide, Message, OrderFilled, PnlUpdated, Side, new_meta
from tradeplane.pnl.domain.marks import Marks
from tradeplane.pnl.domain.stored import Applied
from tradeplane.pnl.domain.trades import ClosedTrade
from tradeplane.pnl.domain.valuation import Holding, UserFigures, user_figures
from tradeplane.pnl.equity_figures import pnl_report
from tradeplane.runtime.testing import Emitted

from .conftest import ACCOUNT, ORDER, T0, USER

PositionKey = tuple[UUID, UUID, str]
_fills = itertools.count(1)


def order_filled(side: str, quantity: str, price: str, fee: str = "0", **more: Any) -> OrderFilled:
    """A BTC/USD fill on the paper venue; fill ids and times count up unless given."""
    n = next(_fills)
    return OrderFilled(
        meta=new_meta("execution"),
        order_id=ORDER,
        user_id=USER,
        account_id=ACCOUNT,
        fill_id=more.pop("fill_id", f"fill-{n}"),
        venue="paper",
        symbol="BTC/USD",
        side=Side.BUY if side == "buy" else Side.SELL,
        quantity=Decimal(quantity),
        price=Decimal(price),
        fee=Decimal(fee),
        fee_currency=more.pop("fee_currency", "USD"),
        liquidity=LiquiditySide.TAKER,
        filled_quantity=Decimal(quantity),
        order_quantity=Decimal(quantity),
        filled_at=more.pop("filled_at", T0 + timedelta(minutes=n)),
        **more,
    )


@dataclass
class FakeBooks:
    marks: Marks
    fills: dict[tuple[UUID, str], Decimal | None] = field(default_factory=dict)
    """(account, fill id) -> the fee in quote currency (None: not convertible)."""
    positions: dict[PositionKey, tuple[str, Applied]] = field(default_factory=dict)
    """(user, account, symbol) -> the venue and the last booking."""
    trades: list[tuple[ClosedTrade, str, str]] = field(default_factory=list)
    """(trade, venue, closing fill id)."""
    baselines: dict[UUID, dict[UUID, Decimal | None]] = field(default_factory=dict)
    snapshots: list[tuple[UUID, datetime, Decimal]] = field(default_factory=list)
    """(user, at, total equity)."""
    committed: Emitted = field(default_factory=Emitted)

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[_FakeBookingTx]:
        tx = _FakeBookingTx(self)
        yield tx
        self.fills.update(tx.fills)
        self.positions.update(tx.positions)
        self.trades += tx.trades
        self.snapshots += tx.snapshots
        self.committed.events += tx.pending.events


class _FakeBookingTx:
    def __init__(self, books: FakeBooks) -> None:
        self._books = books
        self.fills: dict[tuple[UUID, str], Decimal | None] = {}
        self.positions: dict[PositionKey, tuple[str, Applied]] = {}
        self.trades: list[tuple[ClosedTrade, str, str]] = []
        self.snapshots: list[tuple[UUID, datetime, Decimal]] = []
        self.pending = Emitted()
        self._venues: dict[PositionKey, str] = {}

    async def claim_fill(self, event: OrderFilled, fee_quote: Decimal | None) -> bool:
        key = (event.account_id, event.fill_id)
        if key in self._books.fills or key in self.fills:
            return False
        self.fills[key] = fee_quote
        return True

    async def lock_position(
        self, user_id: UUID, account_id: UUID, symbol: str, venue: str
    ) -> dict[str, Any] | None:
        key = (user_id, account_id, symbol)
        self._venues[key] = venue
        held = self._books.positions.get(key)
        return None if held is None else held[1].state

    async def save_position(self, applied: Applied) -> None:
        p = applied.position
        key = (p.user_id, p.account_id, p.symbol)
        self.positions[key] = (self._venues[key], applied)

    async def insert_trade(self, trade: ClosedTrade, venue: str, closing_fill_id: str) -> None:
        self.trades.append((trade, venue, closing_fill_id))

    async def report(
        self, user_id: UUID, account_id: UUID, now: datetime, cause: OrderFilled
    ) -> tuple[UserFigures, PnlUpdated]:
        """The figures at the marks; no snapshot before today, so the day's and week's PnL count from
        the baseline."""
        books = self._books
        held = {**{k: v for k, v in books.positions.items() if k[0] == user_id}, **self.positions}
        holdings = [Holding(venue, a.position, a.opened_at) for venue, a in held.values()]
        figures = user_figures(books.baselines.get(user_id, {}), holdings, books.marks)
        total = figures.total
        self.snapshots.append((user_id, now, total.equity))
        since = total.equity - total.baseline
        return figures, pnl_report(user_id, figures, since, since, cause)

    def emit(self, subject: str, message: Message) -> None:
        self.pending.emit(subject, message)


@dataclass
class FakeAccounts:
    ensured: list[tuple[UUID, UUID, str]] = field(default_factory=list)

    async def ensure(self, user_id: UUID, account_id: UUID, venue: str) -> None:
        if (user_id, account_id, venue) not in self.ensured:
            self.ensured.append((user_id, account_id, venue))
