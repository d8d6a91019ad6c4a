"""Fixtures shared by the execution unit tests."""

from __future__ import annotations

import pytest
from tradeplane.paper.engine import PaperEngine

from .builders import btc_tick, make_engine


@pytest.fixture
def engine() -> PaperEngine:
    """100,000 USDT, 2 BTC, quoted at 64999.00 / 65001.00."""
    paper = make_engine(btc="2")
    paper.on_tick(btc_tick(0, "64999.00", "65001.00"))
    return paper
