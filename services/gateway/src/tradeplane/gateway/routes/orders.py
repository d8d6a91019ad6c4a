"""Orders: place, list, history, one order, cancel (the gateway's own view of the order path)."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Header, Query, Response
from tradeplane.contracts import OrderStatus

from .. import intake
from ..adapters import order_view
from ..deps import CurrentUser, Gw, Pages, ReadConn, Trader
from ..envelope import EnvelopeRoute, ok, paged, pagination
from ..schemas import ERRORS, Key, Ok, OrderAccepted, OrderOut, Page, PlaceOrder, Symbol
from ..views import order_json

router = APIRouter(prefix="/api/orders", tags=["orders"], route_class=EnvelopeRoute, responses=ERRORS)

TERMINAL = tuple(s for s in OrderStatus if s.is_terminal)


@router.post("", status_code=202, response_model=Ok[OrderAccepted])
async def place_order(
    body: PlaceOrder,
    user: Trader,
    gw: Gw,
    idempotency_key: Annotated[Key | None, Header(alias="Idempotency-Key")] = None,
) -> Response:
    """Place an order; the same clientOrderId (or Idempotency-Key) returns the same order."""
    row = await gw.intake.place(user, body, idempotency_key)
    return ok({"order": order_json(row)}, 202)


@router.get("", response_model=Page[OrderOut])
async def list_orders(
    user: CurrentUser,
    conn: ReadConn,
    pages: Pages,
    status: OrderStatus | None = None,
    symbol: Annotated[Symbol | None, Query()] = None,
    venue_id: Annotated[UUID | None, Query(alias="venueId")] = None,
    bot_id: Annotated[UUID | None, Query(alias="botId", description="Only the orders of this bot.")] = None,
) -> Response:
    """The caller's orders, newest first."""
    rows, total = await order_view.page(
        conn,
        user.id,
        statuses=(status,) if status else (),
        symbol=symbol,
        account_id=venue_id,
        bot_id=bot_id,
        offset=pages.offset,
        limit=pages.page_size,
    )
    return paged([order_json(r) for r in rows], pagination(pages.page, pages.page_size, total))


@router.get("/history", response_model=Page[OrderOut])
async def order_history(
    user: CurrentUser,
    conn: ReadConn,
    pages: Pages,
    symbol: Annotated[Symbol | None, Query()] = None,
) -> Response:
    """The caller's finished orders (filled, cancelled, rejected), newest first."""
    rows, total = await order_view.page(
        conn, user.id, statuses=TERMINAL, symbol=symbol, offset=pages.offset, limit=pages.page_size
    )
    return paged([order_json(r) for r in rows], pagination(pages.page, pages.page_size, total))


@router.get("/{order_id:uuid}", response_model=Ok[OrderOut])
async def get_order(order_id: UUID, user: CurrentUser, conn: ReadConn) -> Response:
    """One of the caller's orders."""
    row = await order_view.by_id(conn, user.id, order_id)
    if row is None:
        raise intake.order_not_found()
    return ok(order_json(row))


@router.delete("/{order_id:uuid}", status_code=202, response_model=Ok[OrderAccepted])
async def cancel_order(order_id: UUID, user: Trader, gw: Gw) -> Response:
    """Cancel an open order; 409 ORDER_NOT_OPEN when it is already finished."""
    row = await gw.intake.cancel(user, order_id)
    return ok({"order": order_json(row)}, 202)
