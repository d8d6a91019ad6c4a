"""The ccxt venue over a fake exchange object: error mapping, nonce retries, orders, fills, markets."""

from __future__ import annotations

import base64
from collections.abc import Iterable
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any
from urllib.parse import parse_qs
from uuid import uuid4

import pytest
from ccxt.base import errors as ccxt_errors
from ccxt.base.decimal_to_precision import DECIMAL_PLACES, SIGNIFICANT_DIGITS, TICK_SIZE
from tradeplane.contracts import LiquiditySide, OrderStatus, OrderType, Side, VenueErrorCategory
from tradeplane.execution.adapters.ccxt_venue import (
    CcxtSettings,
    CcxtVenue,
    UnknownExchange,
    create_ccxt_venue,
    market_spec,
)
from tradeplane.execution.adapters.nonces import NonceStore
from tradeplane.execution.adapters.venue import Credentials, VenueCallError, VenueOrder, client_order_id_for

C = VenueErrorCategory
Raw = dict[str, Any]
SETTINGS = CcxtSettings(ccxt_rate_limit=False, nonce_retries=3)


class FakeExchange:
    """The ccxt calls the venue makes, answered from lists a test fills; errors queued per method."""

    id = "fakex"
    precisionMode = TICK_SIZE

    def __init__(self, triggers: bool = False) -> None:
        self.features = {"spot": {"createOrder": {"triggerPrice": triggers}}}
        self.calls: list[tuple[str, tuple[Any, ...]]] = []
        self.errors: dict[str, list[BaseException]] = {}
        self.created: Raw = {"id": "V1", "status": "open", "filled": 0.0}
        self.orders: dict[str, Raw] = {}
        self.trades: list[Raw] = []
        self.balance: Raw = {}

    def fail(self, method: str, *errors: BaseException) -> None:
        self.errors.setdefault(method, []).extend(errors)

    def called(self, method: str) -> list[tuple[Any, ...]]:
        return [args for name, args in self.calls if name == method]

    def _call(self, method: str, args: tuple[Any, ...]) -> None:
        self.calls.append((method, args))
        if self.errors.get(method):
            raise self.errors[method].pop(0)

    async def create_order(self, *args: Any) -> Raw:
        self._call("create_order", args)
        return self.created

    async def fetch_order(self, order_id: str, symbol: str) -> Raw:
        self._call("fetch_order", (order_id, symbol))
        if order_id not in self.orders:
            raise ccxt_errors.OrderNotFound(order_id)
        return self.orders[order_id]

    async def cancel_order(self, order_id: str | None, symbol: str, params: Raw) -> Raw:
        self._call("cancel_order", (order_id, symbol, params))
        return {"id": order_id}

    def _listed(self, statuses: Iterable[str], params: Raw | None) -> list[Raw]:
        cid = (params or {}).get("clientOrderId")
        return [
            o
            for o in self.orders.values()
            if o["status"] in statuses and cid in (None, o.get("clientOrderId"))
        ]

    async def fetch_open_orders(
        self, symbol: str, since: Any = None, limit: Any = None, params: Any = None
    ) -> list[Raw]:
        self._call("fetch_open_orders", (symbol, params))
        return self._listed(["open"], params)

    async def fetch_closed_orders(self, symbol: str, since: Any, limit: Any, params: Raw) -> list[Raw]:
        self._call("fetch_closed_orders", (symbol, params))
        return self._listed(["closed", "canceled"], params)

    async def fetch_my_trades(self, symbol: str) -> list[Raw]:
        self._call("fetch_my_trades", (symbol,))
        return self.trades

    async def fetch_balance(self) -> Raw:
        self._call("fetch_balance", ())
        return self.balance

    async def load_markets(self) -> dict[str, Raw]:
        self._call("load_markets", ())
        return {}

    async def close(self) -> None:
        self._call("close", ())


@pytest.fixture
def fake() -> FakeExchange:
    return FakeExchange()


