"""Orders, trades and balances of the Kraken emulator's accounts, and the fills a price move causes."""

from __future__ import annotations

import random
import string
import time
from collections import deque
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from tests.support.kraken_markets import ASSETS, MAKER_FEE, TAKER_FEE, Pair


class KrakenError(Exception):
    """A request Kraken refuses; `message` is the string Kraken puts in its `error` list."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def new_id(prefix: str) -> str:
    """An id shaped like Kraken's order and trade ids ("OQCLML-BW3P3-BUCMWZ")."""
    chars = string.ascii_uppercase + string.digits
    a, b, c = ("".join(random.choices(chars, k=n)) for n in (5, 5, 6))
    return f"{prefix}{a}-{b}-{c}"


def fmt_asset(asset: str, value: Decimal) -> str:
    return f"{value.quantize(Decimal(1).scaleb(-ASSETS[asset][1])):f}"


@dataclass
class Trade:
    """One execution of an order, as TradesHistory reports it."""

    txid: str
    order: Order
    time: float
    price: Decimal
    volume: Decimal
    cost: Decimal
    fee: Decimal
    maker: bool
    postxid: str = field(default_factory=lambda: new_id("T"))

    def info(self) -> dict[str, Any]:
        pair = self.order.pair
        return {
            "ordertxid": self.order.txid,
            "postxid": self.postxid,
            "pair": pair.id,
            "time": self.time,
            "type": self.order.side,
            "ordertype": self.order.ordertype,
            "price": pair.fmt_price(self.price),
            "cost": fmt_asset(pair.quote, self.cost),
            "fee": fmt_asset(pair.quote, self.fee),
            "vol": pair.fmt_volume(self.volume),
            "margin": "0.00000",
            "misc": "",
            "maker": self.maker,
        }


@dataclass
class Order:
    """An order as Kraken keeps it; fees are charged in the quote currency (Kraken's `fciq`)."""

    txid: str
    pair: Pair
    side: str
    ordertype: str
    volume: Decimal
    price: Decimal | None
    cl_ord_id: str | None
    userref: int | None
    opentm: float = field(default_factory=time.time)
    status: str = "open"
    vol_exec: Decimal = Decimal(0)
    cost: Decimal = Decimal(0)
    fee: Decimal = Decimal(0)
    closetm: float | None = None
    reason: str | None = None
    trades: list[str] = field(default_factory=list)

    def description(self) -> str:
        where = "market" if self.price is None else f"limit {self.pair.fmt_price(self.price)}"
        return f"{self.side} {self.pair.fmt_volume(self.volume)} {self.pair.altname} @ {where}"

    def hold(self) -> tuple[str, Decimal]:
        """The asset and amount this order reserves while it is open."""
        if self.status != "open" or self.price is None:
            return self.pair.quote, Decimal(0)
        if self.side == "buy":
            return self.pair.quote, self.volume * self.price * (1 + TAKER_FEE)
        return self.pair.base, self.volume

    def info(self, with_trades: bool = False) -> dict[str, Any]:
        pair = self.pair
        average = self.cost / self.vol_exec if self.vol_exec else Decimal(0)
        doc: dict[str, Any] = {
            "refid": None,
            "userref": self.userref,
            "status": self.status,
            "opentm": self.opentm,
            "starttm": 0,
            "expiretm": 0,
            "descr": {
                "pair": pair.altname,
                "type": self.side,
                "ordertype": self.ordertype,
                "price": pair.fmt_price(self.price or Decimal(0)),
                "price2": "0",
                "leverage": "none",
                "order": self.description(),
                "close": "",
            },
            "vol": pair.fmt_volume(self.volume),
            "vol_exec": pair.fmt_volume(self.vol_exec),
            "cost": fmt_asset(pair.quote, self.cost),
            "fee": fmt_asset(pair.quote, self.fee),
            "price": pair.fmt_price(average),
            "stopprice": "0.00000",
            "limitprice": "0.00000",
            "misc": "",
            "oflags": "fciq",
        }
        if self.cl_ord_id is not None:
            doc["cl_ord_id"] = self.cl_ord_id
        if self.closetm is not None:
            doc["closetm"] = self.closetm
        if self.reason is not None:
            doc["reason"] = self.reason
        if with_trades and self.trades:
            doc["trades"] = list(self.trades)
        return doc


@dataclass(frozen=True)
class AddOrderReceived:
    """One AddOrder request that passed authentication, accepted or not."""

    params: dict[str, str]
    cl_ord_id: str | None
    userref: str | None
    txid: str | None
    error: str | None


@dataclass
class Account:
    """One API key's secret, nonce, balances, orders and pending faults."""

    api_key: str
    secret: bytes
    balances: dict[str, Decimal]
    last_nonce: int = 0
    orders: dict[str, Order] = field(default_factory=dict)
    trades: dict[str, Trade] = field(default_factory=dict)
    add_orders: list[AddOrderReceived] = field(default_factory=list)
    calls: list[tuple[str, dict[str, str]]] = field(default_factory=list)
    faults: deque[str] = field(default_factory=deque)
    misreported: dict[str, Decimal] = field(default_factory=dict)
    """Amounts Balance/BalanceEx report instead of the real ones (a venue that disagrees with the books)."""

    def reported(self) -> dict[str, Decimal]:
        return self.balances | self.misreported

    def held(self, asset: str) -> Decimal:
        total = Decimal(0)
        for order in self.orders.values():
            held_asset, amount = order.hold()
            if held_asset == asset:
                total += amount
        return total

    def available(self, asset: str) -> Decimal:
        return self.balances.get(asset, Decimal(0)) - self.held(asset)

    def ensure_funds(self, pair: Pair, side: str, volume: Decimal, price: Decimal) -> None:
        if side == "buy":
            needed, asset = volume * price * (1 + TAKER_FEE), pair.quote
        else:
            needed, asset = volume, pair.base
        if needed > self.available(asset):
            raise KrakenError("EOrder:Insufficient funds")

    def fill(self, order: Order, price: Decimal, maker: bool) -> None:
        """Fill the whole order at `price` and move the balances, fee in the quote currency."""
        pair = order.pair
        cost = order.volume * price
        rate = MAKER_FEE if maker else TAKER_FEE
        fee = (cost * rate).quantize(Decimal(1).scaleb(-ASSETS[pair.quote][1]))
        base, quote = self.balances.get(pair.base, Decimal(0)), self.balances.get(pair.quote, Decimal(0))
        if order.side == "buy":
            self.balances[pair.base], self.balances[pair.quote] = base + order.volume, quote - cost - fee
        else:
            self.balances[pair.base], self.balances[pair.quote] = base - order.volume, quote + cost - fee
        trade = Trade(new_id("T"), order, time.time(), price, order.volume, cost, fee, maker)
        self.trades[trade.txid] = trade
        order.trades.append(trade.txid)
        order.vol_exec, order.cost, order.fee = order.volume, cost, fee
        order.status, order.closetm = "closed", trade.time

    def cancel(self, order: Order) -> None:
        order.status, order.closetm, order.reason = "canceled", time.time(), "User requested"


def crosses(order: Order, price: Decimal) -> bool:
    """Whether a resting limit order trades at market price `price`."""
    if order.status != "open" or order.price is None:
        return False
    return price <= order.price if order.side == "buy" else price >= order.price
