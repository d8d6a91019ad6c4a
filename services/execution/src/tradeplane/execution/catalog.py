"""Market specifications per venue for the API and order intake, cached: they change rarely and every
order asks for them."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from typing import Any

from tradeplane.paper.markets import PAPER_MARKETS, MarketSpec

from . import views
from .adapters.accounts import Account

Loader = Callable[[Account], Awaitable[list[MarketSpec]]]


class MarketCatalog:
    """Specs as JSON by (venue, sandbox); the paper venue's are fixed, a ccxt venue's are loaded once an
    hour."""

    def __init__(self, load: Loader, ttl: float = 3600.0) -> None:
        self._load = load
        self._ttl = ttl
        self._cached: dict[tuple[str, bool], tuple[float, list[dict[str, Any]]]] = {}
        self._paper = [views.market_spec(spec) for spec in PAPER_MARKETS.values()]

    async def specs(self, account: Account, refresh: bool = False) -> list[dict[str, Any]]:
        if account.is_paper:
            return self._paper
        key = (account.venue, account.sandbox)
        hit = self._cached.get(key)
        if hit is not None and not refresh and time.monotonic() - hit[0] < self._ttl:
            return hit[1]
        specs = [views.market_spec(spec) for spec in await self._load(account)]
        self._cached[key] = (time.monotonic(), specs)
        return specs
