"""A live exchange account as a Venue through ccxt (async): orders, fills, balances, markets, healing nonces.

Retries: a refused nonce is retried at once (the venue refused the request unread, so even an order
placement cannot land twice); nothing else is retried here. Above all a network error while placing
an order is never retried blindly: the order may have reached the venue, so the caller asks `lookup`
(by client order id) before it sends again.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Awaitable, Callable, Iterable
from contextvars import ContextVar
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any, TypeVar
from uuid import UUID, uuid4

import ccxt.async_support as ccxt_async
from ccxt.base import errors as ccxt_errors
from ccxt.base.decimal_to_precision import DECIMAL_PLACES, TICK_SIZE
from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict
from sqlalchemy.ext.asyncio import AsyncEngine
from tradeplane.contracts import LiquiditySide, OrderStatus, OrderType, VenueErrorCategory
from tradeplane.paper.markets import MarketSpec

from .ccxt_errors import classify
from .nonces import NonceStore, store_for
from .venue import AccountInfo, Credentials, VenueCallError, VenueFillReport, VenueOrder, VenueOrderReport

log = logging.getLogger(__name__)
T = TypeVar("T")
Raw = dict[str, Any]

NONCE_EXCHANGES = frozenset({"kraken"})
"""Exchanges whose private calls carry a free increasing nonce, which we take from the NonceStore (in
microseconds). Others sign with a clock timestamp checked against a window; ccxt keeps those."""

# Wordings ccxt 4.5 files under a broader class than they mean, as (category ccxt's class gets, wording,
# the category meant, retryable): Kraken's bad signature is a plain ExchangeError, and its
# "EAPI:Rate limit exceeded" a DDoSProtection, which would count as a network failure towards auto-disable.
_RECLASSIFIED = (
    (VenueErrorCategory.EXCHANGE, "invalid signature", VenueErrorCategory.AUTH, False),
    (VenueErrorCategory.NETWORK, "rate limit", VenueErrorCategory.RATE_LIMIT, True),
)


class CcxtSettings(BaseSettings):
    """`TP_CCXT_*` and `TP_NONCE_*`, read here so the executor's own Settings need not know ccxt."""

    model_config = SettingsConfigDict(env_prefix="TP_", extra="ignore")

    ccxt_api_urls: dict[str, str] = Field(default_factory=dict)
    """`{exchange id: base URL}` replacing every `urls.api` entry (tests: a local emulator)."""
    ccxt_rate_limit: bool = True
    ccxt_timeout_ms: int = Field(default=10_000, gt=0)
    nonce_jump_after_errors: int = Field(default=2, ge=1)
    nonce_jump_seconds: int = Field(default=60, ge=1)
    nonce_reserve_seconds: float = Field(default=1.0, gt=0)
    nonce_retries: int = Field(default=3, ge=0)
    """Immediate retries of a call refused for its nonce; must exceed the jump threshold to heal in one
    call."""

    def store_options(self) -> dict[str, Any]:
        return {
            "jump_after": self.nonce_jump_after_errors,
            "jump_seconds": self.nonce_jump_seconds,
            "reserve_seconds": self.nonce_reserve_seconds,
        }


@functools.cache
def ccxt_settings() -> CcxtSettings:
    return CcxtSettings()


class UnknownExchange(VenueCallError):
    def __init__(self, exchange_id: str) -> None:
        super().__init__(
            VenueErrorCategory.EXCHANGE, False, f"unknown exchange {exchange_id!r}: not a ccxt exchange id"
        )


class NonceUnavailable(Exception):
    """No nonce could be reserved (the database is unreachable); the request was not sent."""


