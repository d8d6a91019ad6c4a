"""Incremental indicators give exact Decimal values from the values seen so far."""

from __future__ import annotations

from decimal import Decimal

from tradeplane.strategies import Bollinger, Ema

from .builders import D


def test_ema_is_seeded_with_the_simple_average_then_smooths() -> None:
    ema = Ema(3)
    assert [ema.update(D(x)) for x in (1, 2, 3)] == [None, None, D(2)]
    assert ema.update(D(6)) == D(4)  # 2 + 0.5 * (6 - 2)


def test_bollinger_bands_over_a_full_window() -> None:
    bands = Bollinger(4, D(2))
    assert [bands.update(D(x)) for x in (2, 4, 4)] == [None, None, None]
    # window 2, 4, 4, 6: mean 4, population variance (4 + 0 + 0 + 4) / 4 = 2
    lower, middle, upper = bands.update(D(6)) or (Decimal(0),) * 3
    assert middle == D(4)
    assert upper - middle == middle - lower == 2 * D(2).sqrt()


def test_bollinger_window_slides() -> None:
    bands = Bollinger(2, D(1))
    bands.update(D(1))
    bands.update(D(3))
    assert bands.update(D(5)) == (D(3), D(4), D(5))
