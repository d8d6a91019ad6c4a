"""Venue queries (balance) against fake venues: one slow account holds up no other, and answers in time."""

from __future__ import annotations

import asyncio
from decimal import Decimal
from typing import Any, cast
from uuid import UUID

import pytest
from tradeplane.contracts import Role
from tradeplane.contracts.queries import Caller, Query, QueryError
from tradeplane.execution.adapters.accounts import Account, AccountCache, Vault
from tradeplane.execution.market import LatestTickers
from tradeplane.execution.queries import VenueQueries

from .fakes import FakeVenue, account


class GatedVenue(FakeVenue):
    """Answers `balance` only once `gate` is set."""

    def __init__(self, gate: asyncio.Event, calls: list[str], name: str) -> None:
        super().__init__()
        self.gate, self.calls, self.label = gate, calls, name

    async def balance(self) -> dict[str, dict[str, Decimal]]:
        self.calls.append(f"{self.label} asked")
        await self.gate.wait()
        self.calls.append(f"{self.label} answered")
        return {"USDT": {"free": Decimal(1), "used": Decimal(0), "total": Decimal(1)}}


class Accounts:
    def __init__(self, *found: Account) -> None:
        self.found = {a.id: a for a in found}

    async def get(self, account_id: UUID) -> Account | None:
        return self.found.get(account_id)


class Setup:
    def __init__(self, *accounts: Account, timeout: float = 30) -> None:
        self.gates = {a.id: asyncio.Event() for a in accounts}
        self.calls: list[str] = []
        self.queries = VenueQueries(
            cast(Any, None),
            cast(AccountCache, Accounts(*accounts)),
            cast(Vault, None),
            LatestTickers(),
            lambda a: GatedVenue(self.gates[a.id], self.calls, a.label),
            timeout=timeout,
        )

    def balance(self, acct: Account) -> asyncio.Task[dict[str, dict[str, str]]]:
        query = Query(caller=Caller(user_id=acct.user_id, role=Role.TRADER), params={"id": str(acct.id)})
        return asyncio.create_task(self.queries.balance(query))


async def settle() -> None:
    for _ in range(20):
        await asyncio.sleep(0)


async def test_a_slow_accounts_balance_does_not_hold_up_another_accounts() -> None:
    slow, fast = account("kraken"), account("kraken")
    s = Setup(slow, fast)
    pending = s.balance(slow)
    await settle()

    s.gates[fast.id].set()
    answered = await asyncio.wait_for(s.balance(fast), 10)

    assert answered["USDT"]["total"] == "1"
    assert not pending.done()
    s.gates[slow.id].set()
    assert (await pending)["USDT"]["total"] == "1"


async def test_one_accounts_venue_calls_run_one_at_a_time() -> None:
    acct = account("kraken")
    s = Setup(acct)
    first, second = s.balance(acct), s.balance(acct)
    await settle()

    assert s.calls == [f"{acct.label} asked"]
    s.gates[acct.id].set()
    await asyncio.gather(first, second)
    assert s.calls == [f"{acct.label} {word}" for word in ("asked", "answered", "asked", "answered")]


async def test_a_venue_that_does_not_answer_in_time_is_reported_unavailable() -> None:
    acct = account("kraken")
    s = Setup(acct, timeout=0.05)

    with pytest.raises(QueryError) as refused:
        await s.balance(acct)

    error = refused.value.reply.error
    assert error is not None
    assert (error.code, error.status) == ("VENUE_UNAVAILABLE", 503)