@pytest.fixture
def store() -> NonceStore:
    return NonceStore(None)


@pytest.fixture
def venue(fake: FakeExchange, store: NonceStore) -> CcxtVenue:
    return CcxtVenue(uuid4(), fake, store, SETTINGS)


def an_order(type: OrderType = OrderType.MARKET, **changes: Any) -> VenueOrder:
    order_id = uuid4()
    fields: dict[str, Any] = {
        "order_id": order_id,
        "client_order_id": client_order_id_for(order_id),
        "symbol": "BTC/USDT",
        "side": Side.BUY,
        "type": type,
        "quantity": Decimal("0.00100000"),
    }
    return VenueOrder(**(fields | changes))


def venue_order(order: VenueOrder, status: str, filled: float, venue_id: str = "V1", **extra: Any) -> Raw:
    return {
        "id": venue_id,
        "clientOrderId": order.client_order_id,
        "status": status,
        "filled": filled,
    } | extra


def a_trade(trade_id: str, venue_id: str = "V1", maker: bool = False) -> Raw:
    return {
        "id": trade_id,
        "order": venue_id,
        "amount": 0.001,
        "price": 60000.1,
        "fee": {"cost": 0.156, "currency": "USDT"},
        "takerOrMaker": "maker" if maker else "taker",
        "timestamp": 1_736_164_800_000,
    }


@pytest.mark.parametrize(
    ("error", "category"),
    [
        (ccxt_errors.AuthenticationError("EAPI:Invalid key"), C.AUTH),
        (ccxt_errors.ExchangeError("EAPI:Invalid signature"), C.AUTH),
        (ccxt_errors.InsufficientFunds("EOrder:Insufficient funds"), C.INSUFFICIENT_FUNDS),
        (ccxt_errors.InvalidOrder("EOrder:Order minimum not met"), C.INVALID_ORDER),
        (ccxt_errors.DDoSProtection("EAPI:Rate limit exceeded"), C.RATE_LIMIT),
        (ccxt_errors.DDoSProtection("cloudflare says no"), C.NETWORK),
        (ccxt_errors.RequestTimeout("timed out"), C.NETWORK),
        (ccxt_errors.ExchangeNotAvailable("503"), C.NETWORK),
        (ccxt_errors.ExchangeError("EGeneral:Internal error"), C.EXCHANGE),
        (ValueError("not from ccxt"), C.EXCHANGE),
    ],
)
async def test_ccxt_error_is_raised_as_venue_call_error_of_its_category(
    fake: FakeExchange, venue: CcxtVenue, error: Exception, category: VenueErrorCategory
) -> None:
    fake.fail("fetch_balance", error)

    with pytest.raises(VenueCallError) as raised:
        await venue.balance()

    assert raised.value.category is category


async def test_venue_call_error_carries_the_exchanges_reason(fake: FakeExchange, venue: CcxtVenue) -> None:
    fake.fail("fetch_balance", ccxt_errors.AuthenticationError("kraken EAPI:Invalid key"))

    with pytest.raises(VenueCallError, match="EAPI:Invalid key"):
        await venue.balance()


async def test_refused_nonce_is_retried_until_the_call_succeeds(
    fake: FakeExchange, venue: CcxtVenue, store: NonceStore
) -> None:
    fake.balance = {"total": {"USDT": 5.0}, "USDT": {"free": 5.0, "used": 0.0, "total": 5.0}}
    fake.fail("fetch_balance", ccxt_errors.InvalidNonce("x"), ccxt_errors.InvalidNonce("x"))

    balance = await venue.balance()

    assert balance["USDT"]["total"] == Decimal("5.0")
    assert len(fake.called("fetch_balance")) == 3


