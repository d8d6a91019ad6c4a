"""Order intake's view of a venue account: execution's `venues.resolve`, cached per account for a while.

The market specs change rarely and every order needs them; a short cache keeps execution off the
hot path without serving a deleted account for long.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from tradeplane.contracts.queries import EXECUTION, Caller, Reply

from .envelope import ApiError

Ask = Callable[[Caller, str, str, dict[str, Any]], Awaitable[Reply]]
_MAX_ENTRIES = 10_000


@dataclass(frozen=True, slots=True)
class Account:
    account_id: UUID
    user_id: UUID
    venue: str
    status: str
    markets: tuple[Mapping[str, Any], ...]


def _not_found() -> ApiError:
    return ApiError(404, "VENUE_NOT_FOUND", "no such venue account", field="venueId")


def reply_error(reply: Reply) -> ApiError:
    err = reply.error
    if err is None:
        return ApiError(503, "INTERNAL", "the service answered without a result")
    return ApiError(err.status, err.code, err.message, **err.details)


class VenueAccounts:
    def __init__(self, ask: Ask, ttl_seconds: float) -> None:
        self._ask = ask
        self._ttl = ttl_seconds
        self._cache: dict[tuple[UUID, UUID], tuple[float, Account]] = {}

    async def resolve(self, caller: Caller, venue_id: UUID) -> Account:
        """The caller's own account `venue_id`, or 404 VENUE_NOT_FOUND (also for another user's)."""
        key = (caller.user_id, venue_id)
        hit = self._cache.get(key)
        if hit is not None and hit[0] > time.monotonic():
            return hit[1]
        reply = await self._ask(caller, EXECUTION, "venues.resolve", {"id": str(venue_id)})
        if not reply.ok:
            if reply.error is not None and reply.error.status == 404:
                raise _not_found()
            raise reply_error(reply)
        account = _account(reply.data)
        if account.user_id != caller.user_id:
            raise _not_found()
        self._remember(key, account)
        return account

    def forget(self, user_id: UUID, venue_id: UUID) -> None:
        self._cache.pop((user_id, venue_id), None)

    def _remember(self, key: tuple[UUID, UUID], account: Account) -> None:
        if self._ttl <= 0:
            return
        now = time.monotonic()
        if len(self._cache) >= _MAX_ENTRIES:
            self._cache = {k: v for k, v in self._cache.items() if v[0] > now}
        self._cache[key] = (now + self._ttl, account)


def _account(data: Any) -> Account:
    try:
        return Account(
            account_id=UUID(str(data["account_id"])),
            user_id=UUID(str(data["user_id"])),
            venue=str(data["venue"]),
            status=str(data.get("status", "")),
            markets=tuple(m for m in data.get("markets", ()) if isinstance(m, Mapping)),
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise ApiError(503, "INTERNAL", "execution answered an unexpected venue account") from exc
