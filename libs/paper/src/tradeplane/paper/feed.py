"""A seeded synthetic market: a deterministic random walk per symbol, quantized to each market's tick."""

from __future__ import annotations

import random
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from .markets import PAPER_START_PRICES, MarketSpec, floor_to, nearest

_BPS = Decimal("0.0001")
_STEPS = 1000
"""Resolution of one random draw: moves are whole thousandths of the volatility."""


@dataclass(frozen=True, slots=True)
class Tick:
    symbol: str
    bid: Decimal
    ask: Decimal
    last: Decimal
    at: datetime


class SyntheticFeed:
    """Random walk per symbol; the same seed, markets and start prices give the same ticks.

    Each `next` moves every price by a uniform draw in +/- `volatility_bps` and quotes a bid and
    an ask `spread_bps` apart around it (at least one tick each side). Draws are integers turned
    into Decimal, so the sequence does not depend on float formatting.
    """

    def __init__(
        self,
        seed: int,
        specs: Mapping[str, MarketSpec],
        start_prices: Mapping[str, Decimal] = PAPER_START_PRICES,
        *,
        volatility_bps: Decimal = Decimal("5"),
        spread_bps: Decimal = Decimal("1"),
    ) -> None:
        self._rng = random.Random(seed)
        self._specs = dict(sorted(specs.items()))
        self._prices = {symbol: start_prices[symbol] for symbol in self._specs}
        self._volatility = volatility_bps * _BPS
        self._spread = spread_bps * _BPS

    def price(self, symbol: str) -> Decimal:
        return self._prices[symbol]

    def next(self, now: datetime) -> list[Tick]:
        return [self._step(spec, now) for spec in self._specs.values()]

    def _step(self, spec: MarketSpec, now: datetime) -> Tick:
        tick = spec.price_precision
        draw = Decimal(self._rng.randint(-_STEPS, _STEPS)) / _STEPS
        moved = self._prices[spec.symbol] * (1 + draw * self._volatility)
        # A floor of a few ticks keeps a long walk from reaching zero on a coarse grid.
        last = max(nearest(moved, tick), tick * 10)
        self._prices[spec.symbol] = last
        half_spread = max(tick, floor_to(last * self._spread / 2, tick))
        return Tick(symbol=spec.symbol, bid=last - half_spread, ask=last + half_spread, last=last, at=now)