async def test_two_refused_nonces_jump_the_accounts_nonce(
    fake: FakeExchange, venue: CcxtVenue, store: NonceStore
) -> None:
    fake.fail("fetch_balance", ccxt_errors.InvalidNonce("x"), ccxt_errors.InvalidNonce("x"))

    await venue.balance()

    stats = await store.stats(venue.account_id)
    assert (stats["jumps"], stats["totalErrors"], stats["consecutiveErrors"]) == (1, 2, 0)


async def test_nonce_refused_on_every_retry_raises_a_nonce_error(
    fake: FakeExchange, venue: CcxtVenue
) -> None:
    fake.fail("fetch_balance", *(ccxt_errors.InvalidNonce("x") for _ in range(4)))

    with pytest.raises(VenueCallError) as raised:
        await venue.balance()

    assert (raised.value.category, len(fake.called("fetch_balance"))) == (C.NONCE, 4)


async def test_network_error_while_placing_an_order_is_not_retried(
    fake: FakeExchange, venue: CcxtVenue
) -> None:
    fake.fail("create_order", ccxt_errors.RequestTimeout("timed out"))

    with pytest.raises(VenueCallError) as raised:
        await venue.submit(an_order())

    assert (raised.value.category, raised.value.retryable) == (C.NETWORK, True)
    assert len(fake.called("create_order")) == 1


async def test_submit_sends_the_client_order_id_and_exact_decimal_text(
    fake: FakeExchange, venue: CcxtVenue
) -> None:
    order = an_order(OrderType.LIMIT, price=Decimal("60000.10"))

    await venue.submit(order)

    [args] = fake.called("create_order")
    assert args == (
        "BTC/USDT",
        "limit",
        "buy",
        "0.00100000",
        "60000.10",
        {"clientOrderId": order.client_order_id},
    )


async def test_submit_reads_the_order_when_the_create_answer_has_no_status(
    fake: FakeExchange, venue: CcxtVenue
) -> None:
    order = an_order()
    fake.created = {"id": "V1", "status": None}
    fake.orders["V1"] = venue_order(order, "closed", 0.001)
    fake.trades = [a_trade("T1")]

    report = await venue.submit(order)

    assert (report.status, report.venue_order_id, [f.fill_id for f in report.fills]) == (
        OrderStatus.FILLED,
        "V1",
        ["T1"],
    )


async def test_submit_reports_the_order_open_when_reading_it_back_fails(
    fake: FakeExchange, venue: CcxtVenue
) -> None:
    fake.created = {"id": "V1", "status": None}
    fake.fail("fetch_order", ccxt_errors.RequestTimeout("timed out"))

    report = await venue.submit(an_order())

    assert (report.status, report.venue_order_id) == (OrderStatus.OPEN, "V1")


async def test_stop_order_where_ccxt_has_no_trigger_price_is_invalid_and_not_sent(
    fake: FakeExchange, venue: CcxtVenue
) -> None:
    with pytest.raises(VenueCallError) as raised:
        await venue.submit(an_order(OrderType.STOP, stop_price=Decimal("59000")))

    assert (raised.value.category, fake.called("create_order")) == (C.INVALID_ORDER, [])


async def test_stop_limit_order_sends_a_trigger_price_where_ccxt_supports_it(store: NonceStore) -> None:
    fake = FakeExchange(triggers=True)
    venue = CcxtVenue(uuid4(), fake, store, SETTINGS)
    order = an_order(OrderType.STOP_LIMIT, price=Decimal("59000"), stop_price=Decimal("59100"))

    await venue.submit(order)

    [(_, kind, _, _, price, params)] = fake.called("create_order")
    assert (kind, price, params["triggerPrice"]) == ("limit", "59000", "59100")


async def test_cancel_of_an_order_that_already_filled_returns_its_final_report(
    fake: FakeExchange, venue: CcxtVenue
) -> None:
    order = an_order(venue_order_id="V1")
    fake.fail("cancel_order", ccxt_errors.OrderNotFound("EOrder:Unknown order"))
    fake.orders["V1"] = venue_order(order, "closed", 0.001)
    fake.trades = [a_trade("T1")]

    report = await venue.cancel(order)

    assert (report.status, report.filled_quantity) == (OrderStatus.FILLED, Decimal("0.001"))


