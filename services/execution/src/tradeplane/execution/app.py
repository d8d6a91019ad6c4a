"""Wiring of the execution service: runtime, executor, bus consumers, queries and the HTTP app."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tradeplane.contracts.queries import EXECUTION
from tradeplane.runtime import Runtime, run
from tradeplane.runtime.queries import query_router

from . import handlers, outcomes
from .adapters.accounts import Account
from .adapters.paper_venue import PaperVenue, initial_state
from .adapters.tables import metadata
from .adapters.venue import Venue
from .config import Settings
from .executor import Executor
from .queries import VenueQueries


def build(settings: Settings) -> Any:
    rt = Runtime("execution", settings, metadata, Path(__file__).parent / "migrations")
    outcomes.name_instance(settings.executor_id)
    executor = Executor(rt, settings)

    def open_venue(account: Account) -> Venue:
        """A venue for one query (markets, balance) outside the account's actor."""
        return PaperVenue(initial_state({})) if account.is_paper else executor.exchange_venue(account)

    private_key = settings.execution_private_key
    queries = VenueQueries(
        rt.engine,
        executor.accounts,
        executor.vault,
        executor.tickers,
        open_venue,
        credentials_key=private_key.get_secret_value() if private_key is not None else None,
        timeout=settings.venue_query_timeout_seconds,
    )
    serving = query_router(EXECUTION, queries.handlers(), max_workers=settings.query_max_workers)
    return rt.asgi(
        [handlers.router(executor, lambda: rt.broker), serving],
        on_startup=[executor.startup],
        after_startup=[executor.started],
        on_shutdown=[executor.shutdown],
    )


def main() -> None:
    run(build, Settings)
