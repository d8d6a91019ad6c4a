"""What the queries answer: camelCase JSON with Decimals as strings, built from figures and rows."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from contextlib import suppress
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any
from uuid import UUID

from .booking import position_id
from .domain.breakdown import PeriodSummary
from .domain.marks import Marks
from .domain.performance import TradeStats, drawdown_percent
from .domain.valuation import Figures, Holding, Valued, value

_PLACES = Decimal("1e-8")
_PCT = Decimal("0.01")
_HUNDRED = Decimal(100)
_ZERO = Decimal(0)


def dec(amount: Decimal | None, places: Decimal = _PLACES) -> str | None:
    """A Decimal as a plain string, at most 8 decimal places, no trailing zeros; None stays None."""
    if amount is None:
        return None
    if amount.as_tuple().exponent < places.as_tuple().exponent:  # type: ignore[operator]
        with suppress(InvalidOperation):  # too many digits to round: keep them
            amount = amount.quantize(places)
    text = format(amount.normalize(), "f")
    return "0" if text == "-0" else text


def pct(amount: Decimal) -> str | None:
    return dec(amount, _PCT)


@dataclass(frozen=True, slots=True)
class Ratios:
    sharpe: Decimal | None
    sortino: Decimal | None
    max_drawdown: Decimal
    """A negative fraction."""


def position(valued: Valued) -> dict[str, Any]:
    holding, p = valued.holding, valued.holding.position
    return {
        "id": str(position_id(p.user_id, p.account_id, p.symbol)),
        "symbol": p.symbol,
        "venue": holding.venue,
        "accountId": str(p.account_id),
        "side": "long" if p.quantity > 0 else "short",
        "quantity": dec(p.quantity),
        "entryPrice": dec(p.average_entry),
        "currentPrice": dec(valued.mark),
        "unrealizedPnL": dec(valued.unrealized),
        "unrealizedPnLPercent": pct(valued.unrealized_pct),
        "positionValue": dec(valued.value),
        "realizedPnl": dec(p.realized_pnl),
        "fees": dec(p.fees),
        "openedAt": holding.opened_at.isoformat() if holding.opened_at else None,
    }


def positions(holdings: Iterable[Holding], marks: Marks) -> list[dict[str, Any]]:
    open_ = [value(h, marks) for h in holdings if h.position.quantity]
    return [position(v) for v in sorted(open_, key=lambda v: (v.holding.position.symbol, v.holding.venue))]


def risk_metrics(ratios: Ratios, var95: Decimal | None) -> dict[str, Any]:
    return {
        "sharpeRatio": dec(ratios.sharpe),
        "sortinoRatio": dec(ratios.sortino),
        "maxDrawdown": dec(drawdown_percent(ratios.max_drawdown)),
        "var95": dec(var95, _PCT),
    }


def totals(figures: Figures) -> dict[str, Any]:
    return {
        "realizedPnl": dec(figures.realized),
        "unrealizedPnl": dec(figures.unrealized),
        "fees": dec(figures.fees),
        "netPnl": dec(figures.realized + figures.unrealized - figures.fees),
        "equity": dec(figures.equity),
    }


def summary(figures: Figures, stats: TradeStats, ratios: Ratios) -> dict[str, Any]:
    return {
        **totals(figures),
        "totalTrades": stats.total,
        "winningTrades": stats.wins,
        "losingTrades": stats.losses,
        "winRate": pct(stats.win_rate),
        "profitFactor": dec(stats.profit_factor),
        "averageWin": dec(stats.average_win),
        "averageLoss": dec(stats.average_loss),
        "expectancy": dec(stats.expectancy),
        "bestTrade": dec(stats.best),
        "worstTrade": dec(stats.worst),
        "sharpeRatio": dec(ratios.sharpe),
        "sortinoRatio": dec(ratios.sortino),
        "maxDrawdown": dec(drawdown_percent(ratios.max_drawdown)),
    }


def trade(row: Any) -> dict[str, Any]:
    return {
        "id": str(row.trade_id),
        "accountId": str(row.account_id),
        "symbol": row.symbol,
        "venue": row.venue,
        "side": row.side,
        "quantity": dec(row.quantity),
        "entryPrice": dec(row.entry_price),
        "exitPrice": dec(row.exit_price),
        "entryAt": row.entry_at.isoformat(),
        "exitAt": row.exit_at.isoformat(),
        "fees": dec(row.fees),
        "pnlUsd": dec(row.pnl_usd),
        "pnlPct": pct(row.pnl_pct),
        "durationSeconds": row.duration_seconds,
    }


def period(summary_: PeriodSummary) -> dict[str, Any]:
    return {
        "period": summary_.start.isoformat(),
        "pnl": dec(summary_.pnl),
        "trades": summary_.trades,
        "wins": summary_.wins,
        "losses": summary_.losses,
    }


def allocation(valued: Sequence[tuple[str, Decimal]], cash: Decimal) -> list[dict[str, Any]]:
    """Value per asset (signed; shorts negative) and cash, with each one's share of the gross."""
    by_asset: dict[str, Decimal] = {}
    for asset, amount in valued:
        by_asset[asset] = by_asset.get(asset, _ZERO) + amount
    if cash:
        by_asset["USD"] = by_asset.get("USD", _ZERO) + cash
    gross = sum((abs(v) for v in by_asset.values()), _ZERO)
    rows = sorted(by_asset.items(), key=lambda item: -abs(item[1]))
    return [
        {
            "asset": asset,
            "value": dec(amount),
            "percent": pct(abs(amount) / gross * _HUNDRED if gross else _ZERO),
        }
        for asset, amount in rows
    ]


def user_row(figures: Figures, stats: TradeStats) -> dict[str, Any]:
    return {
        "realizedPnl": dec(figures.realized),
        "unrealizedPnl": dec(figures.unrealized),
        "fees": dec(figures.fees),
        "totalTrades": stats.total,
        "winRate": pct(stats.win_rate),
        "equity": dec(figures.equity),
    }


def account_ref(account_id: UUID, venues: dict[UUID, str]) -> dict[str, Any]:
    return {"accountId": str(account_id), "venue": venues.get(account_id)}
