"""Wiring of the PnL service: runtime, fill and ticker consumers, queries and timers."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tradeplane.contracts.queries import PNL
from tradeplane.runtime import Runtime, run
from tradeplane.runtime.queries import query_router

from . import handlers
from .accounts import Accounts
from .adapters.booking_store import SqlBookingStore
from .adapters.tables import metadata
from .booking import Booker
from .config import Settings
from .domain.marks import Marks
from .equity_figures import Curve
from .queries import PnlQueries
from .tasks import Background


def build(settings: Settings) -> Any:
    """The ASGI app (FastStream's), serving /healthz, /readyz, /metrics and /asyncapi too."""
    rt = Runtime(PNL, settings, metadata, Path(__file__).parent / "migrations")
    curve = Curve(Marks())
    accounts = Accounts(rt, curve, settings)
    booker = Booker(SqlBookingStore(rt.outbox, curve), curve.marks, accounts)
    background = Background(rt, settings, curve, booker, accounts)
    queries = PnlQueries(rt.engine, curve, accounts)
    return rt.asgi(
        [handlers.router(rt, settings, booker, curve.marks), query_router(PNL, queries.handlers())],
        on_startup=[background.load_marks],
        after_startup=[background.start],
        on_shutdown=[background.stop],
    )


def main() -> None:
    run(build, Settings)
