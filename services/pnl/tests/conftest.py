"""Factories for fills and closed trades shared by the PnL domain tests."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any
from uuid import UUID, uuid4

import pytest
from tradeplane.contracts import Side
from tradeplane.pnl.domain.fills import Fill
from tradeplane.pnl.domain.trades import ClosedTrade

USER = UUID("00000000-0000-4000-8000-000000000001")
ACCOUNT = UUID("00000000-0000-4000-8000-000000000002")
ORDER = UUID("00000000-0000-4000-8000-000000000003")
T0 = datetime(2024, 1, 1, 12, 0, tzinfo=UTC)


@pytest.fixture
def make_fill() -> Callable[..., Fill]:
    """`make_fill("buy", "2", "100", fee="0.2")`: fill ids and times count up unless given."""
    counter = itertools.count()

    def make(side: str, quantity: str, price: str, fee: str = "0", **overrides: Any) -> Fill:
        n = next(counter)
        fields: dict[str, Any] = {
            "fill_id": f"f{n}",
            "order_id": ORDER,
            "user_id": USER,
            "account_id": ACCOUNT,
            "symbol": "BTC/USD",
            "side": Side.BUY if side == "buy" else Side.SELL,
            "quantity": Decimal(quantity),
            "price": Decimal(price),
            "fee": Decimal(fee),
            "fee_currency": "USD",
            "at": T0 + timedelta(minutes=n),
        }
        fields.update(overrides)
        return Fill(**fields)

    return make


@pytest.fixture
def make_trade() -> Callable[..., ClosedTrade]:
    """`make_trade("12.5", exit_at=...)`: a closed long trade with the given net PnL."""

    def make(pnl: str, exit_at: datetime = T0, account_id: UUID = ACCOUNT) -> ClosedTrade:
        return ClosedTrade(
            trade_id=uuid4(),
            user_id=USER,
            account_id=account_id,
            symbol="BTC/USD",
            side="long",
            quantity=Decimal(1),
            entry_price=Decimal(100),
            exit_price=Decimal(100) + Decimal(pnl),
            entry_at=exit_at - timedelta(hours=1),
            exit_at=exit_at,
            fees=Decimal(0),
            pnl_usd=Decimal(pnl),
            pnl_pct=Decimal(pnl),
        )

    return make
