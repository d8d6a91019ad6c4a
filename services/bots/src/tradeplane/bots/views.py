"""What the queries answer: the Bot object of docs/api.md (camelCase), log lines, orders, performance."""

from __future__ import annotations

from contextlib import suppress
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from .domain.performance import Performance
from .model import BotRecord

_PLACES = Decimal("1e-8")
_HUNDRED = Decimal(100)


def dec(amount: Decimal | None) -> str | None:
    """A Decimal as a plain string, at most 8 decimal places, no trailing zeros; None stays None."""
    if amount is None:
        return None
    with suppress(InvalidOperation):
        amount = amount.quantize(_PLACES) if amount.as_tuple().exponent < -8 else amount  # type: ignore[operator]
    text = format(amount.normalize(), "f")
    return "0" if text in ("-0", "") else text


def when(at: datetime | None) -> str | None:
    return None if at is None else at.isoformat()


def allocation_value(bot: BotRecord, prices: dict[str, Decimal]) -> Decimal:
    """The allocation's worth in the quote currency at the prices known (assets without one count 0)."""
    quote = str(bot.config.get("quote") or str(bot.config.get("symbol", "/USDT")).split("/")[1])
    total = Decimal(0)
    for asset, amount in bot.allocation.items():
        if asset == quote:
            total += Decimal(amount)
        elif (price := prices.get(f"{asset}/{quote}")) is not None:
            total += Decimal(amount) * price
    return total


def bot(record: BotRecord, perf: Performance, prices: dict[str, Decimal]) -> dict[str, Any]:
    base = allocation_value(record, prices)
    return {
        "id": str(record.id),
        "userId": str(record.user_id),
        "name": record.name,
        "strategy": record.strategy,
        "strategyVersion": record.strategy_version,
        "venueId": str(record.account_id),
        "venue": record.venue,
        "environment": record.environment,
        "status": record.status.value,
        "dryRun": record.dry_run,
        "config": record.config,
        "allocation": record.allocation,
        "createdAt": when(record.created_at),
        "startedAt": when(record.started_at),
        "lastActivity": when(record.last_activity),
        "lastRunAt": when(record.last_run_at),
        "nextRunAt": when(record.next_run_at),
        "error": record.error,
        "profitLoss": dec(perf.net),
        "profitLossPercent": dec(perf.net * _HUNDRED / base) if base > 0 else None,
        "tradesLast24h": perf.fills_last_24h,
        "activePositions": perf.open_positions,
    }


def performance(perf: Performance) -> dict[str, Any]:
    """The `/api/pnl` summary fields, for the bot's fills alone."""
    wins, losses = perf.wins, perf.losses
    return {
        "realizedPnl": dec(perf.realized),
        "unrealizedPnl": dec(perf.unrealized),
        "fees": dec(perf.fees),
        "netPnl": dec(perf.net),
        "totalTrades": len(perf.trades),
        "winningTrades": len(wins),
        "losingTrades": len(losses),
        "winRate": dec(perf.win_rate),
        "profitFactor": dec(perf.profit_factor),
        "averageWin": dec(sum(wins, Decimal(0)) / len(wins)) if wins else None,
        "averageLoss": dec(sum(losses, Decimal(0)) / len(losses)) if losses else None,
        "bestTrade": dec(max(perf.trades)) if perf.trades else None,
        "worstTrade": dec(min(perf.trades)) if perf.trades else None,
        "sharpeRatio": None,
        "maxDrawdown": None,
        "openPositions": perf.open_positions,
    }


def log_line(row: Any) -> dict[str, Any]:
    return {"at": when(row.at), "level": row.level, "message": row.message, "data": row.data}


def order(row: Any) -> dict[str, Any]:
    return {
        "id": str(row.order_id),
        "botId": str(row.bot_id),
        "symbol": row.symbol,
        "side": row.side,
        "type": row.type,
        "quantity": dec(row.quantity),
        "price": dec(row.price),
        "status": row.status,
        "filledQuantity": dec(row.filled_quantity),
        "fees": dec(row.fees),
        "reason": row.reason,
        "createdAt": when(row.created_at),
    }
