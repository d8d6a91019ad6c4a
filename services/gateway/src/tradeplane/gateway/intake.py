"""Order intake and cancellation: the gateway's writes of the order path, each in one outbox transaction."""

from __future__ import annotations

import uuid
from decimal import Decimal, InvalidOperation
from typing import Any, Protocol
from uuid import UUID

from sqlalchemy import Row
from tradeplane.contracts import CancelOrder, OrderRequested, OrderStatus, OrderType, new_meta, subjects
from tradeplane.contracts.queries import EXECUTION, Caller

from .adapters.intake_store import IntakeStore
from .auth.principal import Principal
from .domain.sizing import MarketRules, Requested, Sized, SizingError, find_market, size_order
from .envelope import ApiError
from .schemas import PlaceOrder
from .venues import Account, Ask

SERVICE = "gateway"


def order_not_found() -> ApiError:
    return ApiError(404, "ORDER_NOT_FOUND", "no such order")


class Venues(Protocol):
    async def resolve(self, caller: Caller, venue_id: UUID) -> Account:
        """The caller's own venue account, or 404 VENUE_NOT_FOUND (see `VenueAccounts`)."""
        ...


class Intake:
    def __init__(self, store: IntakeStore, venues: Venues, ask: Ask, partitions: int) -> None:
        self._store = store
        self._venues = venues
        self._ask = ask
        self._partitions = partitions

    async def place(self, user: Principal, body: PlaceOrder, idempotency_key: str | None) -> Row[Any]:
        """Record the order (Pending) and request it; the same client order id returns the same order."""
        key = _client_key(body, idempotency_key)
        # No lookup of the key first (a round trip on every order): a repeat is found by the insert's
        # conflict below, or here when the order can no longer be checked (its account removed since).
        try:
            account = await self._venues.resolve(user.caller, body.venue_id)
            sized = await self._sized(user.caller, account, body)
        except ApiError:
            existing = None if key is None else await self._store.by_client_id(user.id, key)
            if existing is None:
                raise
            return existing
        order_id = uuid.uuid4()
        intent = OrderRequested(
            meta=new_meta(SERVICE, correlation_id=order_id),
            order_id=order_id,
            user_id=user.id,
            account_id=account.account_id,
            client_order_id=key or str(order_id),
            venue=account.venue,
            symbol=body.symbol,
            side=body.side,
            type=body.type,
            quantity=sized.quantity,
            price=sized.price,
            stop_price=sized.stop_price,
        )
        partition = subjects.partition_of(user.id, self._partitions)
        # The row and its event in one autocommitted statement; a taken key stores neither.
        row = await self._store.insert_order(
            _row(intent), subjects.order_requested(partition, user.id), intent
        )
        if row is not None:
            return row
        # The one a concurrent request with the same key committed first.
        row = await self._store.by_client_id(user.id, intent.client_order_id)
        if row is None:
            raise ApiError(409, "CONFLICT", "the order could not be recorded; retry with the same key")
        return row

    async def cancel(self, user: Principal, order_id: UUID) -> Row[Any]:
        """Ask the order's executor to cancel it; 409 ORDER_NOT_OPEN once it is filled, cancelled or
        rejected."""
        async with self._store.transaction() as tx:
            row = await tx.by_id(user.id, order_id)
            if row is None:
                raise order_not_found()
            if OrderStatus(row.status).is_terminal:
                raise ApiError(409, "ORDER_NOT_OPEN", f"the order is {row.status}", orderStatus=row.status)
            command = CancelOrder(
                meta=new_meta(SERVICE, correlation_id=order_id),
                order_id=order_id,
                user_id=user.id,
                account_id=row.account_id,
                reason="user",
            )
            partition = subjects.partition_of(user.id, self._partitions)
            tx.emit(subjects.order_cancel(partition, user.id), command)
        return row

    async def _sized(self, caller: Caller, account: Account, body: PlaceOrder) -> Sized:
        try:
            rules = find_market(account.markets, body.symbol)
            last = await self._last_price(caller, body, rules) if body.type is OrderType.MARKET else None
            requested = Requested(body.side, body.type, body.quantity, body.price, body.stop_price)
            return size_order(rules, requested, last)
        except SizingError as exc:
            raise ApiError(422, exc.code, exc.message, **exc.details) from exc

    async def _last_price(self, caller: Caller, body: PlaceOrder, rules: MarketRules) -> Decimal | None:
        """The latest traded price, for a market order's minimum notional; None when none is known."""
        if rules.min_notional <= 0:
            return None
        reply = await self._ask(caller, EXECUTION, "market.prices", {"venueId": str(body.venue_id)})
        if not reply.ok or not isinstance(reply.data, list):
            return None
        for ticker in reply.data:
            if isinstance(ticker, dict) and ticker.get("symbol") == body.symbol:
                try:
                    price = Decimal(str(ticker.get("price")))
                except InvalidOperation:
                    return None
                return price if price.is_finite() and price > 0 else None
        return None


def _client_key(body: PlaceOrder, idempotency_key: str | None) -> str | None:
    if body.client_order_id and idempotency_key and body.client_order_id != idempotency_key:
        raise ApiError(
            422,
            "IDEMPOTENCY_KEY_MISMATCH",
            "clientOrderId and the Idempotency-Key header differ; send one of them",
            field="clientOrderId",
        )
    return body.client_order_id or idempotency_key


def _row(intent: OrderRequested) -> dict[str, Any]:
    return {
        "order_id": intent.order_id,
        "user_id": intent.user_id,
        "account_id": intent.account_id,
        "venue": intent.venue,
        "symbol": intent.symbol,
        "side": intent.side.value,
        "type": intent.type.value,
        "quantity": intent.quantity,
        "price": intent.price,
        "stop_price": intent.stop_price,
        "client_order_id": intent.client_order_id,
        "status": OrderStatus.PENDING.value,
        "bot_id": intent.bot_id,
    }


def requested_row(intent: OrderRequested) -> dict[str, Any]:
    """The view row of an order first seen on the bus (placed by a bot, or by another gateway)."""
    return _row(intent) | {"created_at": intent.meta.occurred_at}
