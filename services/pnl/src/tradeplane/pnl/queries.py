"""The `pnl` queries (`tradeplane.contracts.queries.PNL_QUERIES`), answered from the service's own tables.

Every query is about the caller; an admin may name another user with `userId`. Days, weeks and
months are the caller's own (`caller.timezone`, UTC when unknown).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import tzinfo
from decimal import Decimal
from typing import Any
from uuid import UUID
from zoneinfo import ZoneInfo

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine
from tradeplane.contracts import utcnow
from tradeplane.contracts.queries import Query, QueryError, Reply
from tradeplane.runtime.queries import QueryHandler

from . import views
from .accounts import Accounts
from .adapters import curves, reads, repo
from .domain.breakdown import Period
from .domain.equity import EquitySnapshot
from .domain.performance import TradeSums, return_ratios, stats_from_sums
from .domain.ratios import value_at_risk
from .domain.valuation import TOTAL, Figures, Holding, UserFigures, user_figures, value
from .equity_figures import Curve, zone

_NO_TRADES = TradeSums(0, 0, 0, Decimal(0), Decimal(0), None, None)


class _Params(BaseModel):
    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="ignore", frozen=True)


class UserParams(_Params):
    user_id: UUID | None = None


class ScopeParams(UserParams):
    account_id: UUID | None = None


class TradesParams(ScopeParams):
    page: int = Field(default=1, ge=1)
    page_size: int = Field(default=50, ge=1, le=500)


class BreakdownParams(ScopeParams):
    period: Period = Period.DAILY


class HistoryParams(ScopeParams):
    since: AwareDatetime | None = None
    limit: int = Field(default=1000, ge=1, le=10_000)


class UsersParams(_Params):
    user_ids: list[UUID] = Field(max_length=1000)


class PnlQueries:
    def __init__(self, engine: AsyncEngine, curve: Curve, accounts: Accounts) -> None:
        self.engine = engine
        self.curve = curve
        self.accounts = accounts
        self._timezones: dict[UUID, str] = {}

    def handlers(self) -> dict[str, QueryHandler]:
        return {
            "portfolio": self.portfolio,
            "portfolio.positions": self.positions,
            "portfolio.history": self.history,
            "portfolio.allocation": self.allocation,
            "pnl.summary": self.summary,
            "pnl.trades": self.trades,
            "pnl.breakdown": self.breakdown,
            "pnl.users": self.users,
        }

    async def portfolio(self, q: Query) -> dict[str, Any]:
        user_id, tz = await self._user(q, UserParams.model_validate(q.params).user_id, discover=True)
        async with self.engine.connect() as conn:
            held, figures = await self._figures(conn, user_id)
            day_open, daily, _ = await self.curve.period_pnl(conn, user_id, figures, utcnow(), tz)
            closes = (await reads.closes(conn, user_id, tz.key)).get(TOTAL, [])
            falls = (await reads.drawdowns(conn, [user_id])).get(user_id, {})
        sharpe, sortino, returns = return_ratios(closes, tz)
        var = value_at_risk(returns)
        total = figures.total
        return {
            "totalValue": views.dec(total.equity),
            "equityKnown": figures.equity is not None,
            "dailyPnL": views.dec(daily),
            "dailyPnLPercent": views.pct(daily / day_open * 100 if day_open > 0 else Decimal(0)),
            **views.totals(total),
            "positions": views.positions(held, self.curve.marks),
            "riskMetrics": views.risk_metrics(
                views.Ratios(sharpe, sortino, falls.get(TOTAL, Decimal(0))),
                var * total.equity if var is not None else None,
            ),
        }

    async def positions(self, q: Query) -> list[dict[str, Any]]:
        params = ScopeParams.model_validate(q.params)
        user_id, _ = await self._user(q, params.user_id)
        async with self.engine.connect() as conn:
            held = (await repo.holdings(conn, [user_id])).get(user_id, [])
        if params.account_id is not None:
            held = [h for h in held if h.position.account_id == params.account_id]
        return views.positions(held, self.curve.marks)

    async def history(self, q: Query) -> list[dict[str, Any]]:
        params = HistoryParams.model_validate(q.params)
        user_id, _ = await self._user(q, params.user_id, discover=True)
        scope = params.account_id or TOTAL
        async with self.engine.connect() as conn:
            rows = await reads.history(conn, user_id, scope, params.since, params.limit)
        return [
            {
                "timestamp": row.at.isoformat(),
                "equity": views.dec(row.equity),
                "cash": views.dec(row.cash),
                "positionsValue": views.dec(row.positions_value),
            }
            for row in rows
        ]

    async def allocation(self, q: Query) -> list[dict[str, Any]]:
        user_id, _ = await self._user(q, UserParams.model_validate(q.params).user_id, discover=True)
        async with self.engine.connect() as conn:
            held, figures = await self._figures(conn, user_id)
        marks = self.curve.marks
        assets = [
            (h.position.symbol.partition("/")[0], value(h, marks).value * (marks.usd(h.quote) or Decimal(1)))
            for h in held
            if h.position.quantity
        ]
        return views.allocation(assets, figures.total.cash)

    async def summary(self, q: Query) -> dict[str, Any]:
        params = ScopeParams.model_validate(q.params)
        user_id, tz = await self._user(q, params.user_id, discover=True)
        async with self.engine.connect() as conn:
            _, figures = await self._figures(conn, user_id)
            sums = (await reads.trade_sums(conn, [user_id])).get(user_id, {})
            closes = await reads.closes(conn, user_id, tz.key)
            falls = (await reads.drawdowns(conn, [user_id])).get(user_id, {})
            venues = await reads.account_venues(conn, user_id)
        accounts = sorted(set(figures.accounts) | set(sums), key=str)
        if params.account_id is not None and params.account_id not in accounts:
            raise QueryError("NOT_FOUND", "no such account", 404)
        scope = Scopes(figures, sums, closes, falls, tz)
        chosen = [params.account_id] if params.account_id is not None else accounts
        return {
            **scope.metrics(params.account_id or TOTAL),
            "accountId": str(params.account_id) if params.account_id else None,
            "byAccount": [{**views.account_ref(a, venues), **scope.metrics(a)} for a in chosen],
        }

    async def trades(self, q: Query) -> Reply:
        params = TradesParams.model_validate(q.params)
        user_id, _ = await self._user(q, params.user_id)
        async with self.engine.connect() as conn:
            rows, total = await reads.trade_page(
                conn, user_id, params.account_id, params.page, params.page_size
            )
        pages = -(-total // params.page_size)
        pagination = {
            "page": params.page,
            "pageSize": params.page_size,
            "totalPages": pages,
            "totalItems": total,
        }
        return Reply.success([views.trade(row) for row in rows], pagination=pagination)

    async def breakdown(self, q: Query) -> list[dict[str, Any]]:
        params = BreakdownParams.model_validate(q.params)
        user_id, tz = await self._user(q, params.user_id)
        async with self.engine.connect() as conn:
            rows = await reads.period_summaries(conn, user_id, params.period, tz.key, params.account_id)
        return [views.period(row) for row in rows]

    async def users(self, q: Query) -> dict[str, Any]:
        if not q.caller.is_admin:
            raise QueryError("FORBIDDEN", "only admins may ask about other users", 403)
        user_ids = list(dict.fromkeys(UsersParams.model_validate(q.params).user_ids))
        async with self.engine.connect() as conn:
            held = await repo.holdings(conn, user_ids)
            bases = await repo.baselines(conn, user_ids)
            sums = await reads.trade_sums(conn, user_ids)
        marks = self.curve.marks
        answer = {}
        for user_id in user_ids:
            figures = user_figures(bases.get(user_id, {}), held.get(user_id, []), marks)
            stats = stats_from_sums(sum(sums.get(user_id, {}).values(), _NO_TRADES))
            answer[str(user_id)] = views.user_row(figures.total, stats)
        return answer

    async def _figures(self, conn: AsyncConnection, user_id: UUID) -> tuple[list[Holding], UserFigures]:
        held = (await repo.holdings(conn, [user_id])).get(user_id, [])
        bases = (await repo.baselines(conn, [user_id])).get(user_id, {})
        return held, user_figures(bases, held, self.curve.marks)

    async def _user(self, q: Query, requested: UUID | None, discover: bool = False) -> tuple[UUID, ZoneInfo]:
        """The user the query is about, and their timezone: the caller's own, else the stored one."""
        caller = q.caller
        if requested is not None and requested != caller.user_id and not caller.is_admin:
            raise QueryError("FORBIDDEN", "only admins may ask about another user", 403)
        user_id = requested or caller.user_id
        if discover:
            await self.accounts.discover(user_id)
        if user_id == caller.user_id:
            tz = zone(caller.timezone)
            await self._remember_timezone(user_id, tz)
            return user_id, tz
        async with self.engine.connect() as conn:
            return user_id, await self.curve.timezone(conn, user_id)

    async def _remember_timezone(self, user_id: UUID, tz: ZoneInfo) -> None:
        if self._timezones.get(user_id) == tz.key:
            return
        async with self.engine.begin() as conn:
            await curves.remember_timezone(conn, user_id, tz.key)
        self._timezones[user_id] = tz.key
        self.curve.remember(user_id, tz)


@dataclass(frozen=True, slots=True)
class Scopes:
    """What `pnl.summary` read for one user, to report on the total or on any one account."""

    figures: UserFigures
    sums: dict[UUID, TradeSums]
    closes: dict[UUID, list[EquitySnapshot]]
    falls: dict[UUID, Decimal]
    tz: tzinfo

    def metrics(self, scope: UUID) -> dict[str, Any]:
        if scope == TOTAL:
            figures, sums = self.figures.total, sum(self.sums.values(), _NO_TRADES)
        else:
            figures = self.figures.accounts.get(scope) or Figures(scope, *[Decimal(0)] * 5)
            sums = self.sums.get(scope, _NO_TRADES)
        sharpe, sortino, _ = return_ratios(self.closes.get(scope, []), self.tz)
        ratios = views.Ratios(sharpe, sortino, self.falls.get(scope, Decimal(0)))
        return views.summary(figures, stats_from_sums(sums), ratios)
