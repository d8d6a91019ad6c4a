"""The Kraken emulator's private endpoints: each takes the signed-in account and the form fields."""

from __future__ import annotations

import re
from collections.abc import Callable
from decimal import Decimal, InvalidOperation
from typing import Any

from tests.support.kraken_book import (
    Account,
    AddOrderReceived,
    KrakenError,
    Order,
    crosses,
    fmt_asset,
    new_id,
)
from tests.support.kraken_markets import Pair, find_pair

Prices = dict[str, Decimal]
Handler = Callable[[Account, dict[str, str], Prices], dict[str, Any]]

# Kraken accepts a UUID with or without dashes, or free text of up to 18 ASCII characters.
_CL_ORD_ID = re.compile(
    r"^([0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"
    r"|[0-9a-fA-F]{32}|[ -~]{1,18})$"
)
_TRUE = {"true", "True", "1"}


def _decimal(raw: str | None, what: str) -> Decimal:
    try:
        value = Decimal(raw or "")
    except InvalidOperation:
        raise KrakenError(f"EGeneral:Invalid arguments:{what}") from None
    if not value.is_finite() or value <= 0:
        raise KrakenError(f"EGeneral:Invalid arguments:{what}")
    return value


def _limit_price(pair: Pair, params: dict[str, str]) -> Decimal:
    price = _decimal(params.get("price"), "price")
    if -price.as_tuple().exponent > pair.pair_decimals:  # type: ignore[operator]
        raise KrakenError(
            f"EOrder:Invalid price:{pair.altname} price can only be specified up to "
            f"{pair.pair_decimals} decimals."
        )
    return price


def _client_ids(account: Account, params: dict[str, str]) -> tuple[str | None, int | None]:
    cl_ord_id, userref = params.get("cl_ord_id"), params.get("userref")
    if cl_ord_id is not None and userref is not None:
        raise KrakenError("EGeneral:Invalid arguments:cl_ord_id")
    if cl_ord_id is not None and not _CL_ORD_ID.match(cl_ord_id):
        raise KrakenError("EGeneral:Invalid arguments:cl_ord_id")
    if cl_ord_id is not None and any(
        o.cl_ord_id == cl_ord_id and o.status == "open" for o in account.orders.values()
    ):
        # Kraken keeps cl_ord_id unique among open orders only; this error text is not verified.
        raise KrakenError("EOrder:Duplicate cl_ord_id")
    try:
        return cl_ord_id, None if userref is None else int(userref)
    except ValueError:
        raise KrakenError("EGeneral:Invalid arguments:userref") from None


def _new_order(account: Account, params: dict[str, str], prices: Prices) -> Order:
    pair = find_pair(params.get("pair", ""))
    if pair is None:
        raise KrakenError("EQuery:Unknown asset pair")
    side, ordertype = params.get("type"), params.get("ordertype")
    if side not in ("buy", "sell") or ordertype not in ("market", "limit"):
        raise KrakenError("EGeneral:Invalid arguments")
    if "viqc" in params.get("oflags", ""):
        raise KrakenError("EGeneral:Invalid arguments:viqc")
    volume = _decimal(params.get("volume"), "volume")
    if -volume.as_tuple().exponent > pair.lot_decimals:  # type: ignore[operator]
        raise KrakenError("EGeneral:Invalid arguments:volume")
    if volume < pair.ordermin:
        raise KrakenError("EOrder:Order minimum not met")
    price = _limit_price(pair, params) if ordertype == "limit" else None
    if volume * (price or prices[pair.id]) < pair.costmin:
        raise KrakenError("EOrder:Cost minimum not met")
    cl_ord_id, userref = _client_ids(account, params)
    account.ensure_funds(pair, side, volume, price or prices[pair.id])
    return Order(new_id("O"), pair, side, ordertype, volume, price, cl_ord_id, userref)


