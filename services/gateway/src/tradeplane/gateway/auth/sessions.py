"""Logins as sessions: starting one (access + refresh token), rotating its refresh token, ending it."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

from sqlalchemy import Row
from sqlalchemy.ext.asyncio import AsyncConnection
from tradeplane.contracts import AuditRecorded, Role, utcnow
from tradeplane.runtime import Outbox

from ..adapters import repo
from ..envelope import ApiError
from ..schemas import TokenPair
from ..views import user_out
from . import refresh
from .tokens import AccessTokens


@dataclass(frozen=True, slots=True)
class Lifetime:
    """How long a session lives: `idle` without a request, `absolute` after its login."""

    idle: timedelta
    absolute: timedelta

    def ended(self, created_at: datetime, last_seen_at: datetime, now: datetime) -> str | None:
        """Why a session is over (`"idle"`, `"expired"`), or None while it lives."""
        if created_at + self.absolute <= now:
            return "expired"
        if last_seen_at + self.idle <= now:
            return "idle"
        return None


SESSION_ENDED = {
    "idle": "the session ended after a period without activity; log in again",
    "expired": "the session reached its maximum lifetime; log in again",
}


class Sessions:
    def __init__(
        self, outbox: Outbox, tokens: AccessTokens, refresh_ttl: timedelta, lifetime: Lifetime
    ) -> None:
        self._outbox = outbox
        self._engine = outbox.engine
        self._tokens = tokens
        self._refresh_ttl = refresh_ttl
        self.lifetime = lifetime
        self.on_revoke: Callable[[UUID, UUID | None], Awaitable[None]] = _nothing
        """Called with (user, session) after a rotation ended a session (the gateway drops its cache)."""

    async def start(self, user_id: UUID, audit: tuple[str, AuditRecorded] | None = None) -> TokenPair:
        """A new session for a user whose password was just checked; `audit` is recorded with it."""
        async with self._outbox.transaction() as tx:
            session_id = await repo.create_session(tx.conn, user_id)
            token = await self._new_refresh(tx.conn, session_id)
            row = await repo.touch_login(tx.conn, user_id, utcnow())
            if audit is not None:
                tx.emit(*audit)
        if row is None:
            raise ApiError(401, "INVALID_CREDENTIALS", "wrong email or password")
        return self._pair(row, session_id, token)

    async def rotate(self, presented: str) -> TokenPair:
        """Exchange a refresh token for a new pair; a reused token revokes its whole session."""
        token_hash = refresh.digest(presented)
        now = utcnow()
        token, row, failure = None, None, None
        async with self._engine.begin() as conn:
            stored = await repo.lock_refresh(conn, token_hash)
            verdict = refresh.judge(_stored(stored), now)
            if stored is not None and verdict is refresh.Verdict.REUSED:
                await repo.revoke_session(conn, stored.session_id, "refresh token reused", now)
            if stored is not None and verdict is refresh.Verdict.VALID:
                row = await repo.user_by_id(conn, stored.user_id)
                ended = self.lifetime.ended(stored.session_created_at, stored.last_seen_at, now)
                if row is not None and row.disabled_at is not None:
                    await repo.revoke_session(conn, stored.session_id, "user disabled", now)
                    failure = ApiError(401, "ACCOUNT_DISABLED", "this account is disabled; ask an admin")
                elif ended is not None:
                    await repo.revoke_session(conn, stored.session_id, f"session {ended}", now)
                    failure = ApiError(401, "SESSION_EXPIRED", SESSION_ENDED[ended])
                else:
                    await repo.mark_used(conn, token_hash, now)
                    token = await self._new_refresh(conn, stored.session_id)
        if stored is not None and (failure is not None or verdict is refresh.Verdict.REUSED):
            await self.on_revoke(stored.user_id, stored.session_id)
        if failure is not None:
            raise failure
        if stored is None or token is None or row is None:
            raise ApiError(401, verdict.value, verdict.message)
        return self._pair(row, stored.session_id, token)

    async def end(self, session_id: UUID | None, presented: str | None) -> list[UUID]:
        """Log out: the current session and/or the one the refresh token belongs to; the ended ids."""
        now = utcnow()
        async with self._engine.begin() as conn:
            ended: list[UUID | None] = [session_id]
            if presented:
                ended.append(await repo.session_of_refresh(conn, refresh.digest(presented)))
            for sid in filter(None, ended):
                await repo.revoke_session(conn, sid, "logout", now)
        return [sid for sid in ended if sid is not None]

    async def _new_refresh(self, conn: AsyncConnection, session_id: UUID) -> str:
        token = refresh.new_refresh_token()
        await repo.store_refresh(conn, session_id, refresh.digest(token), utcnow() + self._refresh_ttl)
        return token

    def _pair(self, row: Row[Any], session_id: UUID, token: str) -> TokenPair:
        access, _ = self._tokens.issue(row.id, Role(row.role), session_id)
        return TokenPair(
            access_token=access,
            refresh_token=token,
            expires_in=int(self._tokens.ttl.total_seconds()),
            user=user_out(row),
        )


async def _nothing(user_id: UUID, session_id: UUID | None) -> None:
    return None


def _stored(row: Row[Any] | None) -> refresh.StoredRefresh | None:
    if row is None:
        return None
    return refresh.StoredRefresh(
        expires_at=row.expires_at, used_at=row.used_at, session_revoked_at=row.session_revoked_at
    )
