"""The bots service's periodic work: firing the bots' due timers (the rebalancer's interval)."""

from __future__ import annotations

from tradeplane.runtime import Periodic

from .config import Settings
from .host import Host


def start(host: Host, settings: Settings) -> Periodic:
    periodic = Periodic()
    periodic.start("bots-timers", settings.bots_tick_seconds, host.tick)
    return periodic
