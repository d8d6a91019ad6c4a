"""The session check of each access token, cached in the worker for the token's lifetime.

A revoked session, a disabled or deleted user and a role change are announced on a core NATS subject
(`subjects.SESSIONS_REVOKED`); every gateway worker drops the cached entries at once, and the worker
that made the change drops its own before answering. Idle time is tracked here and written to the
session row at most once a `touch_seconds`, so the idle timeout holds across workers.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from uuid import UUID

from faststream.nats import NatsRouter
from sqlalchemy import Row
from tradeplane.contracts import subjects


@dataclass(slots=True)
class Entry:
    row: Row[Any]
    """The user with their session's `session_created_at` and `last_seen_at`."""
    user_id: UUID
    token_expires: datetime
    last_seen: datetime
    touched: float = field(default_factory=time.monotonic)
    """When `last_seen` was last written to the database (monotonic clock)."""


class SessionCache:
    def __init__(self, max_entries: int = 100_000) -> None:
        self._entries: dict[UUID, Entry] = {}
        self._by_user: dict[UUID, set[UUID]] = {}
        self._max = max_entries

    def __len__(self) -> int:
        return len(self._entries)

    def get(self, session_id: UUID, now: datetime) -> Entry | None:
        entry = self._entries.get(session_id)
        if entry is not None and entry.token_expires <= now:
            self.drop_session(session_id)
            return None
        return entry

    def put(self, session_id: UUID, entry: Entry) -> None:
        if len(self._entries) >= self._max and session_id not in self._entries:
            self.clear()  # a flood of sessions: start over rather than grow without bound
        self._entries[session_id] = entry
        self._by_user.setdefault(entry.user_id, set()).add(session_id)

    def drop_session(self, session_id: UUID) -> None:
        entry = self._entries.pop(session_id, None)
        if entry is not None:
            sessions = self._by_user.get(entry.user_id)
            if sessions is not None:
                sessions.discard(session_id)
                if not sessions:
                    del self._by_user[entry.user_id]

    def drop_user(self, user_id: UUID) -> None:
        for session_id in self._by_user.pop(user_id, set()):
            self._entries.pop(session_id, None)

    def clear(self) -> None:
        self._entries.clear()
        self._by_user.clear()

    def forget(self, message: dict[str, Any]) -> None:
        """Apply one revocation announcement: `{userId}` (every session) or `{userId, sessionId}`."""
        try:
            if session_id := message.get("sessionId"):
                self.drop_session(UUID(str(session_id)))
            elif user_id := message.get("userId"):
                self.drop_user(UUID(str(user_id)))
            else:
                self.clear()
        except ValueError:
            self.clear()  # not ours to parse: forgetting everything is always safe


def revocation_router(cache: SessionCache) -> NatsRouter:
    """Every worker hears every announcement (a core subscription, no queue group)."""
    router = NatsRouter()

    @router.subscriber(subjects.SESSIONS_REVOKED)
    async def on_revoked(message: dict[str, Any]) -> None:
        cache.forget(message)

    return router
