"""Wiring of the execution service: runtime, executor, bus consumers, queries and the HTTP app."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from faststream.nats import NatsMessage, NatsRouter
from tradeplane.contracts import subjects
from tradeplane.contracts.queries import EXECUTION
from tradeplane.runtime import Runtime, serve
from tradeplane.runtime.queries import QueryHandler, answer

from . import handlers
from .adapters.accounts import Account
from .adapters.paper_venue import PaperVenue, initial_state
from .adapters.tables import metadata
from .adapters.venue import Venue
from .config import Settings
from .executor import Executor
from .queries import VenueQueries


def build(settings: Settings) -> Any:
    rt = Runtime("execution", settings, metadata, Path(__file__).parent / "migrations")
    executor = Executor(rt, settings)

    def open_venue(account: Account) -> Venue:
        """A venue for one query (markets, balance) outside the account's actor."""
        return PaperVenue(initial_state({})) if account.is_paper else executor.exchange_venue(account)

    queries = VenueQueries(rt.engine, executor.accounts, executor.vault, executor.tickers, open_venue)
    return rt.asgi(
        [handlers.router(executor, lambda: rt.broker), query_router(EXECUTION, queries.handlers())],
        on_startup=[executor.startup],
        after_startup=[executor.started],
        on_shutdown=[executor.shutdown],
    )


def query_router(service: str, handlers: dict[str, QueryHandler]) -> NatsRouter:
    """`tradeplane.runtime.queries.query_router`, minus its bug: FastStream takes the `handler=` default
    parameter there for a message field, so every query fails validation. Replace once the runtime is fixed."""
    router = NatsRouter()
    for name, handler in handlers.items():
        router.subscriber(subjects.query(service, name), queue=f"{service}-queries", title=name)(
            _serve(handler)
        )
    return router


def _serve(handler: QueryHandler) -> Any:
    async def serve(msg: NatsMessage) -> bytes:
        reply = await answer(handler, msg.body)
        return reply.model_dump_json().encode()

    return serve


def main() -> None:
    settings = Settings()
    serve(build(settings), settings)
