"""Reference prices for notional checks, and the equity fallback."""

from decimal import Decimal
from types import SimpleNamespace
from typing import Any
from uuid import UUID, uuid4

import pytest
from nats.js.errors import NotFoundError
from tradeplane.contracts import OrderRequested, OrderType, Ticker, subjects
from tradeplane.risk import equity
from tradeplane.risk.equity import EquitySource, positive
from tradeplane.risk.market import Prices, load_latest
from tradeplane.runtime import testing

from .fakes import order_request


def order(price: str | None = None, **more: Any) -> OrderRequested:
    """A market order for 1 BTC/USDT, or a limit order at `price`, from a new user."""
    return order_request("1", price, user_id=uuid4(), **more)


def ticker(venue: str, last: str) -> Ticker:
    return testing.ticker(venue, "BTC/USDT", last)


def test_limit_order_is_judged_at_its_limit_price():
    prices = Prices()
    prices.update(ticker("paper", "50000"))
    assert prices.reference(order("40000")) == Decimal(40000)


def test_stop_order_is_judged_at_its_stop_price():
    assert Prices().reference(order(type=OrderType.STOP, stop_price="45000")) == Decimal(45000)


def test_market_order_is_judged_at_its_venues_last_price():
    prices = Prices()
    prices.update(ticker("kraken", "51000"))
    prices.update(ticker("paper", "50000"))
    assert prices.reference(order()) == Decimal(50000)


def test_market_order_falls_back_to_another_venues_price():
    prices = Prices()
    prices.update(ticker("kraken", "51000"))
    assert prices.reference(order()) == Decimal(51000)


def test_market_order_without_any_price_has_no_reference():
    assert Prices().reference(order()) is None


class StoredTickers:
    """The part of a JetStream context `load_latest` reads: the market stream's last message per subject."""

    def __init__(self, *tickers: Ticker) -> None:
        self.last = {subjects.ticker(t.venue, t.symbol): t.model_dump_json().encode() for t in tickers}

    async def stream_info(self, name: str, subjects_filter: str | None = None) -> Any:
        if not self.last:
            raise NotFoundError
        return SimpleNamespace(state=SimpleNamespace(subjects={s: 1 for s in self.last}))

    async def get_last_msg(self, stream_name: str, subject: str) -> Any:
        return SimpleNamespace(data=self.last[subject])


async def test_a_started_replica_knows_the_last_stored_price_before_any_new_ticker():
    prices = Prices()

    loaded = await load_latest(StoredTickers(ticker("paper", "50000")), prices)  # type: ignore[arg-type]

    assert (loaded, prices.reference(order())) == (1, Decimal(50000))


async def test_no_stored_tickers_leave_the_prices_empty():
    prices = Prices()

    assert await load_latest(StoredTickers(), prices) == 0  # type: ignore[arg-type]
    assert prices.reference(order()) is None


def test_positive_accepts_decimal_strings_and_refuses_the_rest():
    assert [positive(v) for v in ("12.5", 3, "0", "-1", "NaN", 1.5, True, None)] == [
        Decimal("12.5"),
        Decimal(3),
        None,
        None,
        None,
        None,
        None,
        None,
    ]


class Scripted(EquitySource):
    """Answers the pnl service's `portfolio` query from a script (None: it did not answer)."""

    def __init__(self, answers: list[dict[str, Any] | None]) -> None:
        super().__init__(lambda: None, Decimal(10_000), 0.1)  # type: ignore[arg-type, return-value]
        self.answers = answers
        self.asked = 0

    async def _portfolio(self, user_id: UUID) -> dict[str, Any] | None:
        self.asked += 1
        return self.answers.pop(0)


async def test_equity_from_the_pnl_service_is_asked_once():
    source, user = Scripted([{"totalValue": "2500", "equityKnown": True}]), uuid4()
    assert [await source.of(user), await source.of(user)] == [Decimal(2500), Decimal(2500)]
    assert source.asked == 1


async def test_unanswered_equity_uses_the_default():
    assert await Scripted([None]).of(uuid4()) == Decimal(10_000)


async def test_equity_the_pnl_service_does_not_know_is_unknown_not_the_default():
    unknown = {"totalValue": "0", "equityKnown": False}

    assert await Scripted([unknown]).of(uuid4()) is None


async def test_unknown_equity_is_asked_again_soon(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setattr(equity, "RETRY_UNKNOWN_AFTER", 0.0)
    source = Scripted([{"totalValue": "0", "equityKnown": False}, {"totalValue": "800", "equityKnown": True}])
    user = uuid4()

    assert [await source.of(user), await source.of(user)] == [None, Decimal(800)]
