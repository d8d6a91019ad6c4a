"""Request/reply queries of the execution service: venue accounts, balances, instruments, nonces, prices.

Every query is scoped to the caller: another user's account answers 404 like a missing one (admins may
read any). Credentials go in sealed and never come out; `keyHint` is the last 4 characters of the key.
"""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import Awaitable, Callable
from decimal import Decimal
from typing import Any
from uuid import UUID, uuid4
from weakref import WeakValueDictionary

from pydantic import BaseModel, ConfigDict, Field, field_validator
from sqlalchemy.ext.asyncio import AsyncEngine
from tradeplane.contracts import NonNegative, VenueErrorCategory, utcnow
from tradeplane.contracts.queries import (
    CREDENTIAL_FIELDS,
    SEALED_CREDENTIALS,
    Query,
    QueryError,
    credentials_context,
)
from tradeplane.paper.engine import PaperEngine
from tradeplane.paper.markets import MarketSpec
from tradeplane.runtime.crypto import SealError, open_sealed

from . import views
from .adapters import accounts, repo
from .adapters.accounts import Account, AccountCache, Vault
from .adapters.paper_venue import DEFAULT_BALANCES, balances_of, initial_state
from .adapters.venue import Credentials, Venue, VenueCallError
from .catalog import MarketCatalog
from .market import LatestTickers

_CURRENCY = re.compile(r"^[A-Z0-9]{1,16}$")
_UNAVAILABLE = (VenueErrorCategory.NETWORK, VenueErrorCategory.RATE_LIMIT)


class ConnectParams(BaseModel):
    model_config = ConfigDict(extra="ignore", populate_by_name=True)

    venue: str = Field(min_length=1, max_length=32)
    label: str | None = Field(default=None, max_length=100)
    api_key: str | None = Field(default=None, alias="apiKey", max_length=512)
    secret: str | None = Field(default=None, max_length=4096)
    password: str | None = Field(default=None, max_length=512)
    sandbox: bool = False
    initial_balances: dict[str, NonNegative] | None = Field(default=None, alias="initialBalances")

    @field_validator("initial_balances")
    @classmethod
    def _currencies(cls, value: dict[str, Decimal] | None) -> dict[str, Decimal] | None:
        for currency in value or {}:
            if not _CURRENCY.match(currency):
                raise ValueError(f"{currency!r} is not a currency code (A-Z, 0-9)")
        return value


class IdParams(BaseModel):
    model_config = ConfigDict(extra="ignore")
    id: UUID


class PricesParams(BaseModel):
    model_config = ConfigDict(extra="ignore", populate_by_name=True)
    venue_id: UUID | None = Field(default=None, alias="venueId")


VenueFactory = Callable[[Account], Venue]


def opened_credentials(params: dict[str, Any], private_key: str | None, user_id: UUID) -> dict[str, Any]:
    """`venues.connect` parameters with the sealed exchange credentials opened; clear ones are refused
    (only the gateway sends this query, and it seals them to our key)."""
    if any(name in params for name in CREDENTIAL_FIELDS):
        raise QueryError("CREDENTIALS_NOT_SEALED", "exchange credentials must arrive sealed", 422)
    rest = {name: value for name, value in params.items() if name != SEALED_CREDENTIALS}
    sealed = params.get(SEALED_CREDENTIALS)
    if sealed is None:
        return rest
    if private_key is None:
        raise QueryError("SEALING_KEY_MISSING", "execution has no key to open credentials", 503)
    try:
        opened = json.loads(open_sealed(private_key, str(sealed), credentials_context(user_id)))
    except (SealError, ValueError) as exc:
        raise QueryError("CREDENTIALS_UNREADABLE", "the sealed credentials do not open", 503) from exc
    if not isinstance(opened, dict):
        raise QueryError("CREDENTIALS_UNREADABLE", "the sealed credentials are not an object", 503)
    return rest | {name: opened[name] for name in CREDENTIAL_FIELDS if name in opened}