def add_order(account: Account, params: dict[str, str], prices: Prices) -> dict[str, Any]:
    try:
        order = _new_order(account, params, prices)
    except KrakenError as error:
        account.add_orders.append(_received(params, None, error.message))
        raise
    if params.get("validate") in _TRUE:
        account.add_orders.append(_received(params, None, None))
        return {"descr": {"order": order.description()}}
    account.orders[order.txid] = order
    account.add_orders.append(_received(params, order.txid, None))
    market = prices[order.pair.id]
    if order.price is None or crosses(order, market):
        account.fill(order, market, maker=False)
    return {"descr": {"order": order.description()}, "txid": [order.txid]}


def _received(params: dict[str, str], txid: str | None, error: str | None) -> AddOrderReceived:
    return AddOrderReceived(dict(params), params.get("cl_ord_id"), params.get("userref"), txid, error)


def cancel_order(account: Account, params: dict[str, str], prices: Prices) -> dict[str, Any]:
    cl_ord_id, txid = params.get("cl_ord_id"), params.get("txid")
    if cl_ord_id is None and txid is None:
        raise KrakenError("EGeneral:Invalid arguments")
    matches = [
        o
        for o in account.orders.values()
        if o.status == "open"
        and (
            (cl_ord_id is not None and o.cl_ord_id == cl_ord_id)
            or (txid is not None and (o.txid == txid or str(o.userref) == txid))
        )
    ]
    if not matches:
        raise KrakenError("EOrder:Unknown order")
    for order in matches:
        account.cancel(order)
    return {"count": len(matches)}


def _filtered(account: Account, params: dict[str, str], statuses: tuple[str, ...]) -> list[Order]:
    cl_ord_id, userref = params.get("cl_ord_id"), params.get("userref")
    found = [
        o
        for o in account.orders.values()
        if o.status in statuses
        and (cl_ord_id is None or o.cl_ord_id == cl_ord_id)
        and (userref is None or str(o.userref) == userref)
    ]
    return sorted(found, key=lambda o: o.opentm, reverse=True)


def open_orders(account: Account, params: dict[str, str], prices: Prices) -> dict[str, Any]:
    trades = params.get("trades") in _TRUE
    return {"open": {o.txid: o.info(trades) for o in _filtered(account, params, ("open",))}}


def closed_orders(account: Account, params: dict[str, str], prices: Prices) -> dict[str, Any]:
    trades = params.get("trades") in _TRUE
    closed = _filtered(account, params, ("closed", "canceled"))
    return {"closed": {o.txid: o.info(trades) for o in closed}, "count": len(closed)}


def query_orders(account: Account, params: dict[str, str], prices: Prices) -> dict[str, Any]:
    txids = [t for t in params.get("txid", "").split(",") if t]
    if not txids:
        raise KrakenError("EGeneral:Invalid arguments")
    userref = params.get("userref")
    result: dict[str, Any] = {}
    for txid in txids:
        order = account.orders.get(txid)
        if order is None:
            raise KrakenError("EOrder:Invalid order")
        if userref is None or str(order.userref) == userref:
            result[txid] = order.info(params.get("trades") in _TRUE)
    return result


def trades_history(account: Account, params: dict[str, str], prices: Prices) -> dict[str, Any]:
    trades = sorted(account.trades.values(), key=lambda t: t.time, reverse=True)
    return {"trades": {t.txid: t.info() for t in trades}, "count": len(trades)}


def balance(account: Account, params: dict[str, str], prices: Prices) -> dict[str, Any]:
    return {asset: fmt_asset(asset, amount) for asset, amount in account.reported().items()}


def balance_ex(account: Account, params: dict[str, str], prices: Prices) -> dict[str, Any]:
    return {
        asset: {"balance": fmt_asset(asset, amount), "hold_trade": fmt_asset(asset, account.held(asset))}
        for asset, amount in account.reported().items()
    }


PRIVATE: dict[str, Handler] = {
    "Balance": balance,
    "BalanceEx": balance_ex,
    "AddOrder": add_order,
    "CancelOrder": cancel_order,
    "OpenOrders": open_orders,
    "ClosedOrders": closed_orders,
    "QueryOrders": query_orders,
    "TradesHistory": trades_history,
}