def venue_error(error: BaseException) -> VenueCallError:
    """ccxt's verdict as a VenueCallError, with the wordings ccxt leaves unclassified put right."""
    if isinstance(error, VenueCallError):
        return error
    message = f"{type(error).__name__}: {error}"[:1000]
    if isinstance(error, NonceUnavailable):
        return VenueCallError(VenueErrorCategory.EXCHANGE, True, message)
    found = classify(error).category
    for broad, wording, meant, retryable in _RECLASSIFIED:
        if found is broad and wording in str(error).lower():
            return VenueCallError(meant, retryable, message)
    return VenueCallError.from_exception(error)


_prepared: ContextVar[int | None] = ContextVar("tp_prepared_nonce", default=None)


class _StoreNonces:
    """Mixed into a ccxt exchange class: each private request is signed with a nonce from the NonceStore.

    ccxt calls `nonce()` synchronously inside `sign()`, while taking a nonce may write the mark ahead
    (async); so `fetch2`, which wraps `sign()` for one request, takes it first and hands it over
    through a context variable, private to the task making the request.
    """

    tp_nonces: NonceStore
    tp_account_id: UUID

    async def fetch2(
        self, path: Any, api: Any = "public", method: str = "GET", params: Any = None, config: Any = None
    ) -> Any:
        args = (path, api, method, {} if params is None else params, {} if config is None else config)
        if "private" not in (api if isinstance(api, str) else api[0]):
            return await super().fetch2(*args)  # type: ignore[misc]
        try:
            nonce = await self.tp_nonces.next(self.tp_account_id)
        except Exception as exc:
            raise NonceUnavailable(str(exc)) from exc
        token = _prepared.set(nonce)
        try:
            return await super().fetch2(*args)  # type: ignore[misc]
        finally:
            _prepared.reset(token)

    def nonce(self) -> int:
        nonce = _prepared.get()
        if nonce is None:
            raise NonceUnavailable("a private request was signed without a reserved nonce")
        _prepared.set(None)  # one nonce per request: signing twice must not reuse it
        return nonce


@functools.cache
def _exchange_class(exchange_id: str) -> type[Any]:
    if exchange_id not in ccxt_async.exchanges:
        raise UnknownExchange(exchange_id)
    base: type[Any] = getattr(ccxt_async, exchange_id)
    if exchange_id not in NONCE_EXCHANGES:
        return base
    return type(f"{base.__name__}WithStoredNonces", (_StoreNonces, base), {})


def _new_exchange(exchange_id: str, credentials: Credentials, sandbox: bool, settings: CcxtSettings) -> Any:
    config: Raw = {
        "apiKey": credentials.api_key,
        "secret": credentials.secret,
        "enableRateLimit": settings.ccxt_rate_limit,
        "timeout": settings.ccxt_timeout_ms,
    }
    if credentials.password:
        config["password"] = credentials.password
    exchange = _exchange_class(exchange_id)(config)
    url = (credentials.urls or {}).get("api") or settings.ccxt_api_urls.get(exchange_id)
    if url:
        api = exchange.urls.get("api")
        exchange.urls["api"] = {name: url for name in api} if isinstance(api, dict) else url
        if url.startswith("http://"):
            exchange.timeout_on_exit = 0  # ccxt waits on close for TLS sessions to end; there are none
    elif sandbox:
        if not exchange.urls.get("test"):
            raise VenueCallError(VenueErrorCategory.EXCHANGE, False, f"{exchange_id} has no sandbox in ccxt")
        exchange.set_sandbox_mode(True)
    return exchange


