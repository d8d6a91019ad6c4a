"""A bot's performance from its own fills: average cost, trades closed by sells, fees, unrealized."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from uuid import uuid4

from tradeplane.bots.domain.performance import performance
from tradeplane.bots.model import FillRow

NOW = datetime(2026, 12, 7, 12, 0, tzinfo=UTC)
BOT = uuid4()


def fill(
    side: str, quantity: str, price: str, fee: str = "1", hours_ago: int = 1, fee_currency: str = "USDT"
) -> FillRow:
    return FillRow(
        order_id=uuid4(),
        fill_id="f",
        bot_id=BOT,
        symbol="BTC/USDT",
        side=side,
        quantity=Decimal(quantity),
        price=Decimal(price),
        fee=Decimal(fee),
        fee_currency=fee_currency,
        filled_at=NOW - timedelta(hours=hours_ago),
    )


def test_a_sell_realizes_against_the_average_cost_and_the_rest_is_valued_at_the_last_price() -> None:
    fills = [fill("Buy", "1", "100"), fill("Buy", "1", "200"), fill("Sell", "1", "180", hours_ago=30)]

    result = performance(fills, {"BTC/USDT": Decimal("160")}, NOW)

    assert result.realized == Decimal("30")  # sold 1 at 180 against an average of 150
    assert result.unrealized == Decimal("10")  # 1 left at 150, now 160
    assert result.fees == Decimal("3")
    assert result.net == Decimal("37")
    assert (len(result.trades), result.win_rate) == (1, Decimal(100))
    assert result.fills_last_24h == 2
    assert result.open_positions == 1


def test_a_fee_in_the_base_asset_counts_at_the_fill_price_and_a_losing_trade_loses() -> None:
    fills = [fill("Buy", "2", "100", fee="0.01", fee_currency="BTC"), fill("Sell", "2", "90", fee="0")]

    result = performance(fills, {}, NOW)

    assert result.fees == Decimal("1.00")
    assert result.realized == Decimal("-20")
    assert result.win_rate == 0 and result.profit_factor == 0
    assert result.open_positions == 0


def test_no_fills_no_figures() -> None:
    result = performance([], {}, NOW)

    assert (result.net, result.trades, result.win_rate) == (0, [], None)
