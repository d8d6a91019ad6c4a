"""Rate limits per user (per IP before login), shared by every gateway worker and replica.

The `limits` library's fixed-window strategy over a storage in PostgreSQL: one statement per check
(`INSERT ... ON CONFLICT DO UPDATE ... RETURNING`) on an UNLOGGED row per key and window. Each request
counts in one bucket: trading (orders create/cancel, kill switch), market data, costly (webhook tests,
venue syncs) or general; over its limit it is answered 429 RATE_LIMITED with `Retry-After`.
"""

from __future__ import annotations

import logging
import math
import re
import time
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from limits import RateLimitItemPerMinute
from limits.aio.storage import Storage
from limits.aio.strategies import FixedWindowRateLimiter
from sqlalchemy import delete, func, select, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine

from .adapters.tables import rate_counters
from .config import Settings
from .envelope import ApiError

log = logging.getLogger(__name__)


class Bucket(StrEnum):
    GENERAL = "general"
    TRADING = "trading"
    MARKET = "market"
    COSTLY = "costly"
    ANONYMOUS = "anonymous"


OVERRIDES = {
    Bucket.GENERAL: "requestsPerMinute",
    Bucket.TRADING: "tradingPerMinute",
    Bucket.MARKET: "marketPerMinute",
}
"""The buckets an admin may raise for one user, and their names in `PUT /api/admin/users/{id}/rate-limits`."""

_TRADING = (
    ("POST", re.compile(r"^/api/orders/?$")),
    ("DELETE", re.compile(r"^/api/orders/[^/]+/?$")),
    ("POST", re.compile(r"^/api/orders/cancel")),
    ("POST", re.compile(r"^/api/killswitch/(activate|deactivate)/?$")),
)
_COSTLY = (
    ("POST", re.compile(r"^/api/webhooks/[^/]+/test/?$")),
    ("POST", re.compile(r"^/api/venues/[^/]+/sync/?$")),
)
_MARKET = re.compile(r"^/api/market(/|$)")


def bucket_of(method: str, path: str) -> Bucket:
    """Which limit a request of an authenticated user counts against."""
    for verb, pattern in _TRADING:
        if method == verb and pattern.match(path):
            return Bucket.TRADING
    for verb, pattern in _COSTLY:
        if method == verb and pattern.match(path):
            return Bucket.COSTLY
    if _MARKET.match(path):
        return Bucket.MARKET
    return Bucket.GENERAL


_INCR = text(
    """
    INSERT INTO gateway.rate_counters AS c (key, count, expires_at)
    VALUES (:key, :amount, now() + make_interval(secs => :expiry))
    ON CONFLICT (key) DO UPDATE SET
        count = CASE WHEN c.expires_at <= now() THEN EXCLUDED.count ELSE c.count + EXCLUDED.count END,
        expires_at = CASE WHEN c.expires_at <= now() THEN EXCLUDED.expires_at ELSE c.expires_at END
    RETURNING count
    """
)


class PostgresStorage(Storage):
    """A `limits` storage in the gateway's PostgreSQL schema (fixed windows only)."""

    STORAGE_SCHEME = ["tradeplane+postgresql"]

    def __init__(self, engine: AsyncEngine) -> None:
        super().__init__(wrap_exceptions=False)
        self._engine = engine

    @property
    def base_exceptions(self) -> type[Exception] | tuple[type[Exception], ...]:
        return DBAPIError

    async def incr(self, key: str, expiry: int, amount: int = 1) -> int:
        async with self._engine.begin() as conn:
            result = await conn.execute(_INCR, {"key": key, "amount": amount, "expiry": float(expiry)})
            return int(result.scalar_one())

    async def get(self, key: str) -> int:
        stmt = select(rate_counters.c.count).where(
            rate_counters.c.key == key, rate_counters.c.expires_at > func.now()
        )
        async with self._engine.connect() as conn:
            value = (await conn.execute(stmt)).scalar_one_or_none()
        return int(value or 0)

    async def get_expiry(self, key: str) -> float:
        stmt = select(func.extract("epoch", rate_counters.c.expires_at)).where(rate_counters.c.key == key)
        async with self._engine.connect() as conn:
            value = (await conn.execute(stmt)).scalar_one_or_none()
        return float(value) if value is not None else time.time()

    async def check(self) -> bool:
        try:
            async with self._engine.connect() as conn:
                await conn.execute(text("SELECT 1"))
        except DBAPIError:
            return False
        return True

    async def reset(self) -> int | None:
        async with self._engine.begin() as conn:
            return (await conn.execute(delete(rate_counters))).rowcount

    async def clear(self, key: str) -> None:
        async with self._engine.begin() as conn:
            await conn.execute(delete(rate_counters).where(rate_counters.c.key == key))

    async def sweep(self) -> None:
        """Forget windows that ended (keys of passing IPs would otherwise pile up)."""
        async with self._engine.begin() as conn:
            await conn.execute(delete(rate_counters).where(rate_counters.c.expires_at < func.now()))


@dataclass(frozen=True, slots=True)
class Limits:
    """Requests per minute of each bucket."""

    per_minute: Mapping[Bucket, int]

    @classmethod
    def of(cls, settings: Settings) -> Limits:
        return cls(
            {
                Bucket.GENERAL: settings.rate_limit_per_minute,
                Bucket.TRADING: settings.rate_limit_trading_per_minute,
                Bucket.MARKET: settings.rate_limit_market_per_minute,
                Bucket.COSTLY: settings.rate_limit_costly_per_minute,
                Bucket.ANONYMOUS: settings.rate_limit_anonymous_per_minute,
            }
        )

    def for_user(self, overrides: Mapping[str, Any] | None) -> Limits:
        """These limits with an admin's overrides of one user (`users.rate_limits`)."""
        if not overrides:
            return self
        changed = dict(self.per_minute)
        for bucket, name in OVERRIDES.items():
            value = overrides.get(name)
            if isinstance(value, int) and value > 0:
                changed[bucket] = value
        return Limits(changed)


class RateLimiter:
    def __init__(self, storage: PostgresStorage, defaults: Limits) -> None:
        self.storage = storage
        self.defaults = defaults
        self._strategy = FixedWindowRateLimiter(storage)
        self._warned = -1e9

    async def hit(self, bucket: Bucket, who: str, limits: Limits | None = None) -> None:
        """Count one request of `who` (`user:<id>` or `ip:<address>`); 429 RATE_LIMITED when over.
        With the database unreachable the request passes (it fails on its own if it needs the database)."""
        amount = (limits or self.defaults).per_minute[bucket]
        item = RateLimitItemPerMinute(amount)
        try:
            if await self._strategy.hit(item, who, bucket.value):
                return
        except DBAPIError:
            if time.monotonic() - self._warned > 60:
                self._warned = time.monotonic()
                log.warning("rate limits not enforced: their database is unreachable", exc_info=True)
            return
        reset_at, _ = await self._strategy.get_window_stats(item, who, bucket.value)
        retry_after = max(1, math.ceil(reset_at - time.time()))
        raise ApiError(
            429,
            "RATE_LIMITED",
            f"too many requests: at most {amount} a minute here; retry in {retry_after} s",
            headers={"Retry-After": str(retry_after)},
            limit=amount,
            bucket=bucket.value,
            retryAfter=retry_after,
        )
