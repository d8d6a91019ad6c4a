"""Unit tests of what a fill did: opened, closed (part of) a position, and the net PnL of what it closed."""

from __future__ import annotations

from decimal import Decimal

import pytest
from tradeplane.pnl.domain.stored import apply_fill


def test_opening_fill_opens_and_closes_nothing(make_fill):
    effect = apply_fill(None, make_fill("buy", "2", "100", fee="0.2")).effect

    assert (effect.opened, effect.closed, effect.pnl_usd, effect.pnl_pct) == (2, 0, 0, 0)


def test_adding_to_a_position_opens_more(make_fill):
    state = apply_fill(None, make_fill("sell", "1", "100")).state

    effect = apply_fill(state, make_fill("sell", "1", "90")).effect

    assert (effect.opened, effect.closed) == (1, 0)


@pytest.mark.parametrize(
    ("opening", "closing", "moved", "pnl_usd", "pnl_pct", "left"),
    [
        (("2", "0.2"), ("2", "0.22"), (0, 2), "19.58", "9.79", 0),
        (("1", "0.1"), ("3", "0.3"), (2, 1), "9.8", "9.8", -2),
    ],
    ids=["closing-fill-carries-the-round-trips-net-pnl", "reversal-closes-the-position-and-opens-the-rest"],
)
def test_a_fill_that_closes_carries_the_round_trips_net_pnl(
    make_fill, opening, closing, moved, pnl_usd, pnl_pct, left
):
    """Bought at 100, sold at 110: the closed part's net PnL, and a reversal opens what is left over."""
    opened = apply_fill(None, make_fill("buy", opening[0], "100", fee=opening[1]))

    closed = apply_fill(opened.state, make_fill("sell", closing[0], "110", fee=closing[1]))

    assert closed.result.trade is not None
    assert (closed.effect.opened, closed.effect.closed) == moved
    assert closed.effect.pnl_usd == closed.result.trade.pnl_usd == Decimal(pnl_usd)
    assert closed.effect.pnl_pct == closed.result.trade.pnl_pct == Decimal(pnl_pct)
    assert closed.position.quantity == left


def test_partial_close_carries_its_share_of_the_pnl(make_fill):
    opened = apply_fill(None, make_fill("buy", "4", "100", fee="0.4"))

    part = apply_fill(opened.state, make_fill("sell", "1", "120", fee="0.12"))
    rest = apply_fill(part.state, make_fill("sell", "3", "90", fee="0.27"))

    assert (part.effect.closed, part.result.trade) == (1, None)
    assert part.effect.pnl_usd == Decimal("20") - Decimal("0.1") - Decimal("0.12")
    assert part.effect.pnl_pct == Decimal("19.7800")
    assert rest.result.trade is not None
    assert part.effect.pnl_usd + rest.effect.pnl_usd == rest.result.trade.pnl_usd
