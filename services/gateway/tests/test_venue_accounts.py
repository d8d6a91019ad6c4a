"""Order intake's cache of execution's `venues.resolve` answers."""

from __future__ import annotations

import uuid
from typing import Any
from uuid import UUID

import pytest
from tradeplane.contracts import Role
from tradeplane.contracts.queries import Caller, Reply
from tradeplane.gateway.envelope import ApiError
from tradeplane.gateway.venues import VenueAccounts


class FakeExecution:
    def __init__(self, owner: UUID, reply: Reply | None = None) -> None:
        self.owner = owner
        self.reply = reply
        self.asked = 0

    async def __call__(self, caller: Caller, service: str, name: str, params: dict[str, Any]) -> Reply:
        self.asked += 1
        if self.reply is not None:
            return self.reply
        data = {"account_id": params["id"], "user_id": str(self.owner), "venue": "paper", "markets": []}
        return Reply.success(data)


def caller(user_id: UUID) -> Caller:
    return Caller(user_id=user_id, role=Role.TRADER)


async def test_account_is_asked_once_within_the_cache_lifetime() -> None:
    user, venue = uuid.uuid4(), uuid.uuid4()
    execution = FakeExecution(user)
    accounts = VenueAccounts(execution, ttl_seconds=30)

    first = await accounts.resolve(caller(user), venue)
    second = await accounts.resolve(caller(user), venue)

    assert (first, execution.asked) == (second, 1)


async def test_forgotten_account_is_asked_again() -> None:
    user, venue = uuid.uuid4(), uuid.uuid4()
    execution = FakeExecution(user)
    accounts = VenueAccounts(execution, ttl_seconds=30)
    await accounts.resolve(caller(user), venue)

    accounts.forget(user, venue)
    await accounts.resolve(caller(user), venue)

    assert execution.asked == 2


async def test_another_users_account_is_not_found() -> None:
    accounts = VenueAccounts(FakeExecution(owner=uuid.uuid4()), ttl_seconds=30)

    with pytest.raises(ApiError) as err:
        await accounts.resolve(caller(uuid.uuid4()), uuid.uuid4())

    assert (err.value.status, err.value.code) == (404, "VENUE_NOT_FOUND")


async def test_execution_404_is_venue_not_found() -> None:
    reply = Reply.failure("VENUE_NOT_FOUND", "no such venue account", 404)
    accounts = VenueAccounts(FakeExecution(uuid.uuid4(), reply), ttl_seconds=30)

    with pytest.raises(ApiError) as err:
        await accounts.resolve(caller(uuid.uuid4()), uuid.uuid4())

    assert err.value.code == "VENUE_NOT_FOUND"


async def test_unavailable_execution_is_a_503_and_not_cached() -> None:
    user = uuid.uuid4()
    execution = FakeExecution(user, Reply.failure("SERVICE_UNAVAILABLE", "down", 503))
    accounts = VenueAccounts(execution, ttl_seconds=30)

    for _ in range(2):
        with pytest.raises(ApiError) as err:
            await accounts.resolve(caller(user), uuid.uuid4())

    assert (err.value.status, execution.asked) == (503, 2)
