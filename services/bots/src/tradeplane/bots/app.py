"""Wiring of the bots service: runtime, host, halts, bus consumers, queries and the timer loop."""

from __future__ import annotations

from contextlib import suppress
from decimal import Decimal
from pathlib import Path
from uuid import UUID

import nats.js.errors
from starlette.applications import Starlette
from tradeplane.contracts import Ticker, streams, subjects
from tradeplane.contracts.queries import BOTS, EXECUTION, Caller, Reply
from tradeplane.runtime import Periodic, Runtime, serve
from tradeplane.runtime.queries import ask, query_router

from . import handlers, tasks
from .adapters.store import SqlStore
from .adapters.tables import metadata
from .config import Settings
from .halts import HaltWatch
from .host import Host
from .queries import BotQueries


def build(settings: Settings) -> Starlette:
    rt = Runtime(BOTS, settings, metadata, Path(__file__).parent / "migrations")
    store = SqlStore(rt.engine, rt.outbox)
    halts = HaltWatch()

    async def last_price(venue: str, symbol: str) -> Decimal | None:
        js = rt.broker.config.connection_state.stream
        with suppress(nats.js.errors.NotFoundError):
            raw = await js.get_last_msg(streams.MARKET.name, subjects.ticker(venue, symbol))
            if raw.data:
                return Ticker.model_validate_json(raw.data).last
        return None

    host = Host(
        store,
        partitions=settings.partitions,
        owned=settings.owned_partitions,
        default_timeframe=settings.bots_default_timeframe,
        halts=halts,
        batch_size=settings.bots_batch_size,
        last_price=last_price,
    )

    async def resolve(caller: Caller, account_id: UUID) -> Reply:
        params = {"id": str(account_id)}
        timeout = settings.venue_query_timeout_seconds
        return await ask(rt.broker, EXECUTION, "venues.resolve", caller, params, timeout=timeout)

    queries = BotQueries(host, store, resolve)
    periodic: list[Periodic] = []

    async def startup() -> None:
        await halts.load(rt.broker)
        await host.load()

    async def started() -> None:
        periodic.append(tasks.start(host, settings))

    async def stop_tasks() -> None:
        for loops in periodic:
            await loops.stop()

    serving = query_router(BOTS, queries.handlers(), max_workers=settings.query_max_workers)
    return rt.asgi(
        [handlers.router(host, settings, lambda: rt.broker), serving],
        on_startup=[startup],
        after_startup=[started],
        on_shutdown=[stop_tasks, halts.stop],
    )


def main() -> None:
    settings = Settings()
    serve(build(settings), settings)
