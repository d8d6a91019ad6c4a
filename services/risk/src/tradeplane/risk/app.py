"""Wiring of the risk service: runtime, consumers, queries, the kill switch and periodic tasks."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from tradeplane.runtime import Periodic, Runtime, serve

from . import handlers
from .adapters.decisions import SqlDecisionStore
from .adapters.tables import metadata
from .config import Settings
from .equity import EquitySource
from .killswitch import KillSwitch
from .market import Prices, load_latest
from .pretrade import PreTrade
from .profiles import Profiles
from .queries import Queries
from .tasks import heartbeat, sweep
from .tracking import Tracker


def build(settings: Settings) -> Any:
    rt = Runtime("risk", settings, metadata, Path(__file__).parent / "migrations")
    profiles = Profiles()
    halts = KillSwitch(rt)
    prices = Prices()
    equity = EquitySource(
        lambda: rt.broker, settings.risk_default_equity, settings.risk_equity_timeout_seconds
    )
    tracker = Tracker(rt, profiles, settings.risk_disable_after_errors)
    pretrade = PreTrade(SqlDecisionStore(rt.outbox), settings.partitions, profiles, halts, prices, equity)
    periodic = Periodic()

    async def load_prices() -> None:
        await load_latest(rt.broker.config.connection_state.stream, prices)

    async def start_tasks() -> None:
        periodic.start("risk-heartbeat", settings.risk_heartbeat_seconds, heartbeat(rt))
        periodic.start("risk-halt-sweep", settings.risk_sweep_seconds, sweep(rt, tracker))

    async def stop_tasks() -> None:
        await periodic.stop()
        await halts.stop()

    return rt.asgi(
        [
            handlers.router(rt, pretrade, tracker, prices, settings.risk_order_workers),
            Queries(rt, profiles, halts, tracker, settings.risk_ceilings.limits()).router(),
        ],
        on_startup=[halts.load, load_prices],
        after_startup=[start_tasks],
        on_shutdown=[stop_tasks],
    )


def main() -> None:
    """Serve the risk service; `python -m tradeplane.risk killswitch ...` is the operator's one-shot
    command."""
    if sys.argv[1:2] == ["killswitch"]:
        from .cli import run

        raise SystemExit(run(sys.argv[2:]))
    settings = Settings()
    serve(build(settings), settings)
