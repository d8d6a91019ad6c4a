"""The Venue protocol: what an account actor needs from a venue (paper or ccxt), and the types it speaks.

An account's actor calls its Venue one request at a time (never concurrently for one account),
so an adapter may keep per-account state (nonces, a ccxt instance) without locks.

What the ccxt adapter (`adapters/ccxt_venue.py`) provides:

- `create_venue(account: AccountInfo, credentials: Credentials, engine: AsyncEngine) -> Venue`
  (sync; no I/O until the first call). `engine` gives access to `tables.nonce_state` (one row per
  account, create it on first use) so nonces stay monotonic across restarts; the domain policy is
  `domain/nonce.py`. `account.venue` is the ccxt exchange id; `account.sandbox` selects the testnet.
  Tests point it at the local emulator through `credentials.urls` (replaces ccxt's `urls["api"]`).
- `async verify_credentials(exchange_id: str, credentials: Credentials, sandbox: bool) -> None`:
  one authenticated read (e.g. fetch_balance); raises `VenueCallError` (AUTH for bad keys).
- Every Venue method catches ccxt exceptions and raises `VenueCallError.from_exception(exc)` instead;
  nothing else escapes but cancellation.
- `submit` sends `client_order_id_for(order.order_id)` as the exchange's client order id (Kraken
  `cl_ord_id`, Binance `newClientOrderId`, ...) and does NOT retry a failed create itself: the actor
  asks `lookup` first, so a create that landed despite an error is never sent twice.
- `lookup(order)` finds the order by client order id (open and closed orders); None when unknown.
- `poll(open_orders)` returns a report for each order whose status or fills changed; reports may
  repeat fills already seen (the actor dedupes by `fill_id`, which must be the venue's trade id).
- `cancel` of an order that already finished returns its final report, not an error.

`adapters/nonces.py` (same helper) provides `async nonce_stats(engine, account_id) -> dict` and
`async reset_nonces(engine, account_id) -> dict` for the venues.nonce / venues.nonce_reset queries.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Protocol
from uuid import UUID

from tradeplane.contracts import (
    LiquiditySide,
    OrderStatus,
    OrderType,
    RejectCode,
    Side,
    VenueErrorCategory,
)
from tradeplane.paper.markets import MarketSpec


def client_order_id_for(order_id: UUID) -> str:
    """The id every venue sees for our order: 32 hex digits (Kraken's short-UUID `cl_ord_id` form)."""
    return order_id.hex


@dataclass(frozen=True, slots=True)
class AccountInfo:
    account_id: UUID
    user_id: UUID
    venue: str
    """`paper` or a ccxt exchange id."""
    sandbox: bool = False


@dataclass(frozen=True, slots=True)
class Credentials:
    """Decrypted only inside the executor; never logged (repr hides the secrets)."""

    api_key: str = field(repr=False)
    secret: str = field(repr=False)
    password: str | None = field(default=None, repr=False)
    urls: dict[str, str] | None = None
    """Override of the exchange's API base URLs (tests: the local emulator)."""


@dataclass(frozen=True, slots=True)
class VenueOrder:
    """One of our orders as a venue call sees it."""

    order_id: UUID
    client_order_id: str
    symbol: str
    side: Side
    type: OrderType
    quantity: Decimal
    price: Decimal | None = None
    stop_price: Decimal | None = None
    venue_order_id: str | None = None
    filled_quantity: Decimal = Decimal(0)
    fill_ids: frozenset[str] = frozenset()


@dataclass(frozen=True, slots=True)
class VenueFillReport:
    fill_id: str
    quantity: Decimal
    price: Decimal
    fee: Decimal
    fee_currency: str
    liquidity: LiquiditySide
    at: datetime


@dataclass(frozen=True, slots=True)
class VenueOrderReport:
    """The venue's view of one order: status, cumulative fill and the fills behind it."""

    client_order_id: str
    venue_order_id: str
    status: OrderStatus
    filled_quantity: Decimal = Decimal(0)
    fills: tuple[VenueFillReport, ...] = ()
    reason: str = ""
    reject_code: RejectCode | None = None
    """Set with status REJECTED when the venue refused the order (e.g. INSUFFICIENT_FUNDS)."""


class VenueCallError(Exception):
    """A venue call failed; `category` and `retryable` come from `adapters/ccxt_errors.classify`."""

    def __init__(self, category: VenueErrorCategory, retryable: bool, message: str) -> None:
        super().__init__(message)
        self.category = category
        self.retryable = retryable
        self.message = message

    @classmethod
    def from_exception(cls, error: BaseException) -> VenueCallError:
        # Imported here: importing ccxt takes seconds, and an executor with only paper accounts never
        # needs it.
        from .ccxt_errors import classify

        found = classify(error)
        return cls(found.category, found.retryable, f"{type(error).__name__}: {error}"[:1000])

    @property
    def reject_code(self) -> RejectCode:
        from ..domain.errors import reject_code

        return reject_code(self.category)


class Venue(Protocol):
    name: str

    async def markets(self) -> list[MarketSpec]: ...

    async def submit(self, order: VenueOrder) -> VenueOrderReport: ...

    async def cancel(self, order: VenueOrder) -> VenueOrderReport: ...

    async def lookup(self, order: VenueOrder) -> VenueOrderReport | None: ...

    async def poll(self, open_orders: list[VenueOrder]) -> list[VenueOrderReport]: ...

    async def balance(self) -> dict[str, dict[str, Decimal]]:
        """`{currency: {"free": ..., "used": ..., "total": ...}}`."""
        ...

    async def close(self) -> None: ...
