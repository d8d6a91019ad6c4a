"""Fills as execution publishes them, for tests that feed them to a service."""

from __future__ import annotations

from decimal import Decimal
from typing import Any
from uuid import UUID, uuid4

from tradeplane.contracts import LiquiditySide, OrderFilled, Side, new_meta, utcnow


def order_filled(
    user_id: UUID,
    side: Side = Side.BUY,
    quantity: str = "0.01",
    price: str = "50000",
    fee: str = "0",
    **fields: Any,
) -> OrderFilled:
    """A fill that completes a new paper BTC/USDT order now, as a taker paying `fee` USDT, on an account
    of its own; `fields` sets any other field (`account_id`, `symbol`, `filled_at`, ...)."""
    values: dict[str, Any] = {
        "meta": new_meta("execution"),
        "order_id": uuid4(),
        "user_id": user_id,
        "account_id": uuid4(),
        "fill_id": uuid4().hex,
        "venue": "paper",
        "symbol": "BTC/USDT",
        "side": side,
        "quantity": Decimal(quantity),
        "price": Decimal(price),
        "fee": Decimal(fee),
        "fee_currency": "USDT",
        "liquidity": LiquiditySide.TAKER,
        "filled_quantity": Decimal(quantity),
        "order_quantity": Decimal(quantity),
        "filled_at": utcnow(),
    }
    return OrderFilled(**(values | fields))
