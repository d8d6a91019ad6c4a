"""A local Kraken spot REST emulator that unmodified ccxt talks to, with test controls and fault injection."""

from __future__ import annotations

import argparse
import asyncio
import base64
import contextlib
from collections.abc import AsyncIterator, Iterator, Mapping
from decimal import Decimal
from typing import Any, Literal

import pytest
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

from tests.support.kraken_book import Account, AddOrderReceived, KrakenError, Order, crosses
from tests.support.kraken_markets import DEFAULT_PRICES, Pair, asset_id, find_pair
from tests.support.kraken_private import PRIVATE
from tests.support.kraken_wire import parse_form, public_result, signature_matches

# "timeout_after_apply" executes the call and then withholds the answer: the order exists, the client never
# knows.
FAULTS = ("invalid_nonce", "auth", "server_error", "timeout", "timeout_after_apply", "rate_limit")
_FAULT_ERRORS = {
    "invalid_nonce": "EAPI:Invalid nonce",
    "auth": "EAPI:Invalid key",
    "rate_limit": "EAPI:Rate limit exceeded",
}


def _ok(result: Any) -> Response:
    return JSONResponse({"error": [], "result": result})


def _error(message: str) -> Response:
    return JSONResponse({"error": [message], "result": {}})


class _QuietServer(uvicorn.Server):
    """A uvicorn server that leaves the host process's signal handlers (pytest's) alone."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


class KrakenEmulator:
    """Kraken's /0/public and /0/private endpoints over in-memory accounts, served by uvicorn in this loop."""

    def __init__(
        self,
        *,
        hang_seconds: float = 30.0,
        server_error_status: int = 503,
        bad_signature_error: str = "EAPI:Invalid key",
    ) -> None:
        self.hang_seconds = hang_seconds
        self.server_error_status = server_error_status
        # Kraken's support pages say a signature that does not match the body answers "EAPI:Invalid key";
        # its error list also names "EAPI:Invalid signature", which ccxt 4.5 maps only to ExchangeError.
        self.bad_signature_error = bad_signature_error
        self.accounts: dict[str, Account] = {}
        self.prices: dict[str, Decimal] = {}
        self._holds: dict[str, asyncio.Event] = {}
        self._held: dict[str, int] = {}
        self.reset()
        self.url = ""
        self._server: uvicorn.Server | None = None
        self._task: asyncio.Task[None] | None = None
        self._stopping = asyncio.Event()
        self.app = Starlette(
            routes=[
                Route("/0/public/{method}", self._public, methods=["GET", "POST"]),
                Route("/0/private/{method}", self._private, methods=["POST"]),
                Route("/_emulator/{action}", self._admin, methods=["GET", "POST"]),
            ]
        )

    # --- test controls ---

    def reset(self) -> None:
        """Forget every account and put prices back to their defaults, so one server can serve many tests."""
        self.accounts.clear()
        self.prices = {self._pair(symbol).id: price for symbol, price in DEFAULT_PRICES.items()}

    def reset_to(self, api_key: str, secret_b64: str, usdt: str = "10000") -> KrakenEmulator:
        """`reset`, then one account holding `usdt` USDT: the start of each test sharing this server."""
        self.reset()
        self.add_account(api_key, secret_b64, {"USDT": Decimal(usdt)})
        return self

    def add_account(
        self, api_key: str, secret_b64: str, balances: Mapping[str, Decimal] | None = None
    ) -> None:
        """Register an API key; balances are keyed by unified code ("USDT", "BTC") or Kraken asset id."""
        secret = base64.b64decode(secret_b64, validate=True)
        funds = {asset_id(code): Decimal(amount) for code, amount in (balances or {}).items()}
        self.accounts[api_key] = Account(api_key, secret, funds)

    def set_balance(self, api_key: str, code: str, amount: Decimal) -> None:
        self.accounts[api_key].balances[asset_id(code)] = Decimal(amount)

    def misreport(self, api_key: str, code: str, amount: Decimal) -> None:
        """Report `amount` of `code` from now on, whatever the account really holds (trading still uses
        the real balance): a venue whose records disagree with the platform's books."""
        self.accounts[api_key].misreported[asset_id(code)] = Decimal(amount)

    def balance(self, api_key: str, code: str) -> Decimal:
        return self.accounts[api_key].balances.get(asset_id(code), Decimal(0))

    def price(self, symbol: str) -> Decimal:
        return self.prices[self._pair(symbol).id]

    def set_price(self, symbol: str, price: Decimal) -> list[Order]:
        """Move the market; every resting limit order it crosses fills at its own price as maker."""
        pair = self._pair(symbol)
        self.prices[pair.id] = Decimal(price)
        filled = []
        for account in self.accounts.values():
            for order in list(account.orders.values()):
                if order.pair == pair and crosses(order, Decimal(price)):
                    account.fill(order, order.price or Decimal(price), maker=True)
                    filled.append(order)
        return filled

    def inject(self, api_key: str, fault: str, times: int = 1) -> None:
        """Make the next `times` private calls of `api_key` fail with `fault` (one of FAULTS)."""
        if fault not in FAULTS:
            raise ValueError(f"unknown fault {fault!r}; expected one of {FAULTS}")
        self.accounts[api_key].faults.extend([fault] * times)

    def hold(self, api_key: str) -> None:
        """Answer the private calls of `api_key` slowly: each waits until `release` (or `hang_seconds`)."""
        self._holds.setdefault(api_key, asyncio.Event())

    def release(self, api_key: str) -> None:
        """Let the held calls of `api_key` through, and stop holding new ones."""
        gate = self._holds.pop(api_key, None)
        if gate is not None:
            gate.set()

    def held(self, api_key: str) -> int:
        """How many private calls of `api_key` are waiting for `release` now."""
        return self._held.get(api_key, 0)

    def orders_for(self, api_key: str) -> list[Order]:
        """Every order the venue holds for the key, open or not, oldest first."""
        return list(self.accounts[api_key].orders.values())

    def add_orders_for(self, api_key: str) -> list[AddOrderReceived]:
        """Every authenticated AddOrder received for the key, accepted or rejected, oldest first."""
        return list(self.accounts[api_key].add_orders)

    def calls_for(self, api_key: str) -> list[tuple[str, dict[str, str]]]:
        """Every authenticated private call (endpoint name, form fields) for the key, oldest first."""
        return list(self.accounts[api_key].calls)

    def ccxt_config(self, api_key: str, secret_b64: str) -> dict[str, Any]:
        """Constructor options that point `ccxt.kraken` here (ccxt appends /0/public/... itself).

        ccxt's client-side throttle is off because Kraken's cost table spaces private calls ~3 s apart.
        """
        urls = {"api": {"public": self.url, "private": self.url}}
        return {"apiKey": api_key, "secret": secret_b64, "urls": urls, "enableRateLimit": False}

    def _pair(self, symbol: str) -> Pair:
        pair = find_pair(symbol)
        if pair is None:
            raise KeyError(symbol)
        return pair

    # --- server lifecycle ---

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> str:
        """Serve on `host:port` (0 picks a free port) in the running loop; returns the base URL."""
        self._stopping.clear()
        config = uvicorn.Config(
            self.app, host=host, port=port, log_level="warning", lifespan="off", timeout_graceful_shutdown=1
        )
        self._server = _QuietServer(config)
        self._task = asyncio.create_task(self._server.serve())
        while not self._server.started:
            if self._task.done():
                self._task.result()
                raise RuntimeError("kraken emulator stopped while starting")
            await asyncio.sleep(0.01)
        bound_port = self._server.servers[0].sockets[0].getsockname()[1]
        self.url = f"http://{host}:{bound_port}"
        return self.url

    async def stop(self) -> None:
        self._stopping.set()
        if self._server is not None and self._task is not None:
            self._server.should_exit = True
            await self._task

    async def __aenter__(self) -> KrakenEmulator:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    # --- endpoints ---

    async def _public(self, request: Request) -> Response:
        params = dict(request.query_params)
        if request.method == "POST":
            params.update(parse_form(await request.body(), "") or {})
        try:
            return _ok(public_result(request.path_params["method"], params, self.prices))
        except KrakenError as error:
            return _error(error.message)

    async def _private(self, request: Request) -> Response:
        account = self.accounts.get(request.headers.get("API-Key", ""))
        if account is None:
            return _error("EAPI:Invalid key")
        await self._wait_if_held(account.api_key)
        fault = account.faults.popleft() if account.faults else None
        if fault in _FAULT_ERRORS:
            return _error(_FAULT_ERRORS[fault])
        if fault == "server_error":
            return PlainTextResponse(
                "503 Service Temporarily Unavailable", status_code=self.server_error_status
            )
        if fault == "timeout":
            await self._hang()
            return _error("EService:Unavailable")
        raw = await request.body()
        params = parse_form(raw, request.headers.get("content-type", ""))
        nonce = (params or {}).get("nonce", "")
        sign = request.headers.get("API-Sign", "")
        if params is None or not signature_matches(account.secret, request.url.path, nonce, raw, sign):
            return _error(self.bad_signature_error)
        if not nonce.isdigit() or int(nonce) <= account.last_nonce:
            return _error("EAPI:Invalid nonce")
        account.last_nonce = int(nonce)
        method = request.path_params["method"]
        account.calls.append((method, params))
        handler = PRIVATE.get(method)
        if handler is None:
            return _error("EGeneral:Unknown method")
        try:
            response = _ok(handler(account, params, self.prices))
        except KrakenError as error:
            response = _error(error.message)
        if fault == "timeout_after_apply":
            await self._hang()
        return response

    async def _wait_if_held(self, api_key: str) -> None:
        gate = self._holds.get(api_key)
        if gate is None:
            return
        self._held[api_key] = self._held.get(api_key, 0) + 1
        try:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(gate.wait(), self.hang_seconds)
        finally:
            self._held[api_key] -= 1

    async def _hang(self) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._stopping.wait(), self.hang_seconds)

    async def _admin(self, request: Request) -> Response:
        """Test controls over HTTP, for when the emulator runs as its own process."""
        action = request.path_params["action"]
        body: dict[str, Any] = (
            await request.json() if request.method == "POST" else dict(request.query_params)
        )
        try:
            if action == "accounts":
                balances = {k: Decimal(v) for k, v in body.get("balances", {}).items()}
                self.add_account(body["api_key"], body["secret"], balances)
            elif action == "prices":
                self.set_price(body["symbol"], Decimal(body["price"]))
            elif action == "faults":
                self.inject(body["api_key"], body["fault"], int(body.get("times", 1)))
            elif action == "misreport":
                self.misreport(body["api_key"], body["code"], Decimal(body["amount"]))
            elif action == "hold":
                self.hold(body["api_key"])
            elif action == "release":
                self.release(body["api_key"])
            elif action == "add_orders":
                received = self.add_orders_for(body["api_key"])
                return JSONResponse(
                    [{"cl_ord_id": r.cl_ord_id, "txid": r.txid, "error": r.error} for r in received]
                )
            else:
                return PlainTextResponse("unknown action", status_code=404)
        except (KeyError, ValueError) as error:
            return PlainTextResponse(f"bad request: {error}", status_code=400)
        return JSONResponse({"ok": True})


def emulator_fixtures(
    api_key: str, secret_b64: str, *, hang_seconds: float, scope: Literal["module", "session"] = "module"
) -> tuple[Any, Any]:
    """A module's `server` fixture (one emulator for the `scope`, whose hanging requests last
    `hang_seconds`) and `emulator` fixture (that server, reset to this key for each test):
    `server, emulator = emulator_fixtures(KEY, SECRET, hang_seconds=3)` in the module."""

    @pytest.fixture(scope=scope)
    async def server() -> AsyncIterator[KrakenEmulator]:
        async with KrakenEmulator(hang_seconds=hang_seconds) as emu:
            yield emu

    @pytest.fixture
    def emulator(server: KrakenEmulator) -> KrakenEmulator:
        return server.reset_to(api_key, secret_b64)

    return server, emulator


async def _serve_forever(port: int) -> None:
    emulator = KrakenEmulator()
    print(await emulator.start(port=port), flush=True)
    try:
        await asyncio.Event().wait()
    finally:
        await emulator.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, default=0)
    args = parser.parse_args()
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(_serve_forever(args.port))


if __name__ == "__main__":
    main()
