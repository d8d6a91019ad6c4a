"""Wiring of the marketdata process: the paper feed, live venues' tickers, candles, queries and health."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from contextlib import suppress
from datetime import datetime
from decimal import Decimal
from pathlib import Path

import nats.js.errors
from faststream import AckPolicy
from faststream.nats import ConsumerConfig, DeliverPolicy, JStream, NatsMessage, NatsRouter
from pydantic import ValidationError
from starlette.applications import Starlette
from tradeplane.contracts import Ticker, streams, subjects
from tradeplane.paper.markets import PAPER_MARKETS
from tradeplane.runtime import Periodic, Runtime, publish_message, run
from tradeplane.runtime.bus import FAN_OUT_INACTIVE, process_durable

from . import queries
from .adapters.exchanges import Exchanges
from .adapters.tables import metadata
from .candles import Candles
from .config import Settings
from .feed import PAPER, PRODUCER, FeedPublisher

SERVICE = PRODUCER
CLOSE_CHECK_SECONDS = 0.25
log = logging.getLogger(__name__)


def ticker_router(candles: Candles, start: datetime | None) -> NatsRouter:
    """Every ticker on the bus, one at a time: from `start` (where the stored candles end), or all the
    stream still holds when nothing is stored yet (a first start, or ticks before the first flush)."""
    router = NatsRouter()
    config = ConsumerConfig(
        max_deliver=-1,
        ack_wait=30.0,
        inactive_threshold=FAN_OUT_INACTIVE.total_seconds(),
        opt_start_time=start,
    )

    @router.subscriber(
        subjects.ALL_TICKERS,
        stream=JStream(streams.MARKET.name, declare=False),
        durable=process_durable(SERVICE, subjects.ALL_TICKERS),
        config=config,
        deliver_policy=DeliverPolicy.ALL if start is None else DeliverPolicy.BY_START_TIME,
        ack_policy=AckPolicy.MANUAL,
        title="candles:tickers",
    )
    async def on_ticker(msg: NatsMessage) -> None:
        try:
            ticker = Ticker.model_validate_json(msg.body)
        except ValidationError:
            log.warning("ignored an undecodable ticker", extra={"subject": msg.raw_message.subject})
        else:
            try:
                await candles.on_ticker(ticker, msg.raw_message.metadata.num_pending or 0)
            except Exception:  # a tick that breaks the builder must not hold up every later one
                log.exception("a ticker could not be counted", extra={"subject": msg.raw_message.subject})
        await msg.ack()

    return router


class Marketdata:
    def __init__(self, rt: Runtime, settings: Settings) -> None:
        self.rt = rt
        self.settings = settings
        self.candles = Candles(rt, settings)
        self.exchanges = Exchanges(
            settings.ccxt_api_urls,
            settings.ccxt_timeout_ms,
            settings.marketdata_cache_seconds,
            settings.ccxt_rate_limit,
        )
        self.feed = FeedPublisher(
            lambda subject, ticker: publish_message(rt.broker, subject, ticker),
            seed=settings.feed_seed,
            interval=settings.feed_interval_seconds,
            volatility_bps=settings.feed_volatility_bps,
            spread_bps=settings.feed_spread_bps,
        )
        self.periodic = Periodic()

    async def startup(self) -> None:
        """Before consuming: resume the candles from the database and replay the tickers since."""
        start = await self.candles.resume()
        self.rt.include(ticker_router(self.candles, start))
        if self.settings.marketdata_venues:
            self.exchanges.exchange(next(iter(self.settings.marketdata_venues)))  # import ccxt before ready

    async def started(self) -> None:
        if self.settings.feed_enabled:
            self.feed.start(await self._last_paper_prices())
        self.periodic.start("candles-close", CLOSE_CHECK_SECONDS, self.candles.close_due, at_once=False)
        self.periodic.start("candles-flush", self.settings.marketdata_flush_seconds, self.candles.flush)
        for venue, symbols in self.settings.marketdata_venues.items():
            self.periodic.start(
                f"poll-{venue}", self.settings.marketdata_poll_seconds, self._poller(venue, symbols)
            )

    async def shutdown(self) -> None:
        await self.feed.stop()
        await self.periodic.stop()
        with suppress(Exception):
            await self.candles.flush()
        await self.exchanges.close()

    def _poller(self, venue: str, symbols: list[str]) -> Callable[[], Awaitable[None]]:
        async def poll() -> None:
            for ticker in await self.exchanges.tickers(venue, symbols, PRODUCER):
                await publish_message(self.rt.broker, subjects.ticker(venue, ticker.symbol), ticker)

        return poll

    async def _last_paper_prices(self) -> dict[str, Decimal]:
        """The last paper prices on the bus: a restarted feed continues from them."""
        js = self.rt.broker.config.connection_state.stream
        prices = {}
        for symbol in PAPER_MARKETS:
            with suppress(nats.js.errors.NotFoundError):
                raw = await js.get_last_msg(streams.MARKET.name, subjects.ticker(PAPER, symbol))
                if raw.data:
                    prices[symbol] = Ticker.model_validate_json(raw.data).last
        return prices


def build(settings: Settings) -> Starlette:
    rt = Runtime(SERVICE, settings, metadata, Path(__file__).parent / "migrations")
    service = Marketdata(rt, settings)
    context = queries.Context(
        rt.engine,
        service.candles,
        service.exchanges,
        settings.marketdata_venues,
        tuple(settings.marketdata_timeframes),
    )
    return rt.asgi(
        [queries.router(context)],
        on_startup=[service.startup],
        after_startup=[service.started],
        on_shutdown=[service.shutdown],
    )


def main() -> None:
    run(build, Settings)