class VenueQueries:
    def __init__(
        self,
        engine: AsyncEngine,
        cache: AccountCache,
        vault: Vault,
        tickers: LatestTickers,
        open_venue: VenueFactory,
        credentials_key: str | None = None,
        timeout: float = 4.0,
    ) -> None:
        self._engine = engine
        self._cache = cache
        self._vault = vault
        self._tickers = tickers
        self._open_venue = open_venue
        self._credentials_key = credentials_key
        self._timeout = timeout
        self._accounts: WeakValueDictionary[UUID, asyncio.Lock] = WeakValueDictionary()
        """One venue call per account at a time (its nonces), any number across accounts."""
        self.catalog = MarketCatalog(self._load_markets)

    def handlers(self) -> dict[str, Callable[[Query], Awaitable[Any]]]:
        return {
            "venues.connect": self.connect,
            "venues.list": self.list_accounts,
            "venues.get": self.get,
            "venues.delete": self.delete,
            "venues.balance": self.balance,
            "venues.instruments": self.instruments,
            "venues.sync": self.sync,
            "venues.nonce": self.nonce,
            "venues.nonce_reset": self.nonce_reset,
            "venues.resolve": self.resolve,
            "market.prices": self.prices,
            "orders.open": self.open_orders,
        }

    async def connect(self, q: Query) -> dict[str, Any]:
        params = ConnectParams.model_validate(
            opened_credentials(q.params, self._credentials_key, q.caller.user_id)
        )
        if params.venue == accounts.PAPER:
            return await self._connect_paper(q.caller.user_id, params)
        return await self._connect_live(q.caller.user_id, params)

    async def list_accounts(self, q: Query) -> list[dict[str, Any]]:
        async with self._engine.connect() as conn:
            found = await accounts.list_for(conn, q.caller.user_id)
        return [views.account(account) for account in found]

    async def get(self, q: Query) -> dict[str, Any]:
        return views.account(await self._owned(q))

    async def delete(self, q: Query) -> dict[str, Any]:
        account = await self._owned(q)
        async with self._engine.begin() as conn:
            if await repo.count_unfinished(conn, account.id):
                raise QueryError("OPEN_ORDERS", "the account has open orders: cancel them first", 409)
            await accounts.mark_deleted(conn, account.id)
        self._cache.forget(account.id)
        return {"deleted": True}

    async def balance(self, q: Query) -> dict[str, dict[str, str]]:
        account = await self._owned(q)
        if account.is_paper:
            async with self._engine.connect() as conn:
                state = await repo.load_paper_state(conn, account.id)
            balances = balances_of(PaperEngine.from_dict(state or initial_state({})))
        else:
            balances = await self._with_venue(account, lambda venue: venue.balance())
        return {ccy: {k: format(v, "f") for k, v in amounts.items()} for ccy, amounts in balances.items()}

    async def instruments(self, q: Query) -> list[dict[str, Any]]:
        return await self._specs(await self._owned(q))

    async def sync(self, q: Query) -> dict[str, Any]:
        account = await self._owned(q)
        await self._specs(account, refresh=True)
        return views.account(account)

    async def nonce(self, q: Query) -> dict[str, Any]:
        from .adapters import nonces

        account = await self._live(q)
        return dict(await nonces.nonce_stats(self._engine, account.id))

    async def nonce_reset(self, q: Query) -> dict[str, Any]:
        from .adapters import nonces

        account = await self._live(q)
        return dict(await nonces.reset_nonces(self._engine, account.id))

    async def resolve(self, q: Query) -> dict[str, Any]:
        account = await self._owned(q)
        return {
            "account_id": str(account.id),
            "user_id": str(account.user_id),
            "venue": account.venue,
            "status": account.status,
            "markets": await self._specs(account),
        }

    async def prices(self, q: Query) -> list[dict[str, Any]]:
        params = PricesParams.model_validate(q.params)
        if params.venue_id is None:
            return self._tickers.prices()
        account = await self._scoped(q, params.venue_id)
        return self._tickers.prices(account.venue)

    async def open_orders(self, q: Query) -> list[dict[str, Any]]:
        async with self._engine.connect() as conn:
            rows = await repo.unfinished_orders(conn, user_id=None if q.caller.is_admin else q.caller.user_id)
        by_account: dict[UUID, list[str]] = {}
        for row in rows:
            by_account.setdefault(row.account_id, []).append(str(row.order_id))
        return [{"accountId": str(a), "orderIds": ids} for a, ids in by_account.items()]

    async def _connect_paper(self, user_id: UUID, params: ConnectParams) -> dict[str, Any]:
        account = self._new_account(user_id, params, environment="Paper", key_hint=None, sealed=None)
        balances = DEFAULT_BALANCES if params.initial_balances is None else params.initial_balances
        async with self._engine.begin() as conn:
            await accounts.insert(conn, account, initial_state(dict(balances)))
        return views.account(account)

    async def _connect_live(self, user_id: UUID, params: ConnectParams) -> dict[str, Any]:
        import ccxt  # seconds to import: only when someone connects an exchange

        from .adapters import ccxt_venue

        if params.venue not in ccxt.exchanges:
            raise QueryError("UNKNOWN_VENUE", f"{params.venue!r} is neither paper nor a known exchange", 422)
        if not params.api_key or not params.secret:
            raise QueryError("VALIDATION_ERROR", "apiKey and secret are required for an exchange", 422)
        credentials = Credentials(params.api_key, params.secret, params.password)
        try:
            await ccxt_venue.verify_credentials(params.venue, credentials, params.sandbox)
        except VenueCallError as err:
            raise _venue_query_error(err, "INVALID_CREDENTIALS", 422) from None
        account_id = uuid4()
        sealed = self._vault.seal(account_id, credentials)
        account = self._new_account(
            user_id,
            params,
            environment="Live",
            key_hint=params.api_key[-4:],
            sealed=sealed,
            account_id=account_id,
        )
        async with self._engine.begin() as conn:
            await accounts.insert(conn, account)
        return views.account(account)

    def _new_account(
        self,
        user_id: UUID,
        params: ConnectParams,
        *,
        environment: str,
        key_hint: str | None,
        sealed: bytes | None,
        account_id: UUID | None = None,
    ) -> Account:
        return Account(
            id=account_id or uuid4(),
            user_id=user_id,
            venue=params.venue,
            label=params.label or params.venue.capitalize(),
            environment=environment,
            status=accounts.CONNECTED,
            key_hint=key_hint,
            sandbox=params.sandbox,
            created_at=utcnow(),
            sealed=sealed,
        )

    async def _owned(self, q: Query) -> Account:
        return await self._scoped(q, IdParams.model_validate(q.params).id)

    async def _scoped(self, q: Query, account_id: UUID) -> Account:
        account = await self._cache.get(account_id)
        if (
            account is None
            or not account.active
            or not (q.caller.is_admin or account.user_id == q.caller.user_id)
        ):
            raise QueryError("VENUE_NOT_FOUND", "no such venue account", 404)
        return account

    async def _live(self, q: Query) -> Account:
        account = await self._owned(q)
        if account.is_paper:
            raise QueryError("NOT_SUPPORTED", "paper accounts have no nonces", 422)
        return account

    async def _specs(self, account: Account, refresh: bool = False) -> list[dict[str, Any]]:
        try:
            return await self.catalog.specs(account, refresh)
        except VenueCallError as err:
            raise _venue_query_error(err, "VENUE_ERROR", 502) from None

    async def _load_markets(self, account: Account) -> list[MarketSpec]:
        specs: list[MarketSpec] = await self._with_venue(account, lambda venue: venue.markets())
        return specs

    async def _with_venue(self, account: Account, call: Callable[[Venue], Awaitable[Any]]) -> Any:
        """`call` on a venue of its own, after this account's previous query call, within the timeout."""
        lock = self._accounts.setdefault(account.id, asyncio.Lock())
        try:
            venue = self._open_venue(account)
        except VenueCallError as err:
            raise _venue_query_error(err, "VENUE_ERROR", 502) from None
        try:
            async with asyncio.timeout(self._timeout), lock:
                return await call(venue)
        except TimeoutError:
            message = f"the exchange did not answer within {self._timeout:g}s"
            raise QueryError("VENUE_UNAVAILABLE", message, 503) from None
        except VenueCallError as err:
            raise _venue_query_error(err, "VENUE_ERROR", 502) from None
        finally:
            await venue.close()


def _venue_query_error(err: VenueCallError, code: str, status: int) -> QueryError:
    if err.category in _UNAVAILABLE:
        return QueryError("VENUE_UNAVAILABLE", f"the exchange did not answer: {err.message}", 503)
    return QueryError(code, err.message, status)
