"""The paper venue's order book: synthetic, around the current bid and ask.

The paper engine has no resting liquidity of its own: an order takes up to `liquidity_per_tick` of quote
notional per tick at the touch. The book shows that as levels one price tick apart from the bid down and
the ask up, each holding `liquidity_per_tick / price` (rounded down to the market's step, at least one
step): what an order of that size would meet. It is a picture of the simulation, not a real book.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from tradeplane.paper.markets import MarketSpec, floor_to

Level = tuple[Decimal, Decimal]
"""(price, quantity)."""


@dataclass(frozen=True, slots=True)
class Book:
    bids: list[Level]
    """Best (highest) first."""
    asks: list[Level]
    """Best (lowest) first."""


def _quantity(spec: MarketSpec, price: Decimal, liquidity: Decimal) -> Decimal:
    return max(spec.amount_precision, floor_to(liquidity / price, spec.amount_precision))


def synthetic_book(spec: MarketSpec, bid: Decimal, ask: Decimal, liquidity: Decimal, depth: int) -> Book:
    tick = spec.price_precision
    bids = [bid - tick * i for i in range(depth)]
    asks = [ask + tick * i for i in range(depth)]
    return Book(
        bids=[(price, _quantity(spec, price, liquidity)) for price in bids if price > 0],
        asks=[(price, _quantity(spec, price, liquidity)) for price in asks],
    )
