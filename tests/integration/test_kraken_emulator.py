"""Unmodified ccxt `kraken` against the local Kraken emulator: market data, trading, auth and injected
faults."""

from __future__ import annotations

import asyncio
import base64
import os
import sys
from asyncio.subprocess import PIPE
from collections.abc import AsyncIterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import ccxt.async_support as ccxt
import httpx
import pytest

from tests.support.kraken_emulator import KrakenEmulator, emulator_fixtures
from tests.support.kraken_wire import signature_matches

pytestmark = pytest.mark.integration

KEY = "test-key-1"
SECRET = base64.b64encode(os.urandom(64)).decode()
ROOT = Path(__file__).resolve().parents[2]


server, emulator = emulator_fixtures(KEY, SECRET, hang_seconds=5, scope="session")


def _client(emu: KrakenEmulator, secret: str = SECRET, **options: Any) -> ccxt.kraken:
    # timeout_on_exit: ccxt otherwise sleeps 250 ms in close() for TLS sessions this plain-HTTP server lacks.
    return ccxt.kraken(emu.ccxt_config(KEY, secret) | {"timeout": 2000, "timeout_on_exit": 0} | options)


@pytest.fixture
async def kraken(emulator: KrakenEmulator) -> AsyncIterator[ccxt.kraken]:
    client = _client(emulator)
    yield client
    await client.close()


async def test_load_markets_carries_kraken_ids_precision_and_minimums(kraken: ccxt.kraken) -> None:
    markets = await kraken.load_markets()

    btc = markets["BTC/USDT"]
    assert {"BTC/USDT", "ETH/USDT", "SOL/USDT", "BTC/USD"} <= set(markets)
    assert (btc["id"], btc["precision"]["price"], btc["limits"]["amount"]["min"]) == ("XBTUSDT", 0.1, 0.00005)
    assert markets["BTC/USD"]["id"] == "XXBTZUSD"


async def test_fetch_ticker_reports_the_price_the_test_set(
    emulator: KrakenEmulator, kraken: ccxt.kraken
) -> None:
    emulator.set_price("SOL/USDT", Decimal("142.37"))

    ticker = await kraken.fetch_ticker("SOL/USDT")

    assert (ticker["last"], ticker["bid"], ticker["ask"]) == (142.37, 142.37, 142.37)


async def test_fetch_tickers_returns_each_requested_symbol(kraken: ccxt.kraken) -> None:
    tickers = await kraken.fetch_tickers(["BTC/USDT", "ETH/USDT"])

    assert set(tickers) == {"BTC/USDT", "ETH/USDT"}


async def test_public_book_trades_and_candles_are_at_the_price_the_test_set(
    emulator: KrakenEmulator, kraken: ccxt.kraken
) -> None:
    emulator.set_price("ETH/USDT", Decimal("2500"))

    book = await kraken.fetch_order_book("ETH/USDT", 3)
    trades = await kraken.fetch_trades("ETH/USDT")
    candles = await kraken.fetch_ohlcv("ETH/USDT", "5m")

    assert [len(book["bids"]), len(book["asks"])] == [3, 3]
    assert book["bids"][0][0] < 2500 < book["asks"][0][0]
    assert {t["price"] for t in trades} == {2500} and {t["side"] for t in trades} <= {"buy", "sell"}
    assert {c[4] for c in candles} == {2500} and all(c[0] % 300_000 == 0 for c in candles)
    with pytest.raises(ccxt.BadSymbol):
        await kraken.fetch_order_book("DOGE/USDT")


async def test_fetch_balance_reports_the_seeded_funds(kraken: ccxt.kraken) -> None:
    balance = await kraken.fetch_balance()

    assert balance["USDT"] == {"free": 10000.0, "used": 0.0, "total": 10000.0}


async def test_market_buy_fills_and_moves_balances_by_cost_plus_taker_fee(
    emulator: KrakenEmulator, kraken: ccxt.kraken
) -> None:
    await kraken.create_order("BTC/USDT", "market", "buy", 0.001)

    assert emulator.balance(KEY, "BTC") == Decimal("0.001")
    assert emulator.balance(KEY, "USDT") == Decimal("10000") - Decimal("60") * Decimal("1.0026")
    [trade] = await kraken.fetch_my_trades("BTC/USDT")
    assert (trade["price"], trade["fee"]["cost"], trade["takerOrMaker"]) == (60000.0, 0.156, "taker")