async def test_cancel_reports_the_cancelled_order(fake: FakeExchange, venue: CcxtVenue) -> None:
    order = an_order(OrderType.LIMIT, price=Decimal("50000"), venue_order_id="V1")
    fake.orders["V1"] = venue_order(order, "canceled", 0.0, info={"reason": "User requested"})

    report = await venue.cancel(order)

    assert (report.status, report.reason) == (OrderStatus.CANCELLED, "User requested")


async def test_lookup_finds_a_filled_order_among_closed_orders_by_client_order_id(
    fake: FakeExchange, venue: CcxtVenue
) -> None:
    order = an_order()
    fake.orders["V1"] = venue_order(order, "closed", 0.001)
    fake.trades = [a_trade("T1")]

    report = await venue.lookup(order)

    assert report is not None
    assert (report.venue_order_id, report.status, len(report.fills)) == ("V1", OrderStatus.FILLED, 1)


async def test_lookup_of_an_order_the_venue_never_got_is_none(fake: FakeExchange, venue: CcxtVenue) -> None:
    assert await venue.lookup(an_order()) is None


async def test_lookup_ignores_orders_of_other_client_ids(fake: FakeExchange, venue: CcxtVenue) -> None:
    order = an_order()
    fake.orders["V9"] = {"id": "V9", "clientOrderId": "someone-else", "status": "open", "filled": 0.0}

    async def unfiltered(symbol: str, since: Any = None, limit: Any = None, params: Any = None) -> list[Raw]:
        return list(fake.orders.values())

    fake.fetch_open_orders = unfiltered  # type: ignore[method-assign]

    assert await venue.lookup(order) is None


async def test_poll_leaves_out_orders_that_did_not_change(fake: FakeExchange, venue: CcxtVenue) -> None:
    order = an_order(OrderType.LIMIT, price=Decimal("50000"), venue_order_id="V1")
    fake.orders["V1"] = venue_order(order, "open", 0.0)

    assert await venue.poll([order]) == []


async def test_poll_reports_fills_under_the_venues_trade_ids_with_fee_in_its_currency(
    fake: FakeExchange, venue: CcxtVenue
) -> None:
    order = an_order(OrderType.LIMIT, price=Decimal("60000.1"), venue_order_id="V1")
    fake.orders["V1"] = venue_order(order, "closed", 0.001)
    fake.trades = [a_trade("T1", maker=True), a_trade("T2", venue_id="V2")]

    [report] = await venue.poll([order])

    [fill] = report.fills
    assert (fill.fill_id, fill.price, fill.fee, fill.fee_currency, fill.liquidity) == (
        "T1",
        Decimal("60000.1"),
        Decimal("0.156"),
        "USDT",
        LiquiditySide.MAKER,
    )
    assert fill.at == datetime(2025, 1, 6, 12, tzinfo=UTC)


async def test_poll_finds_a_finished_order_by_its_venue_id(fake: FakeExchange, venue: CcxtVenue) -> None:
    order = an_order(venue_order_id="V1")
    fake.orders["V1"] = venue_order(order, "canceled", 0.0)

    [report] = await venue.poll([order])

    assert report.status is OrderStatus.CANCELLED


async def test_partially_filled_open_order_reports_partially_filled(
    fake: FakeExchange, venue: CcxtVenue
) -> None:
    order = an_order(OrderType.LIMIT, price=Decimal("50000"), quantity=Decimal("0.002"), venue_order_id="V1")
    fake.orders["V1"] = venue_order(order, "open", 0.001)
    fake.trades = [a_trade("T1")]

    [report] = await venue.poll([order])

    assert (report.status, report.filled_quantity) == (OrderStatus.PARTIALLY_FILLED, Decimal("0.001"))


