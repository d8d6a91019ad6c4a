"""The ccxt venue adapter with unmodified ccxt against the Kraken emulator, nonces kept in real PostgreSQL."""

from __future__ import annotations

import base64
import os
import time
from collections.abc import AsyncIterator
from dataclasses import replace
from decimal import Decimal
from uuid import UUID, uuid4

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine
from tradeplane.contracts import OrderStatus, OrderType, Side, VenueErrorCategory
from tradeplane.execution.adapters.ccxt_venue import (
    CcxtSettings,
    CcxtVenue,
    create_ccxt_venue,
    verify_credentials,
)
from tradeplane.execution.adapters.nonces import NonceStore, nonce_stats
from tradeplane.execution.adapters.venue import Credentials, VenueCallError, VenueOrder, client_order_id_for
from tradeplane.execution.domain.nonce import MICROS

from tests.support.databases import nonce_engine
from tests.support.kraken_emulator import KrakenEmulator, emulator_fixtures

pytestmark = pytest.mark.integration

KEY = "exec-key-1"
SECRET = base64.b64encode(os.urandom(64)).decode()
SETTINGS = CcxtSettings(ccxt_rate_limit=False, ccxt_timeout_ms=5000)


server, emulator = emulator_fixtures(KEY, SECRET, hang_seconds=3)


@pytest.fixture(scope="module")
async def engine(postgres_server_url: str) -> AsyncIterator[AsyncEngine]:
    async with nonce_engine(postgres_server_url, "tp_ccxt") as engine:
        yield engine


def open_venue(
    emulator: KrakenEmulator, engine: AsyncEngine, account: UUID, settings: CcxtSettings = SETTINGS
) -> CcxtVenue:
    credentials = Credentials(KEY, SECRET, urls={"api": emulator.url})
    return create_ccxt_venue(account, "kraken", credentials, False, NonceStore(engine), settings)


@pytest.fixture
async def venue(emulator: KrakenEmulator, engine: AsyncEngine, account: UUID) -> AsyncIterator[CcxtVenue]:
    venue = open_venue(emulator, engine, account)
    yield venue
    await venue.close()


def market_buy(quantity: str = "0.001", symbol: str = "BTC/USDT") -> VenueOrder:
    order_id = uuid4()
    return VenueOrder(
        order_id, client_order_id_for(order_id), symbol, Side.BUY, OrderType.MARKET, Decimal(quantity)
    )


def limit_buy(price: str = "2900", quantity: str = "0.1", symbol: str = "ETH/USDT") -> VenueOrder:
    order_id = uuid4()
    return VenueOrder(
        order_id,
        client_order_id_for(order_id),
        symbol,
        Side.BUY,
        OrderType.LIMIT,
        Decimal(quantity),
        Decimal(price),
    )


async def test_market_order_is_placed_signed_and_reported_filled_with_its_trade(
    emulator: KrakenEmulator, venue: CcxtVenue
) -> None:
    order = market_buy()

    report = await venue.submit(order)

    [received] = emulator.add_orders_for(KEY)
    [trade] = emulator.accounts[KEY].trades
    assert (received.cl_ord_id, received.error) == (order.client_order_id, None)
    assert (report.status, report.venue_order_id, [f.fill_id for f in report.fills]) == (
        OrderStatus.FILLED,
        received.txid,
        [trade],
    )
    assert (report.fills[0].fee, report.fills[0].fee_currency) == (Decimal("0.156"), "USDT")


async def test_two_injected_nonce_errors_jump_the_nonce_and_the_order_still_goes_through(
    emulator: KrakenEmulator, venue: CcxtVenue, engine: AsyncEngine, account: UUID
) -> None:
    started = time.time_ns() // 1000
    emulator.inject(KEY, "invalid_nonce", times=2)

    report = await venue.submit(market_buy())

    stats = await nonce_stats(engine, account)
    assert report.status is OrderStatus.FILLED
    assert (stats["jumps"], stats["totalErrors"], stats["consecutiveErrors"]) == (1, 2, 0)
    assert emulator.accounts[KEY].last_nonce >= started + 60 * MICROS


async def test_lookup_after_a_lost_answer_finds_the_one_order_so_no_resubmit_is_needed(
    emulator: KrakenEmulator, engine: AsyncEngine, account: UUID
) -> None:
    venue = open_venue(emulator, engine, account, SETTINGS.model_copy(update={"ccxt_timeout_ms": 500}))
    order = market_buy()
    emulator.inject(KEY, "timeout_after_apply")
    try:
        with pytest.raises(VenueCallError) as raised:
            await venue.submit(order)
        report = await venue.lookup(order)
    finally:
        await venue.close()

    assert raised.value.category is VenueErrorCategory.NETWORK
    assert report is not None and report.status is OrderStatus.FILLED
    assert [r.cl_ord_id for r in emulator.add_orders_for(KEY)] == [order.client_order_id]


