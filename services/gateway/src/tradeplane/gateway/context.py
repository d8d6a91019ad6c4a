"""What every request handler reaches through `deps`: runtime, settings, tokens, venue cache, intake."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from faststream.nats import NatsBroker
from tradeplane.contracts.queries import Caller, Reply
from tradeplane.runtime import Runtime
from tradeplane.runtime.queries import ask

from .adapters.intake_store import SqlIntakeStore
from .auth.sessions import Sessions
from .auth.tokens import AccessTokens
from .config import Settings
from .intake import Intake
from .venues import VenueAccounts


class Gateway:
    def __init__(self, rt: Runtime, settings: Settings, tokens: AccessTokens) -> None:
        self.rt = rt
        self.settings = settings
        self.tokens = tokens
        self.venues = VenueAccounts(self.ask, settings.venue_cache_seconds)
        self.intake = Intake(SqlIntakeStore(rt), self.venues, self.ask, settings.partitions)
        self.sessions = Sessions(rt.engine, tokens, timedelta(days=settings.refresh_token_days))

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
