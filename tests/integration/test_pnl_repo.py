"""The pnl SQL on real PostgreSQL agrees with the pure domain: periods, trade sums, drawdown, ratios."""

from __future__ import annotations

import random
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from uuid import UUID, uuid4
from zoneinfo import ZoneInfo

import pytest
import tradeplane.pnl
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine
from tradeplane.contracts import LiquiditySide
from tradeplane.pnl.adapters import curves, reads, repo
from tradeplane.pnl.domain.breakdown import Period, breakdown
from tradeplane.pnl.domain.equity import EquitySnapshot
from tradeplane.pnl.domain.performance import TradeSums, performance, pnl_totals, return_ratios
from tradeplane.pnl.domain.ratios import max_drawdown
from tradeplane.pnl.domain.trades import ClosedTrade
from tradeplane.pnl.domain.valuation import TOTAL, Figures

from tests.support.databases import database_engine
from tests.support.fills import order_filled

pytestmark = pytest.mark.integration

NEW_YORK = ZoneInfo("America/New_York")
T0 = datetime(2024, 2, 26, tzinfo=UTC)  # spans the March DST change in New York
MIGRATIONS = Path(tradeplane.pnl.__file__).parent / "migrations"


@pytest.fixture(scope="module")
async def engine(postgres_server_url: str) -> AsyncIterator[AsyncEngine]:
    async with database_engine(postgres_server_url, "tp_pnl", MIGRATIONS) as engine:
        yield engine


@pytest.fixture
async def conn(engine: AsyncEngine) -> AsyncIterator[AsyncConnection]:
    async with engine.connect() as conn, conn.begin() as tx:
        yield conn
        await tx.rollback()


def random_trades(user_id: UUID, accounts: list[UUID], count: int, seed: int = 3) -> list[ClosedTrade]:
    rng = random.Random(seed)
    trades = []
    for n in range(count):
        exit_at = T0 + timedelta(minutes=rng.randrange(60 * 24 * 60))
        pnl = Decimal(rng.randrange(-5000, 5000)) / 100
        trades.append(
            ClosedTrade(
                trade_id=uuid4(),
                user_id=user_id,
                account_id=accounts[n % len(accounts)],
                symbol="BTC/USDT",
                side="long",
                quantity=Decimal(1),
                entry_price=Decimal(100),
                exit_price=Decimal(100) + pnl,
                entry_at=exit_at - timedelta(hours=1),
                exit_at=exit_at,
                fees=Decimal(0),
                pnl_usd=pnl,
                pnl_pct=pnl,
            )
        )
    return trades


async def store(conn: AsyncConnection, trades: list[ClosedTrade]) -> None:
    for trade in trades:
        await repo.insert_trade(conn, trade, "paper", f"f-{trade.trade_id}")


@pytest.mark.parametrize("period", list(Period))
async def test_sql_periods_match_the_domain_breakdown_in_the_users_timezone(
    conn: AsyncConnection, period: Period
) -> None:
    user_id = uuid4()
    trades = random_trades(user_id, [uuid4()], 300)
    await store(conn, trades)

    rows = await reads.period_summaries(conn, user_id, period, "America/New_York")

    assert rows == breakdown(trades, period, NEW_YORK)


async def test_sql_trade_sums_match_the_domain_per_account(conn: AsyncConnection) -> None:
    user_id, accounts = uuid4(), [uuid4(), uuid4()]
    trades = random_trades(user_id, accounts, 120)
    await store(conn, trades)

    sums = (await reads.trade_sums(conn, [user_id]))[user_id]

    for account in accounts:
        assert sums[account] == TradeSums.of([t.pnl_usd for t in trades if t.account_id == account])


def equity_walk(days: int, per_day: int, seed: int = 5) -> list[EquitySnapshot]:
    rng = random.Random(seed)
    equity = Decimal(1000)
    snapshots = []
    for n in range(days * per_day):
        equity += Decimal(rng.randrange(-3000, 3100)) / 100
        at = T0 + timedelta(hours=n * 24 / per_day)
        snapshots.append(EquitySnapshot(at, equity, Decimal(0)))
    return snapshots


async def record(
    conn: AsyncConnection, user_id: UUID, snapshots: list[EquitySnapshot], tz: ZoneInfo = NEW_YORK
) -> None:
    for snap in snapshots:
        figures = Figures(TOTAL, snap.cash, Decimal(0), Decimal(0), Decimal(0), snap.positions_value)
        await curves.record_snapshots(conn, user_id, [figures], snap.at, tz)


async def recorded_walk(conn: AsyncConnection, days: int, per_day: int) -> tuple[UUID, list[EquitySnapshot]]:
    """A new user's `equity_walk`, recorded in New York's days."""
    user_id, snapshots = uuid4(), equity_walk(days, per_day)
    await record(conn, user_id, snapshots)
    return user_id, snapshots


async def test_curve_keeps_the_drawdown_the_domain_computes_over_every_snapshot(
    conn: AsyncConnection,
) -> None:
    user_id, snapshots = await recorded_walk(conn, days=10, per_day=6)

    kept = (await reads.drawdowns(conn, [user_id]))[user_id][TOTAL]

    assert kept == pytest.approx(max_drawdown([s.equity for s in snapshots]), abs=Decimal("1e-12"))


async def test_daily_closes_kept_while_recording_give_the_ratios_of_the_full_curve(
    conn: AsyncConnection,
) -> None:
    user_id, snapshots = await recorded_walk(conn, days=40, per_day=5)

    closes = (await reads.closes(conn, user_id, "America/New_York"))[TOTAL]
    sharpe, sortino, _ = return_ratios(closes, NEW_YORK)

    full = performance([], snapshots, pnl_totals([], {}), NEW_YORK)
    assert (sharpe, sortino) == (full.sharpe_ratio, full.sortino_ratio)
    assert sharpe is not None


async def test_new_timezone_rebuilds_the_daily_closes_in_it(conn: AsyncConnection) -> None:
    user_id, tokyo = uuid4(), ZoneInfo("Asia/Tokyo")
    snapshots = equity_walk(days=40, per_day=5)
    await curves.remember_timezone(conn, user_id, "America/New_York")
    await record(conn, user_id, snapshots)

    await curves.remember_timezone(conn, user_id, "Asia/Tokyo")

    closes = (await reads.closes(conn, user_id, "Asia/Tokyo"))[TOTAL]
    full = performance([], snapshots, pnl_totals([], {}), tokyo)
    assert return_ratios(closes, tokyo)[:2] == (full.sharpe_ratio, full.sortino_ratio)
    assert await reads.closes(conn, user_id, "America/New_York") == {}


async def test_a_fill_is_claimed_once_per_account(conn: AsyncConnection) -> None:
    fill = order_filled(
        uuid4(), quantity="1", price="100", fill_id="t-1", liquidity=LiquiditySide.MAKER, filled_at=T0
    )
    other_account = fill.model_copy(update={"account_id": uuid4()})

    claims = [await repo.claim_fill(conn, f, Decimal(0)) for f in (fill, fill, other_account)]

    assert claims == [True, False, True]