async def test_limit_buy_below_market_rests_and_holds_quote(
    emulator: KrakenEmulator, kraken: ccxt.kraken
) -> None:
    placed = await kraken.create_order("ETH/USDT", "limit", "buy", 0.1, 2900)

    order = await kraken.fetch_order(placed["id"])
    balance = await kraken.fetch_balance()
    assert (order["status"], order["filled"]) == ("open", 0.0)
    assert balance["USDT"]["used"] == pytest.approx(290 * 1.0026)


async def test_resting_limit_fills_at_its_price_as_maker_when_price_crosses(
    emulator: KrakenEmulator, kraken: ccxt.kraken
) -> None:
    placed = await kraken.create_order("ETH/USDT", "limit", "buy", 0.1, 2900)

    emulator.set_price("ETH/USDT", Decimal("2850"))

    order = await kraken.fetch_order(placed["id"])
    assert (order["status"], order["average"], order["fees"][0]["cost"]) == ("closed", 2900.0, 0.464)
    assert emulator.balance(KEY, "USDT") == Decimal("10000") - Decimal("290.464")


async def test_cancel_order_cancels_and_releases_the_hold(kraken: ccxt.kraken) -> None:
    placed = await kraken.create_order("ETH/USDT", "limit", "buy", 0.1, 2900)

    await kraken.cancel_order(placed["id"])

    order = await kraken.fetch_order(placed["id"])
    assert order["status"] == "canceled"
    assert (await kraken.fetch_balance())["USDT"]["used"] == 0.0


async def test_cancel_of_unknown_order_raises_order_not_found(kraken: ccxt.kraken) -> None:
    with pytest.raises(ccxt.OrderNotFound):
        await kraken.cancel_order("OAAAAA-BBBBB-CCCCCC")


async def test_open_order_is_found_by_client_order_id(kraken: ccxt.kraken) -> None:
    await kraken.create_order("ETH/USDT", "limit", "buy", 0.1, 2900, {"clientOrderId": "tp-open-1"})

    [order] = await kraken.fetch_open_orders(params={"clientOrderId": "tp-open-1"})

    assert (order["clientOrderId"], order["symbol"], order["amount"]) == ("tp-open-1", "ETH/USDT", 0.1)


async def test_filled_order_is_found_by_client_order_id_among_closed_orders(kraken: ccxt.kraken) -> None:
    await kraken.create_order("BTC/USDT", "market", "buy", 0.001, None, {"clientOrderId": "tp-mkt-1"})

    assert await kraken.fetch_open_orders(params={"clientOrderId": "tp-mkt-1"}) == []
    [order] = await kraken.fetch_closed_orders(params={"clientOrderId": "tp-mkt-1"})
    assert (order["clientOrderId"], order["status"], order["filled"]) == ("tp-mkt-1", "closed", 0.001)


async def test_venue_records_each_add_order_with_its_client_order_id(
    emulator: KrakenEmulator, kraken: ccxt.kraken
) -> None:
    for cid in ("tp-a", "tp-b"):
        await kraken.create_order("BTC/USDT", "market", "buy", 0.001, None, {"clientOrderId": cid})

    assert [r.cl_ord_id for r in emulator.add_orders_for(KEY)] == ["tp-a", "tp-b"]


async def test_client_order_id_that_is_neither_uuid_nor_short_text_is_refused(kraken: ccxt.kraken) -> None:
    with pytest.raises(ccxt.ExchangeError, match="Invalid arguments:cl_ord_id"):
        await kraken.create_order("BTC/USDT", "market", "buy", 0.001, None, {"clientOrderId": "x" * 19})


async def test_order_beyond_available_funds_raises_insufficient_funds(kraken: ccxt.kraken) -> None:
    with pytest.raises(ccxt.InsufficientFunds):
        await kraken.create_order("BTC/USDT", "market", "buy", 1)


async def test_order_below_kraken_minimum_raises_invalid_order(kraken: ccxt.kraken) -> None:
    with pytest.raises(ccxt.InvalidOrder):
        await kraken.create_order("ETH/USDT", "market", "buy", 0.001)


# Kraken's own worked example of API-Sign for an AddOrder request.
DOC_SECRET = base64.b64decode(
    "kQH5HW/8p1uGOVjbgWA7FunAmGO8lsSUXNsu3eow76sz84Q18fWxnyRzBHCd3pd5nE9qa99HAZtuZuj6F1huXg=="
)
DOC_BODY = b"nonce=1616492376594&ordertype=limit&pair=XBTUSD&price=37500&type=buy&volume=1.25"
DOC_SIGN = "4/dpxb3iT4tp/ZCVEwSnEsLxx0bqyhLpdfOpc6fn7OR8+UClSV5n9E6aSS8MPtnRfp32bAb0nmbRn6H8ndwLUQ=="