class CcxtVenue:
    """One exchange account: its own ccxt instance (ccxt's rate limiter is per instance) and nonces."""

    def __init__(self, account_id: UUID, exchange: Any, nonces: NonceStore, settings: CcxtSettings) -> None:
        self.name: str = exchange.id
        self.account_id = account_id
        self._ex = exchange
        self._nonces = nonces
        self._settings = settings

    @property
    def exchange(self) -> Any:
        """The ccxt instance (tests, diagnostics)."""
        return self._ex

    async def markets(self) -> list[MarketSpec]:
        found: dict[str, Raw] = await self._call(self._ex.load_markets)
        specs = (market_spec(m, self._ex.precisionMode) for m in found.values())
        return [spec for spec in specs if spec is not None]

    async def submit(self, order: VenueOrder) -> VenueOrderReport:
        """Place the order under its client order id; an error means it may or may not have landed."""
        kind, params = self._order_kind(order)
        params["clientOrderId"] = order.client_order_id
        price = None if order.price is None else f"{order.price:f}"
        side = order.side.value.lower()
        placed: Raw = await self._call(
            self._ex.create_order, order.symbol, kind, side, f"{order.quantity:f}", price, params
        )
        try:
            current = placed
            if placed.get("status") is None:  # many venues answer a create with the id alone
                current = await self._call(self._ex.fetch_order, placed["id"], order.symbol)
            return await self._with_fills(order, current, {})
        except VenueCallError:
            log.warning(
                "order %s placed; reading its state failed, polling catches up", order.order_id, exc_info=True
            )
            return order_report(order, placed)

    async def cancel(self, order: VenueOrder) -> VenueOrderReport:
        """Cancel; an order that already finished is not an error: its final report is returned."""
        params = {} if order.venue_order_id else {"clientOrderId": order.client_order_id}
        try:
            await self._call(self._ex.cancel_order, order.venue_order_id, order.symbol, params)
        except VenueCallError as err:
            if not isinstance(err.__cause__, ccxt_errors.OrderNotFound):
                raise
        current = await self._current(order)
        if current is None:
            raise VenueCallError(
                VenueErrorCategory.INVALID_ORDER, False, f"{self.name} does not know this order"
            )
        return await self._with_fills(order, current, {})

    async def lookup(self, order: VenueOrder) -> VenueOrderReport | None:
        found = await self._by_client_id(order, open_too=True)
        return None if found is None else await self._with_fills(order, found, {})

    async def poll(self, open_orders: list[VenueOrder]) -> list[VenueOrderReport]:
        listed: dict[str, Raw] = {}
        for symbol in sorted({o.symbol for o in open_orders}):
            for found in await self._call(self._ex.fetch_open_orders, symbol):
                listed[str(found["id"])] = listed[f"cid:{found.get('clientOrderId')}"] = found
        trades: dict[str, list[Raw]] = {}
        reports = []
        for order in open_orders:
            current = listed.get(str(order.venue_order_id)) or listed.get(f"cid:{order.client_order_id}")
            if current is None:
                current = await self._current(order)
            if current is None:
                continue  # unknown to the venue: the caller's lookup decides
            report = await self._with_fills(order, current, trades)
            if _changed(order, report):
                reports.append(report)
        return reports

    async def balance(self) -> dict[str, dict[str, Decimal]]:
        found: Raw = await self._call(self._ex.fetch_balance)
        return {
            code: {part: to_decimal((found.get(code) or {}).get(part)) for part in ("free", "used", "total")}
            for code in found.get("total") or {}
        }

    async def close(self) -> None:
        try:
            await self._ex.close()
        except Exception:
            log.warning("closing the %s client failed", self.name, exc_info=True)

    async def _call(self, fn: Callable[..., Awaitable[T]], *args: Any) -> T:
        for attempt in range(self._settings.nonce_retries + 1):
            try:
                result = await fn(*args)
            except ccxt_errors.InvalidNonce as exc:
                await self._nonce_refused()
                if attempt == self._settings.nonce_retries:
                    raise venue_error(exc) from exc
            except Exception as exc:
                raise venue_error(exc) from exc
            else:
                await self._nonce_accepted()
                return result
        raise AssertionError("unreachable")

    async def _nonce_refused(self) -> None:
        try:
            await self._nonces.on_error(self.account_id)
        except Exception:
            log.warning("recording a nonce error failed", exc_info=True)

    async def _nonce_accepted(self) -> None:
        try:
            await self._nonces.on_success(self.account_id)
        except Exception:  # never turn a call that succeeded (an order placed) into a failure
            log.warning("recording a nonce success failed", exc_info=True)

    def _order_kind(self, order: VenueOrder) -> tuple[str, Raw]:
        if order.type is OrderType.MARKET:
            return "market", {}
        if order.type is OrderType.LIMIT:
            return "limit", {}
        create = ((self._ex.features or {}).get("spot") or {}).get("createOrder") or {}
        if not create.get("triggerPrice") or order.stop_price is None:
            raise VenueCallError(
                VenueErrorCategory.INVALID_ORDER,
                False,
                f"{self.name} takes no {order.type} orders through ccxt",
            )
        return ("market" if order.type is OrderType.STOP else "limit"), {
            "triggerPrice": f"{order.stop_price:f}"
        }

    async def _current(self, order: VenueOrder) -> Raw | None:
        if not order.venue_order_id:
            return await self._by_client_id(order, open_too=False)
        try:
            found: Raw = await self._call(self._ex.fetch_order, order.venue_order_id, order.symbol)
        except VenueCallError as err:
            if isinstance(err.__cause__, ccxt_errors.OrderNotFound):
                return None
            raise
        return found

    async def _by_client_id(self, order: VenueOrder, open_too: bool) -> Raw | None:
        cid = order.client_order_id
        fetchers = (self._ex.fetch_open_orders, self._ex.fetch_closed_orders)
        for fetch in fetchers if open_too else fetchers[1:]:
            found: list[Raw] = await self._call(fetch, order.symbol, None, None, {"clientOrderId": cid})
            # Only an exact match counts: a venue that ignores the filter returns every order.
            for candidate in found:
                if candidate.get("clientOrderId") == cid:
                    return candidate
        return None

    async def _with_fills(
        self, order: VenueOrder, found: Raw, trades: dict[str, list[Raw]]
    ) -> VenueOrderReport:
        """The report, with the venue's trades of this order when it filled more than we hold fills for."""
        fills: tuple[VenueFillReport, ...] = ()
        venue_id = found.get("id")
        if venue_id and to_decimal(found.get("filled")) > order.filled_quantity:
            if order.symbol not in trades:
                trades[order.symbol] = await self._call(self._ex.fetch_my_trades, order.symbol)
            fills = tuple(fill_report(t) for t in trades[order.symbol] if t.get("order") == venue_id)
        return order_report(order, found, fills)


