"""The seeded synthetic feed: deterministic, on the tick grid, quoting a small spread."""

from __future__ import annotations

from decimal import Decimal

from tradeplane.paper.feed import SyntheticFeed, Tick
from tradeplane.paper.markets import PAPER_MARKETS, PAPER_START_PRICES

from .builders import at


def run(seed: int, steps: int = 50) -> list[Tick]:
    feed = SyntheticFeed(seed, PAPER_MARKETS)
    return [tick for second in range(steps) for tick in feed.next(at(second))]


def test_same_seed_gives_the_same_ticks() -> None:
    assert run(7) == run(7)


def test_different_seeds_give_different_ticks() -> None:
    assert run(7) != run(8)


def test_every_call_quotes_each_symbol_once_at_the_given_time() -> None:
    feed = SyntheticFeed(1, PAPER_MARKETS)

    ticks = feed.next(at(5))

    assert sorted(t.symbol for t in ticks) == sorted(PAPER_MARKETS)
    assert {t.at for t in ticks} == {at(5)}


def test_prices_are_on_the_tick_grid_with_bid_below_last_below_ask() -> None:
    for tick in run(3, steps=200):
        step = PAPER_MARKETS[tick.symbol].price_precision
        assert tick.bid % step == tick.ask % step == tick.last % step == 0
        assert tick.bid < tick.last < tick.ask


def test_spread_is_a_few_basis_points_at_most() -> None:
    for tick in run(3, steps=200):
        step = PAPER_MARKETS[tick.symbol].price_precision
        assert tick.ask - tick.bid <= max(2 * step, tick.last * Decimal("0.0002"))


def test_each_move_stays_within_the_volatility_plus_half_a_tick() -> None:
    feed = SyntheticFeed(11, PAPER_MARKETS, volatility_bps=Decimal("5"))
    previous = dict(PAPER_START_PRICES)
    for second in range(200):
        for tick in feed.next(at(second)):
            bound = previous[tick.symbol] * Decimal("0.0005") + PAPER_MARKETS[tick.symbol].price_precision / 2
            assert abs(tick.last - previous[tick.symbol]) <= bound
            previous[tick.symbol] = tick.last


def test_walk_starts_near_the_start_price() -> None:
    feed = SyntheticFeed(5, PAPER_MARKETS)

    first = {t.symbol: t.last for t in feed.next(at(0))}

    for symbol, price in PAPER_START_PRICES.items():
        assert abs(first[symbol] - price) <= price * Decimal("0.001")