def test_signature_check_accepts_krakens_documented_example() -> None:
    assert signature_matches(DOC_SECRET, "/0/private/AddOrder", "1616492376594", DOC_BODY, DOC_SIGN)


def test_signature_check_rejects_a_body_changed_after_signing() -> None:
    tampered = DOC_BODY.replace(b"volume=1.25", b"volume=12.5")

    assert not signature_matches(DOC_SECRET, "/0/private/AddOrder", "1616492376594", tampered, DOC_SIGN)


async def test_wrong_secret_raises_authentication_error(emulator: KrakenEmulator) -> None:
    client = _client(emulator, secret=base64.b64encode(os.urandom(64)).decode())
    try:
        with pytest.raises(ccxt.AuthenticationError):
            await client.fetch_balance()
    finally:
        await client.close()


async def test_invalid_signature_wording_is_only_an_exchange_error_in_ccxt() -> None:
    async with KrakenEmulator(bad_signature_error="EAPI:Invalid signature") as emu:
        emu.add_account(KEY, SECRET)
        client = _client(emu, secret=base64.b64encode(os.urandom(64)).decode())
        try:
            with pytest.raises(ccxt.ExchangeError) as raised:
                await client.fetch_balance()
        finally:
            await client.close()
    assert not isinstance(raised.value, ccxt.AuthenticationError)


async def test_nonce_lower_than_the_last_accepted_raises_invalid_nonce(
    emulator: KrakenEmulator, kraken: ccxt.kraken
) -> None:
    await kraken.fetch_balance()
    lagging = _client(emulator, options={"timeDifference": 60_000})
    try:
        with pytest.raises(ccxt.InvalidNonce):
            await lagging.fetch_balance()
    finally:
        await lagging.close()


@pytest.mark.parametrize(
    ("fault", "error"),
    [
        ("invalid_nonce", ccxt.InvalidNonce),
        ("auth", ccxt.AuthenticationError),
        ("rate_limit", ccxt.DDoSProtection),
        ("server_error", ccxt.ExchangeNotAvailable),
        ("timeout", ccxt.RequestTimeout),
    ],
)
async def test_injected_fault_raises_the_matching_ccxt_error(
    emulator: KrakenEmulator, fault: str, error: type[Exception]
) -> None:
    client = _client(emulator, timeout=300)
    await client.load_markets()
    emulator.inject(KEY, fault)
    try:
        with pytest.raises(error):
            await client.fetch_balance()
    finally:
        await client.close()


async def test_fault_applies_to_the_next_n_private_calls_only(
    emulator: KrakenEmulator, kraken: ccxt.kraken
) -> None:
    emulator.inject(KEY, "rate_limit", times=2)
    for _ in range(2):
        with pytest.raises(ccxt.DDoSProtection):
            await kraken.fetch_balance()

    assert (await kraken.fetch_balance())["USDT"]["total"] == 10000.0


async def test_held_calls_answer_only_once_released(emulator: KrakenEmulator, kraken: ccxt.kraken) -> None:
    emulator.hold(KEY)
    pending = asyncio.create_task(kraken.fetch_balance())
    for _ in range(500):
        if emulator.held(KEY):
            break
        await asyncio.sleep(0.01)
    assert emulator.held(KEY) == 1
    assert not pending.done()

    emulator.release(KEY)

    assert (await pending)["USDT"]["total"] == 10000
    assert emulator.held(KEY) == 0


async def test_order_whose_answer_was_lost_is_recovered_by_client_order_id(
    emulator: KrakenEmulator,
) -> None:
    client = _client(emulator, timeout=300)
    await client.load_markets()
    emulator.inject(KEY, "timeout_after_apply")
    try:
        with pytest.raises(ccxt.RequestTimeout):
            await client.create_order("BTC/USDT", "market", "buy", 0.001, None, {"clientOrderId": "tp-lost"})
        [order] = await client.fetch_closed_orders(params={"clientOrderId": "tp-lost"})
    finally:
        await client.close()
    assert (order["status"], len(emulator.add_orders_for(KEY))) == ("closed", 1)


async def test_module_entry_point_prints_its_url_and_serves() -> None:
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "tests.support.kraken_emulator", "--port", "0", cwd=ROOT, stdout=PIPE
    )
    try:
        assert proc.stdout is not None
        url = (await asyncio.wait_for(proc.stdout.readline(), 20)).decode().strip()
        async with httpx.AsyncClient() as http:
            response = await http.get(f"{url}/0/public/SystemStatus")
        assert response.json()["result"]["status"] == "online"
    finally:
        proc.terminate()
        await proc.wait()
