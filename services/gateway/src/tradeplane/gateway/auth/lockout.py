"""Failed logins: per account and per IP, exponential backoff, then a temporary lock.

Each key (`account:<email>`, `ip:<address>`) counts its failures; after `backoff_after` of them an
attempt must wait `backoff_seconds * 2**(failures - backoff_after)` since the last failure (capped at
the lock duration), and at `lock_failures` the key is locked for the lock duration. A refused attempt
is answered before any password is hashed (a login flood is not a CPU flood); one refused by backoff
counts as a failure too. A success forgets the account's failures; failures older than the lock
duration are forgotten.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Row, delete, func, or_, select, text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from ..adapters.tables import login_failures
from ..config import Settings


@dataclass(frozen=True, slots=True)
class Policy:
    backoff_after: int
    backoff_seconds: float
    lock_failures: int
    lock: timedelta

    def wait(self, failures: int) -> timedelta:
        """How long after the last failure the next attempt must wait."""
        if failures < self.backoff_after or self.backoff_seconds <= 0:
            return timedelta(0)
        exponent = min(failures - self.backoff_after, 30)
        return min(timedelta(seconds=self.backoff_seconds * 2**exponent), self.lock)


def policies(settings: Settings) -> tuple[Policy, Policy]:
    """(per account, per IP)."""
    lock = timedelta(minutes=settings.login_lock_minutes)
    account = Policy(
        settings.login_backoff_after, settings.login_backoff_seconds, settings.login_lock_failures, lock
    )
    ip_backoff = max(settings.login_backoff_after, settings.login_ip_lock_failures // 2)
    ip = Policy(ip_backoff, settings.login_backoff_seconds, settings.login_ip_lock_failures, lock)
    return account, ip


@dataclass(frozen=True, slots=True)
class Refusal:
    code: str
    """`LOGIN_LOCKED` (the key is locked) or `RATE_LIMITED` (backoff)."""
    retry_after: int
    key: str

    @property
    def counts(self) -> bool:
        """A refusal by backoff counts as a failure; one by a lock does not (the lock's end is fixed)."""
        return self.code == "RATE_LIMITED"


def refusal(state: Row[Any] | None, key: str, policy: Policy, now: datetime) -> Refusal | None:
    """Why an attempt on `key` is refused before checking the password, or None."""
    if state is None:
        return None
    if state.locked_until is not None and state.locked_until > now:
        return Refusal("LOGIN_LOCKED", _seconds(state.locked_until - now), key)
    if state.last_failure_at + policy.lock <= now:
        return None  # old failures are forgotten
    wait_until = state.last_failure_at + policy.wait(state.failures)
    if wait_until > now:
        return Refusal("RATE_LIMITED", _seconds(wait_until - now), key)
    return None


def _seconds(delta: timedelta) -> int:
    return max(1, math.ceil(delta.total_seconds()))


def account_key(email: str) -> str:
    return f"account:{email.strip().lower()}"[:300]


def ip_key(ip: str) -> str:
    return f"ip:{ip}"[:300]


async def states(conn: AsyncConnection, keys: Iterable[str]) -> dict[str, Row[Any]]:
    rows = await conn.execute(select(login_failures).where(login_failures.c.key.in_(list(keys))))
    return {row.key: row for row in rows.all()}


_FAIL = text(
    """
    INSERT INTO gateway.login_failures AS f (key, failures, last_failure_at, locked_until)
    VALUES (:key, 1, :now, NULL)
    ON CONFLICT (key) DO UPDATE SET
        failures = CASE WHEN f.last_failure_at + :lock <= :now THEN 1 ELSE f.failures + 1 END,
        last_failure_at = :now
    RETURNING failures, locked_until
    """
)
_LOCK = text(
    """
    UPDATE gateway.login_failures SET failures = 0, locked_until = :until
    WHERE key = :key AND (locked_until IS NULL OR locked_until <= :now)
    RETURNING key
    """
)


async def record_failure(conn: AsyncConnection, key: str, policy: Policy, now: datetime) -> datetime | None:
    """Count a failure of `key`; when it starts a lock, the lock's end (else None)."""
    row = (await conn.execute(_FAIL, {"key": key, "now": now, "lock": policy.lock})).one()
    if row.failures < policy.lock_failures:
        return None
    until = now + policy.lock
    locked = await conn.execute(_LOCK, {"key": key, "until": until, "now": now})
    return until if locked.first() is not None else None


async def sweep(engine: AsyncEngine, lock: timedelta) -> None:
    """Forget keys whose failures are too old to matter and whose lock ended."""
    async with engine.begin() as conn:
        await conn.execute(
            delete(login_failures).where(
                login_failures.c.last_failure_at < func.now() - lock,
                or_(login_failures.c.locked_until.is_(None), login_failures.c.locked_until < func.now()),
            )
        )


async def forget(conn: AsyncConnection, key: str) -> None:
    await conn.execute(delete(login_failures).where(login_failures.c.key == key))


def keys_of(email: str, ip: str, policies: tuple[Policy, Policy]) -> Mapping[str, Policy]:
    return {account_key(email): policies[0], ip_key(ip): policies[1]}