def to_decimal(value: Any) -> Decimal:
    """A ccxt number (float, str or None) as an exact Decimal of its shortest text; None is 0."""
    return Decimal(0) if value is None else Decimal(str(value))


_STATUSES = {
    "closed": OrderStatus.FILLED,
    "canceled": OrderStatus.CANCELLED,
    "cancelled": OrderStatus.CANCELLED,
    "expired": OrderStatus.CANCELLED,
    "rejected": OrderStatus.REJECTED,
}


def order_report(order: VenueOrder, found: Raw, fills: Iterable[VenueFillReport] = ()) -> VenueOrderReport:
    filled = to_decimal(found.get("filled"))
    status = _STATUSES.get(str(found.get("status")))
    if status is None:  # open, or unknown right after the create
        status = OrderStatus.PARTIALLY_FILLED if filled > 0 else OrderStatus.OPEN
    reason = ""
    if status in (OrderStatus.CANCELLED, OrderStatus.REJECTED):
        reason = str((found.get("info") or {}).get("reason") or found.get("status"))[:500]
    return VenueOrderReport(
        client_order_id=order.client_order_id,
        venue_order_id=str(found.get("id") or order.venue_order_id or ""),
        status=status,
        filled_quantity=filled,
        fills=tuple(fills),
        reason=reason,
    )


