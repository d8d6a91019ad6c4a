"""Mean reversion: Bollinger bands; buy a close below the lower band, sell a close above the exit band."""

from __future__ import annotations

from tradeplane.contracts import Side
from tradeplane.strategies import run_offline

from .builders import D, candles

CONFIG = {"symbol": "BTC/USDT", "period": 4, "stdDevs": "1"}
# At 90 the window 100, 100, 100, 90 has mean 97.5 and sd 4.33: lower band 93.17, so it buys. At the
# next 100 the window 100, 90, 95, 100 has its middle at 96.25, so it sells.
CLOSES = ["100", "100", "100", "100", "90", "95", "100", "100"]


def intents(config: dict[str, object], closes: list[str]) -> list[tuple[Side, str]]:
    result = run_offline("mean_reversion", config, candles(closes), {"USDT": D(1000)})
    return [(i.side, str(i.quantity)) for i in result.intents]


def test_buys_below_the_lower_band_and_sells_above_the_middle() -> None:
    assert intents(CONFIG, CLOSES) == [(Side.BUY, "11.00110011"), (Side.SELL, "11.00110011")]


def test_exit_at_the_upper_band_holds_longer() -> None:
    assert intents({**CONFIG, "exitBand": "upper"}, CLOSES) == [(Side.BUY, "11.00110011")]


def test_no_trade_while_the_window_fills() -> None:
    assert intents(CONFIG, ["100", "100", "80"]) == []


def test_a_close_inside_the_bands_does_nothing() -> None:
    assert intents({**CONFIG, "stdDevs": "3"}, CLOSES) == []


def test_in_a_range_it_buys_dips_and_sells_rebounds_for_a_profit() -> None:
    closes = ["100", "102", "98", "100"] * 2 + ["92", "99", "103", "100", "91", "100", "104"]
    result = run_offline("mean_reversion", CONFIG, candles(closes), {"USDT": D(1000)})
    assert [i.side for i in result.intents] == [Side.BUY, Side.SELL, Side.BUY, Side.SELL]
    assert result.balances["USDT"] > 1000