async def test_five_injected_auth_errors_give_five_auth_venue_call_errors(
    emulator: KrakenEmulator, venue: CcxtVenue
) -> None:
    emulator.inject(KEY, "auth", times=5)
    categories = []

    for _ in range(5):
        with pytest.raises(VenueCallError) as raised:
            await venue.submit(market_buy())
        categories.append(raised.value.category)

    assert categories == [VenueErrorCategory.AUTH] * 5


async def test_restarted_venue_is_accepted_at_once_though_its_nonces_ran_a_minute_ahead(
    emulator: KrakenEmulator, engine: AsyncEngine, account: UUID
) -> None:
    first = open_venue(emulator, engine, account)
    emulator.inject(KEY, "invalid_nonce", times=2)
    await first.balance()  # heals by jumping: the venue now holds a nonce a minute ahead of the clock
    await first.close()
    sent_before = emulator.accounts[KEY].last_nonce

    second = open_venue(emulator, engine, account)
    try:
        await second.balance()
    finally:
        await second.close()

    assert emulator.accounts[KEY].last_nonce > sent_before
    assert (await nonce_stats(engine, account))["totalErrors"] == 2


async def test_resting_limit_order_fill_is_reported_by_poll(
    emulator: KrakenEmulator, venue: CcxtVenue
) -> None:
    order = limit_buy()
    placed = await venue.submit(order)
    emulator.set_price("ETH/USDT", Decimal("2850"))

    [report] = await venue.poll([replace(order, venue_order_id=placed.venue_order_id)])

    assert (placed.status, report.status, report.fills[0].price) == (
        OrderStatus.OPEN,
        OrderStatus.FILLED,
        Decimal("2900"),
    )


async def test_cancel_of_a_resting_limit_order_reports_it_cancelled(
    emulator: KrakenEmulator, venue: CcxtVenue
) -> None:
    order = limit_buy()
    placed = await venue.submit(order)

    report = await venue.cancel(replace(order, venue_order_id=placed.venue_order_id))

    assert report.status is OrderStatus.CANCELLED


async def test_order_beyond_the_funds_is_an_insufficient_funds_error(venue: CcxtVenue) -> None:
    with pytest.raises(VenueCallError) as raised:
        await venue.submit(market_buy("1"))

    assert raised.value.category is VenueErrorCategory.INSUFFICIENT_FUNDS


async def test_markets_carry_kraken_tick_step_and_minimums(venue: CcxtVenue) -> None:
    specs = {spec.symbol: spec for spec in await venue.markets()}

    eth = specs["ETH/USDT"]
    assert (eth.price_precision, eth.min_amount, eth.min_notional) == (
        Decimal("0.01"),
        Decimal("0.002"),
        Decimal("0.5"),
    )


async def test_balance_reports_free_and_held_funds_as_decimals(venue: CcxtVenue) -> None:
    assert (await venue.balance())["USDT"] == {
        "free": Decimal("10000"),
        "used": Decimal("0"),
        "total": Decimal("10000"),
    }


async def test_verify_credentials_accepts_the_right_key(emulator: KrakenEmulator) -> None:
    await verify_credentials(
        "kraken", Credentials(KEY, SECRET, urls={"api": emulator.url}), False, settings=SETTINGS
    )


async def test_verify_credentials_with_a_wrong_secret_is_an_auth_error(emulator: KrakenEmulator) -> None:
    wrong = base64.b64encode(os.urandom(64)).decode()

    with pytest.raises(VenueCallError) as raised:
        await verify_credentials(
            "kraken", Credentials(KEY, wrong, urls={"api": emulator.url}), False, settings=SETTINGS
        )

    assert raised.value.category is VenueErrorCategory.AUTH


async def test_invalid_signature_wording_is_an_auth_error_too() -> None:
    async with KrakenEmulator(bad_signature_error="EAPI:Invalid signature") as emu:
        emu.add_account(KEY, SECRET)
        wrong = base64.b64encode(os.urandom(64)).decode()
        with pytest.raises(VenueCallError) as raised:
            await verify_credentials(
                "kraken", Credentials(KEY, wrong, urls={"api": emu.url}), False, settings=SETTINGS
            )

    assert raised.value.category is VenueErrorCategory.AUTH
