"""Fakes at order intake's outer seams: an order store with its rows and events in memory (a transaction's
writes land only when it commits), the venue accounts and execution's price query."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from types import SimpleNamespace
from typing import Any
from uuid import UUID, uuid4

from tradeplane.contracts import Message
from tradeplane.contracts.queries import Caller, Reply
from tradeplane.gateway.envelope import ApiError
from tradeplane.gateway.venues import Account
from tradeplane.runtime.testing import Emitted

BTC_USDT = {
    "symbol": "BTC/USDT",
    "tickSize": "0.01",
    "stepSize": "0.00001",
    "minAmount": "0.0001",
    "minNotional": "5",
}


@dataclass
class FakeOrders:
    rows: dict[UUID, SimpleNamespace] = field(default_factory=dict)
    committed: Emitted = field(default_factory=Emitted)

    def add(self, **values: Any) -> SimpleNamespace:
        row = SimpleNamespace(**values, created_at=datetime.now(UTC))
        self.rows[row.order_id] = row
        return row

    async def by_client_id(self, user_id: UUID, client_order_id: str) -> Any:
        return _by_client_id(self.rows.values(), user_id, client_order_id)

    async def insert_order(self, values: dict[str, Any], subject: str, event: Message) -> Any:
        """Committed on its own: the row and its event, or neither when the key is taken."""
        if _by_client_id(self.rows.values(), values["user_id"], values["client_order_id"]) is not None:
            return None
        row = self.add(**values)
        self.committed.emit(subject, event)
        return row

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[_FakeIntakeTx]:
        tx = _FakeIntakeTx(self)
        yield tx
        self.committed.events += tx.pending.events


def _by_client_id(rows: Any, user_id: UUID, client_order_id: str) -> Any:
    found = [r for r in rows if r.user_id == user_id and r.client_order_id == client_order_id]
    return found[0] if found else None


class _FakeIntakeTx:
    def __init__(self, store: FakeOrders) -> None:
        self._store = store
        self.pending = Emitted()

    async def by_id(self, user_id: UUID, order_id: UUID) -> Any:
        row = self._store.rows.get(order_id)
        return row if row is not None and row.user_id == user_id else None

    def emit(self, subject: str, message: Message) -> None:
        self.pending.emit(subject, message)


@dataclass
class FakeVenues:
    accounts: dict[UUID, Account] = field(default_factory=dict)

    def add(
        self, user_id: UUID, venue: str = "paper", markets: tuple[dict[str, str], ...] = (BTC_USDT,)
    ) -> Account:
        account = Account(uuid4(), user_id, venue, "Connected", markets)
        self.accounts[account.account_id] = account
        return account

    async def resolve(self, caller: Caller, venue_id: UUID) -> Account:
        account = self.accounts.get(venue_id)
        if account is None or account.user_id != caller.user_id:
            raise ApiError(404, "VENUE_NOT_FOUND", "no such venue account", field="venueId")
        return account


@dataclass
class FakeExecution:
    """Execution's `market.prices` answer: the last price per symbol."""

    prices: dict[str, str] = field(default_factory=dict)
    asked: list[tuple[str, str]] = field(default_factory=list)

    async def ask(
        self, caller: Caller, service: str, name: str, params: dict[str, Any] | None = None
    ) -> Reply:
        self.asked.append((service, name))
        return Reply.success([{"symbol": s, "price": p} for s, p in self.prices.items()])