def fill_report(trade: Raw) -> VenueFillReport:
    """A ccxt trade as a fill: the venue's trade id is the fill id; the fee stays in its own currency."""
    fee = trade.get("fee") or {}
    stamp = trade.get("timestamp")
    return VenueFillReport(
        fill_id=str(trade["id"]),
        quantity=to_decimal(trade.get("amount")),
        price=to_decimal(trade.get("price")),
        fee=to_decimal(fee.get("cost")),
        fee_currency=str(fee.get("currency") or ""),
        liquidity=LiquiditySide.MAKER if trade.get("takerOrMaker") == "maker" else LiquiditySide.TAKER,
        at=datetime.now(UTC) if stamp is None else datetime.fromtimestamp(stamp / 1000, UTC),
    )


def _changed(order: VenueOrder, report: VenueOrderReport) -> bool:
    return (
        report.status.is_terminal
        or order.venue_order_id is None
        or report.filled_quantity != order.filled_quantity
        or any(fill.fill_id not in order.fill_ids for fill in report.fills)
    )


def _step(value: Any, precision_mode: int) -> Decimal | None:
    """A ccxt precision as a step size; None when it is not one (significant digits)."""
    if value is None:
        return None
    if precision_mode == TICK_SIZE:
        return to_decimal(value)
    if precision_mode == DECIMAL_PLACES:
        return Decimal(1).scaleb(-int(value))
    return None


def market_spec(market: Raw, precision_mode: int) -> MarketSpec | None:
    """An active spot market as a MarketSpec; None for others and for precisions that are not steps."""
    if not market.get("spot") or market.get("active") is False:
        return None
    precision = market.get("precision") or {}
    tick, step = _step(precision.get("price"), precision_mode), _step(precision.get("amount"), precision_mode)
    if tick is None or step is None:
        return None
    limits = market.get("limits") or {}
    min_amount = (limits.get("amount") or {}).get("min")
    return MarketSpec(
        symbol=market["symbol"],
        base=market["base"],
        quote=market["quote"],
        price_precision=tick,
        amount_precision=step,
        min_amount=step if min_amount is None else max(step, to_decimal(min_amount)),
        min_notional=to_decimal((limits.get("cost") or {}).get("min")),
        maker_fee=to_decimal(market.get("maker")),
        taker_fee=to_decimal(market.get("taker")),
    )


def create_ccxt_venue(
    account_id: UUID,
    exchange_id: str,
    credentials: Credentials,
    sandbox: bool,
    nonce_store: NonceStore,
    settings: CcxtSettings | None = None,
) -> CcxtVenue:
    """A venue for one account (no I/O until its first call); raises UnknownExchange or VenueCallError."""
    settings = settings or ccxt_settings()
    exchange = _new_exchange(exchange_id, credentials, sandbox, settings)
    exchange.tp_nonces, exchange.tp_account_id = nonce_store, account_id
    return CcxtVenue(account_id, exchange, nonce_store, settings)


def create_venue(account: AccountInfo, credentials: Credentials, engine: AsyncEngine) -> CcxtVenue:
    """The Venue protocol's factory: nonces persisted through `engine` in `execution.nonce_state`."""
    settings = ccxt_settings()
    store = store_for(engine, **settings.store_options())
    return create_ccxt_venue(account.account_id, account.venue, credentials, account.sandbox, store, settings)


async def verify_credentials(
    exchange_id: str,
    credentials: Credentials,
    sandbox: bool,
    *,
    engine: AsyncEngine | None = None,
    account_id: UUID | None = None,
    settings: CcxtSettings | None = None,
) -> None:
    """One authenticated read (the balance); raises VenueCallError (AUTH for bad keys) with the venue's
    reason.

    Pass `engine` and `account_id` for an account already in use, so the check's nonce follows its mark.
    """
    settings = settings or ccxt_settings()
    if engine is not None and account_id is not None:
        store = store_for(engine, **settings.store_options())
    else:
        store = NonceStore(None, **settings.store_options())
    venue = create_ccxt_venue(account_id or uuid4(), exchange_id, credentials, sandbox, store, settings)
    try:
        await venue.balance()
    finally:
        await venue.close()
