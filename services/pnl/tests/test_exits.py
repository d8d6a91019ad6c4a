"""Unit tests of what a fill did: opened, closed (part of) a position, and the net PnL of what it closed."""

from __future__ import annotations

from decimal import Decimal

from tradeplane.pnl.domain.stored import apply_fill


def test_opening_fill_opens_and_closes_nothing(make_fill):
    effect = apply_fill(None, make_fill("buy", "2", "100", fee="0.2")).effect

    assert (effect.opened, effect.closed, effect.pnl_usd, effect.pnl_pct) == (2, 0, 0, 0)


def test_adding_to_a_position_opens_more(make_fill):
    state = apply_fill(None, make_fill("sell", "1", "100")).state

    effect = apply_fill(state, make_fill("sell", "1", "90")).effect

    assert (effect.opened, effect.closed) == (1, 0)


def test_closing_fill_carries_the_round_trips_net_pnl(make_fill):
    opened = apply_fill(None, make_fill("buy", "2", "100", fee="0.2"))

    closed = apply_fill(opened.state, make_fill("sell", "2", "110", fee="0.22"))

    assert closed.result.trade is not None
    assert (closed.effect.opened, closed.effect.closed) == (0, 2)
    assert closed.effect.pnl_usd == closed.result.trade.pnl_usd == Decimal("19.58")
    assert closed.effect.pnl_pct == closed.result.trade.pnl_pct == Decimal("9.79")


def test_partial_close_carries_its_share_of_the_pnl(make_fill):
    opened = apply_fill(None, make_fill("buy", "4", "100", fee="0.4"))

    part = apply_fill(opened.state, make_fill("sell", "1", "120", fee="0.12"))
    rest = apply_fill(part.state, make_fill("sell", "3", "90", fee="0.27"))

    assert (part.effect.closed, part.result.trade) == (1, None)
    assert part.effect.pnl_usd == Decimal("20") - Decimal("0.1") - Decimal("0.12")
    assert part.effect.pnl_pct == Decimal("19.7800")
    assert rest.result.trade is not None
    assert part.effect.pnl_usd + rest.effect.pnl_usd == rest.result.trade.pnl_usd


def test_reversal_closes_the_position_and_opens_the_rest(make_fill):
    opened = apply_fill(None, make_fill("buy", "1", "100", fee="0.1"))

    reversed_ = apply_fill(opened.state, make_fill("sell", "3", "110", fee="0.3"))

    assert reversed_.result.trade is not None
    assert (reversed_.effect.opened, reversed_.effect.closed) == (2, 1)
    assert reversed_.effect.pnl_usd == reversed_.result.trade.pnl_usd == Decimal("9.8")
    assert reversed_.position.quantity == -2
