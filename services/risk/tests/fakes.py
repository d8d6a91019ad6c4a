"""Fakes at the risk service's outer seams: a decision store that keeps states, decisions and events in
memory (a transaction's writes land only when it commits), a kill switch and an equity source."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any
from uuid import UUID, uuid4

from tradeplane.contracts import Message, OrderRequested, OrderType, Side, new_meta
from tradeplane.risk.adapters.decisions import Outcome
from tradeplane.risk.adapters.repo import ProfileRow, StateRow, StoredDecision
from tradeplane.riskrules import RiskState
from tradeplane.runtime.testing import Emitted

USER = UUID("00000000-0000-4000-8000-00000000000a")
ACCOUNT = UUID("00000000-0000-4000-8000-00000000000b")


def order_request(
    quantity: str = "0.01",
    price: str | None = "50000",
    *,
    type: OrderType | None = None,
    stop_price: str | None = None,
    **more: Any,
) -> OrderRequested:
    """A BTC/USDT buy on the paper venue: a limit order at `price`, a market order when it is None."""
    return OrderRequested(
        meta=new_meta("gateway"),
        order_id=more.pop("order_id", None) or uuid4(),
        user_id=more.pop("user_id", USER),
        account_id=ACCOUNT,
        client_order_id="c-1",
        venue="paper",
        symbol="BTC/USDT",
        side=more.pop("side", Side.BUY),
        type=type or (OrderType.LIMIT if price is not None else OrderType.MARKET),
        quantity=Decimal(quantity),
        price=None if price is None else Decimal(price),
        stop_price=None if stop_price is None else Decimal(stop_price),
        **more,
    )


@dataclass
class FakeDecisions:
    states: dict[UUID, RiskState] = field(default_factory=dict)
    profiles: dict[UUID, ProfileRow] = field(default_factory=dict)
    decisions: dict[UUID, Outcome] = field(default_factory=dict)
    committed: Emitted = field(default_factory=Emitted)
    commits: int = 0

    def limit(self, user_id: UUID, **limits: Any) -> None:
        """Store a profile with these limits (the rest default)."""
        self.profiles[user_id] = ProfileRow(limits, "UTC", datetime.now(UTC))

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[_FakeDecisionTx]:
        tx = _FakeDecisionTx(self)
        yield tx
        self.states.update(tx.states)
        self.decisions.update(tx.decisions)
        self.committed.events += tx.pending.events
        self.commits += 1


class _FakeDecisionTx:
    def __init__(self, store: FakeDecisions) -> None:
        self._store = store
        self.states: dict[UUID, RiskState] = {}
        self.decisions: dict[UUID, Outcome] = {}
        self.pending = Emitted()

    async def lock(self, user_id: UUID, order_id: UUID) -> StateRow:
        state = self._store.states.get(user_id, RiskState())
        taken = self._store.decisions.get(order_id)
        decision = None if taken is None else StoredDecision(*taken)
        profile = self._store.profiles.get(user_id)
        return StateRow(state, Decimal(0), state.equity, None, profile, decision)

    async def record_decision(
        self, order_id: UUID, user_id: UUID, outcome: Outcome, state: RiskState | None
    ) -> None:
        self.decisions[order_id] = outcome
        if state is not None:
            self.states[user_id] = state

    def emit(self, subject: str, message: Message) -> None:
        self.pending.emit(subject, message)


@dataclass
class FakeHalts:
    engaged_global: bool = False
    users: set[UUID] = field(default_factory=set)

    @property
    def global_engaged(self) -> bool:
        return self.engaged_global

    def user_engaged(self, user_id: UUID) -> bool:
        return user_id in self.users


@dataclass
class FakeEquity:
    equity: Decimal | None = Decimal(10_000)
    asked: list[UUID] = field(default_factory=list)

    async def of(self, user_id: UUID) -> Decimal | None:
        self.asked.append(user_id)
        return self.equity
