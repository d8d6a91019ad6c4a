"""What every request handler reaches through `deps`: runtime, settings, tokens, venue cache, intake."""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any
from uuid import UUID

from faststream.nats import NatsBroker
from tradeplane.contracts import subjects
from tradeplane.contracts.queries import Caller, Reply
from tradeplane.runtime import Runtime
from tradeplane.runtime.queries import ask

from .adapters.intake_store import SqlIntakeStore
from .auth import lockout
from .auth.cache import SessionCache
from .auth.sessions import Lifetime, Sessions
from .auth.tokens import AccessTokens
from .config import Settings
from .intake import Intake
from .ratelimit import Limits, PostgresStorage, RateLimiter
from .venues import VenueAccounts

log = logging.getLogger(__name__)


class Gateway:
    def __init__(self, rt: Runtime, settings: Settings, tokens: AccessTokens) -> None:
        self.rt = rt
        self.settings = settings
        self.tokens = tokens
        self.venues = VenueAccounts(self.ask, settings.venue_cache_seconds)
        self.intake = Intake(SqlIntakeStore(rt), self.venues, self.ask, settings.partitions)
        lifetime = Lifetime(
            idle=timedelta(minutes=settings.session_idle_minutes),
            absolute=timedelta(hours=settings.session_absolute_hours),
        )
        self.sessions = Sessions(rt.outbox, tokens, timedelta(days=settings.refresh_token_days), lifetime)
        self.session_cache = SessionCache()
        self.sessions.on_revoke = self.forget_sessions
        self.limiter = RateLimiter(PostgresStorage(rt.engine), Limits.of(settings))
        self.login_policies = lockout.policies(settings)
        self.keyring = settings.keyring()

    async def forget_sessions(self, user_id: UUID | None, session_id: UUID | None = None) -> None:
        """Drop cached session checks of a user (or one session) here, then in every other worker."""
        message = {"userId": str(user_id)} if user_id else {}
        if session_id is not None:
            self.session_cache.drop_session(session_id)
            message["sessionId"] = str(session_id)
        elif user_id is not None:
            self.session_cache.drop_user(user_id)
        else:
            return
        try:
            await self.broker.publish(message, subjects.SESSIONS_REVOKED)
        except Exception:  # the other workers' entries still end with their tokens
            log.warning("could not announce a session revocation", exc_info=True)

    @property
    def broker(self) -> NatsBroker:
        return self.rt.broker

    async def ask(
        self, caller: Caller, service: str, name: str, params: dict[str, Any] | None = None
    ) -> Reply:
        """A query to `service`; SERVICE_UNAVAILABLE (503) when no replica answers in time."""
        return await ask(
            self.broker, service, name, caller, params, timeout=self.settings.query_timeout_seconds
        )