MARKET: Raw = {
    "symbol": "ETH/USDT",
    "base": "ETH",
    "quote": "USDT",
    "spot": True,
    "active": True,
    "precision": {"price": 0.01, "amount": 1e-08},
    "limits": {"amount": {"min": 0.002}, "cost": {"min": 0.5}},
    "maker": 0.0016,
    "taker": 0.0026,
}


def test_market_spec_takes_tick_step_and_minimums_as_exact_decimals() -> None:
    spec = market_spec(MARKET, TICK_SIZE)

    assert spec is not None
    assert (spec.price_precision, spec.amount_precision, spec.min_amount, spec.min_notional) == (
        Decimal("0.01"),
        Decimal("0.00000001"),
        Decimal("0.002"),
        Decimal("0.5"),
    )
    assert (spec.maker_fee, spec.taker_fee) == (Decimal("0.0016"), Decimal("0.0026"))


def test_market_spec_turns_decimal_places_into_step_sizes() -> None:
    spec = market_spec(MARKET | {"precision": {"price": 2, "amount": 5}}, DECIMAL_PLACES)

    assert spec is not None
    assert (spec.price_precision, spec.amount_precision) == (Decimal("0.01"), Decimal("0.00001"))


@pytest.mark.parametrize(
    ("changes", "mode"),
    [({"active": False}, TICK_SIZE), ({"spot": False}, TICK_SIZE), ({}, SIGNIFICANT_DIGITS)],
)
def test_market_spec_skips_inactive_non_spot_and_significant_digit_markets(changes: Raw, mode: int) -> None:
    assert market_spec(MARKET | changes, mode) is None


SECRET = base64.b64encode(b"k" * 64).decode()


def test_unknown_exchange_id_is_a_clear_error(store: NonceStore) -> None:
    with pytest.raises(UnknownExchange, match="nosuchexchange"):
        create_ccxt_venue(uuid4(), "nosuchexchange", Credentials("key", SECRET), False, store, SETTINGS)


def test_sandbox_on_an_exchange_without_one_is_refused(store: NonceStore) -> None:
    with pytest.raises(VenueCallError, match="no sandbox"):
        create_ccxt_venue(uuid4(), "kraken", Credentials("key", SECRET), True, store, SETTINGS)


def test_url_override_replaces_every_api_url(store: NonceStore) -> None:
    credentials = Credentials("key", SECRET, urls={"api": "http://127.0.0.1:1"})

    venue = create_ccxt_venue(uuid4(), "kraken", credentials, False, store, SETTINGS)

    api = venue.exchange.urls["api"]
    assert (api["public"], api["private"]) == ("http://127.0.0.1:1", "http://127.0.0.1:1")


def test_url_override_from_the_environment_applies_to_its_exchange(
    store: NonceStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TP_CCXT_API_URLS", '{"kraken": "http://127.0.0.1:2"}')

    venue = create_ccxt_venue(uuid4(), "kraken", Credentials("key", SECRET), False, store, CcxtSettings())

    assert venue.exchange.urls["api"]["private"] == "http://127.0.0.1:2"


async def test_kraken_signs_each_private_request_with_the_stores_next_nonce(store: NonceStore) -> None:
    credentials = Credentials("key", SECRET, urls={"api": "http://127.0.0.1:1"})
    venue = create_ccxt_venue(uuid4(), "kraken", credentials, False, store, SETTINGS)
    sent: list[int] = []

    async def fetch(url: str, method: str = "GET", headers: Any = None, body: Any = None) -> Raw:
        sent.append(int(parse_qs(body)["nonce"][0]))
        return {"error": [], "result": {}}

    venue.exchange.fetch = fetch
    for _ in range(3):
        await venue.exchange.privatePostBalance()

    stats = await store.stats(venue.account_id)
    assert sent == sorted(set(sent)) and len(sent) == 3
    assert max(sent) <= stats["highWater"]
