"""The paper feed: tickers on the paper subjects, continuing from the last prices seen on the bus."""

from __future__ import annotations

from decimal import Decimal

from tradeplane.contracts import Ticker, subjects
from tradeplane.marketdata.feed import FeedPublisher
from tradeplane.paper.markets import PAPER_MARKETS, PAPER_START_PRICES


def publisher(sent: list[tuple[str, Ticker]]) -> FeedPublisher:
    async def publish(subject: str, ticker: Ticker) -> None:
        sent.append((subject, ticker))

    return FeedPublisher(publish, seed=7, interval=1.0, volatility_bps=Decimal(5), spread_bps=Decimal(1))


async def test_each_round_publishes_one_paper_ticker_per_market_on_its_subject() -> None:
    sent: list[tuple[str, Ticker]] = []
    feed = publisher(sent)

    await feed.publish_once(feed.feed({}))

    assert sorted(subject for subject, _ in sent) == sorted(
        subjects.ticker("paper", s) for s in PAPER_MARKETS
    )
    for subject, ticker in sent:
        assert subject == subjects.ticker("paper", ticker.symbol)
        assert (ticker.venue, ticker.meta.producer) == ("paper", "marketdata")
        assert ticker.bid < ticker.ask and ticker.bid <= ticker.last <= ticker.ask


async def test_the_feed_continues_from_the_last_prices_seen_else_from_the_start_prices() -> None:
    sent: list[tuple[str, Ticker]] = []
    feed = publisher(sent)

    await feed.publish_once(feed.feed({"BTC/USDT": Decimal("30000")}))

    last = {ticker.symbol: ticker.last for _, ticker in sent}
    assert abs(last["BTC/USDT"] - Decimal(30000)) < Decimal(30000) * Decimal("0.001")
    eth_start = PAPER_START_PRICES["ETH/USDT"]
    assert abs(last["ETH/USDT"] - eth_start) < eth_start * Decimal("0.001")


async def test_the_same_seed_gives_the_same_prices() -> None:
    first: list[tuple[str, Ticker]] = []
    second: list[tuple[str, Ticker]] = []
    for sent in (first, second):
        feed = publisher(sent)
        await feed.publish_once(feed.feed({}))

    assert [t.last for _, t in first] == [t.last for _, t in second]
