"""Latest market prices from the ticker fan-out: the reference price of market orders."""

from __future__ import annotations

import logging
from decimal import Decimal

from nats.js import JetStreamContext
from nats.js.errors import NotFoundError
from pydantic import ValidationError
from tradeplane.contracts import OrderRequested, Ticker, streams, subjects

log = logging.getLogger(__name__)


class Prices:
    def __init__(self) -> None:
        self._by_venue: dict[tuple[str, str], Decimal] = {}
        self._by_symbol: dict[str, Decimal] = {}

    def update(self, ticker: Ticker) -> None:
        self._by_venue[(ticker.venue, ticker.symbol)] = ticker.last
        self._by_symbol[ticker.symbol] = ticker.last

    def latest(self, venue: str, symbol: str) -> Decimal | None:
        """The venue's last price, else any venue's (a fair estimate of notional), else None."""
        return self._by_venue.get((venue, symbol)) or self._by_symbol.get(symbol)

    def reference(self, order: OrderRequested) -> Decimal | None:
        """The price an order's notional is judged at: its limit price, its stop price, or the market."""
        return order.price or order.stop_price or self.latest(order.venue, order.symbol)


async def load_latest(js: JetStreamContext, prices: Prices) -> int:
    """Seed `prices` with the last stored ticker of every symbol; returns how many were loaded.

    The ticker consumer only hears new tickers: without this a (re)started replica rejects every
    market order until each symbol ticks again.
    """
    try:
        info = await js.stream_info(streams.MARKET.name, subjects_filter=subjects.ALL_TICKERS)
    except NotFoundError:
        return 0
    loaded = 0
    for subject in info.state.subjects or {}:
        try:
            raw = await js.get_last_msg(streams.MARKET.name, subject)
            prices.update(Ticker.model_validate_json(raw.data or b""))
        except (NotFoundError, ValidationError):
            log.warning("could not load the last ticker", extra={"subject": subject})
            continue
        loaded += 1
    return loaded
