"""Drive the paper venue's prices from a test: publish tickers as the synthetic feed would."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from tradeplane.contracts import Ticker, new_meta, subjects, utcnow
from tradeplane.runtime.outbox import envelope

from tests.support.natsauth import connect_operator


async def publish_ticker(
    nats_url: str, symbol: str, last: Decimal, spread: Decimal = Decimal("0.01"), at: datetime | None = None
) -> None:
    ticker = Ticker(
        meta=new_meta("test-feed"),
        venue="paper",
        symbol=symbol,
        bid=last - spread,
        ask=last + spread,
        last=last,
        at=at or utcnow(),
    )
    env = envelope(subjects.ticker("paper", symbol), ticker)
    nc = await connect_operator(nats_url)
    try:
        await nc.jetstream().publish(env.subject, env.payload, headers=env.headers)
    finally:
        await nc.close()
