"""Books a million fills across many users and symbols and prints the throughput and peak memory.

Run: `python -m tests.bench.bench_pnl [--fills N] [--users N]`. Fills are generated in batches
outside the timed section, so the figure is the booking rate of `Book.apply` alone.
"""

from __future__ import annotations

import argparse
import random
import resource
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from uuid import UUID

from tradeplane.contracts import Side
from tradeplane.pnl.domain.fills import Fill
from tradeplane.pnl.domain.lots import Book

SYMBOLS = {"BTC/USD": 60_000, "ETH/USD": 3_000, "SOL/USD": 150}
BATCH = 100_000
T0 = datetime(2024, 1, 1, tzinfo=UTC)


def price_pools(rng: random.Random) -> dict[str, list[Decimal]]:
    return {
        symbol: [
            Decimal(round(mid * rng.uniform(0.9, 1.1), 2)).quantize(Decimal("0.01")) for _ in range(1000)
        ]
        for symbol, mid in SYMBOLS.items()
    }


def batches(total: int, users: int, seed: int = 7) -> Iterator[list[Fill]]:
    """Yield lists of fills; each user trades every symbol on one account, fee in the quote currency."""
    rng = random.Random(seed)
    prices = price_pools(rng)
    quantities = [Decimal(rng.randint(1, 500)) / 100 for _ in range(1000)]
    fee_rate = Decimal("0.001")
    ids = [tuple(UUID(int=rng.getrandbits(128)) for _ in range(3)) for _ in range(users)]
    symbols = list(SYMBOLS)
    for start in range(0, total, BATCH):
        batch = []
        for n in range(start, min(start + BATCH, total)):
            user_id, account_id, order_id = ids[n % users]
            symbol = symbols[(n // users) % len(symbols)]
            price = prices[symbol][n % 997]
            quantity = quantities[(n * 7) % 1000]
            side = Side.BUY if rng.random() < 0.5 else Side.SELL
            fee = (quantity * price * fee_rate).quantize(Decimal("0.00000001"))
            at = T0 + timedelta(seconds=n)
            batch.append(
                Fill(f"f{n}", order_id, user_id, account_id, symbol, side, quantity, price, fee, "USD", at)
            )
        yield batch


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--fills", type=int, default=1_000_000)
    parser.add_argument("--users", type=int, default=1_000)
    args = parser.parse_args(argv)

    book = Book()
    booked = trades = 0
    booking = 0.0
    started = time.perf_counter()
    for batch in batches(args.fills, args.users):
        apply = book.apply
        tick = time.perf_counter()
        for fill in batch:
            if apply(fill).trade is not None:
                trades += 1
        booking += time.perf_counter() - tick
        booked += len(batch)
    wall = time.perf_counter() - started

    # ru_maxrss is KiB on Linux, bytes on macOS.
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / (
        1024 if sys.platform != "darwin" else 1024**2
    )
    print(
        f"fills booked      {booked:,} ({args.users:,} users x {len(SYMBOLS)} symbols, "
        f"{len(book):,} positions)"
    )
    print(f"closed trades     {trades:,}")
    print(f"booking time      {booking:.2f} s  ->  {booked / booking:,.0f} fills/s")
    print(f"wall time         {wall:.2f} s (including fill generation)  ->  {booked / wall:,.0f} fills/s")
    print(f"peak memory (RSS) {peak:,.0f} MiB")


if __name__ == "__main__":
    main()
