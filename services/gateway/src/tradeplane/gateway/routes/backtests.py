"""Backtests (run by the backtests service): queue one, follow it, cancel it, compare results.

The gateway checks the strategy and its config first (422 naming `config.<field>`), then forwards; the
backtests service validates the whole request (422 naming the field: `end`, `dataset`, ...), fills in
the caller's own risk limits (the fields of `limits` override them) and queues the job. Its errors pass
through unchanged (404 for another user's backtest, 429 BACKTEST_LIMIT), 503 when it does not answer.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal
from uuid import UUID

from fastapi import APIRouter, Path, Query, Response
from pydantic import AwareDatetime, ConfigDict, Field
from tradeplane.contracts import NonNegative
from tradeplane.contracts.market import Timeframe
from tradeplane.contracts.queries import BACKTESTS

from ..auth.principal import Principal
from ..bots import Config, StrategyId, check_config
from ..context import Gateway
from ..deps import CurrentUser, Gw, Pages, Trader
from ..envelope import EnvelopeRoute
from ..proxy import forward
from ..schemas import ERRORS, Body, Currency, ErrorBody, Ok, Out, Page, Symbol, TradingLimits

router = APIRouter(tags=["backtests"], route_class=EnvelopeRoute, responses=ERRORS)
BacktestStatus = Literal["Queued", "Running", "Done", "Failed", "Cancelled"]
Dataset = Annotated[
    str,
    Field(
        min_length=1,
        max_length=200,
        description='`"synthetic:<uptrend|downtrend|range|crash>:<seed>"` (no network needed) or '
        '`"recorded"` (the candles marketdata stored; 422 NO_RECORDED_CANDLES when there are none).',
        examples=["synthetic:range:42"],
    ),
]
LIMITED: dict[int | str, dict[str, Any]] = {
    429: {"model": ErrorBody, "description": "BACKTEST_LIMIT: too many of the caller's backtests queued"}
}


EXAMPLE: dict[str, Any] = {
    "strategy": "grid",
    "config": {
        "symbol": "BTC/USDT",
        "lower": "60000",
        "upper": "70000",
        "levels": 21,
        "quantityPerLevel": "0.01",
    },
    "timeframe": "1h",
    "start": "2024-01-01T00:00:00Z",
    "end": "2024-02-01T00:00:00Z",
    "initialBalances": {"USDT": "10000"},
    "dataset": "synthetic:range:42",
}
"""The documented `POST /api/backtests` body: a grid on a month of synthetic data (also the web form's
default)."""


class _BacktestFields(Body):
    config: Config
    symbols: list[Symbol] | None = Field(default=None, min_length=1, max_length=500)
    timeframe: Timeframe
    start: AwareDatetime
    end: AwareDatetime
    initial_balances: dict[Currency, NonNegative] = Field(min_length=1, max_length=50)
    dataset: Dataset | None = None
    limits: TradingLimits | None = None
    """Risk limits for the run; fields left out are the caller's own (`GET /api/settings/trading`)."""
    intrabar: Literal["adaptive", "ohlc"] | None = None
    seed: int | None = Field(default=None, ge=0, le=2**63 - 1)

    def query_params(self, strategy: str) -> dict[str, Any]:
        dumped = self.model_dump(mode="json", by_alias=True, exclude_none=True, exclude={"limits"})
        if self.limits is not None:
            dumped["limits"] = self.limits.params()
        return {"strategy": strategy, **dumped}


class BacktestCreate(_BacktestFields):
    model_config = ConfigDict(json_schema_extra={"examples": [EXAMPLE]})

    strategy: StrategyId


class StrategyBacktest(_BacktestFields):
    """`POST /api/backtests` without `strategy` (it is in the path)."""


class Compare(Body):
    backtest_ids: list[UUID] = Field(min_length=2, max_length=10)


class BacktestOut(Out):
    """A backtest job (docs/api.md "Backtests"); `result` only in `GET /api/backtests/{id}`."""

    id: UUID
    strategy: str | None
    status: BacktestStatus
    progress: float
    request: dict[str, Any]
    error: str | None
    result_hash: str | None
    dataset_hash: str | None
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    result: dict[str, Any] | None = None
    """`{metrics, equity: [{t, value}], trades, datasetHash, resultHash, ...}` once Done."""


class ComparedOut(Out):
    id: UUID
    strategy: str | None
    status: BacktestStatus
    dataset: str | None
    timeframe: str | None
    start: str | None
    end: str | None
    metrics: dict[str, Any] | None
    result_hash: str | None
    dataset_hash: str | None


def _id(backtest_id: UUID) -> dict[str, Any]:
    return {"id": str(backtest_id)}


async def _queue(gw: Gateway, user: Principal, strategy: str, body: _BacktestFields) -> Response:
    check_config(strategy, body.config)
    return await forward(gw, user, BACKTESTS, "backtests.create", body.query_params(strategy), 202)


@router.post("/api/backtests", status_code=202, response_model=Ok[BacktestOut], responses=LIMITED)
async def create_backtest(body: BacktestCreate, user: Trader, gw: Gw) -> Response:
    """Queue a backtest (202); follow it with `GET /api/backtests/{id}` or `tp.backtest.*` events.

    Bad requests (config off its schema, end before start, too many candles, an unknown dataset) are
    422 naming the field; more than the allowed queued-or-running backtests is 429 BACKTEST_LIMIT.
    """
    return await _queue(gw, user, body.strategy, body)


@router.post(
    "/api/strategies/{strategy_id}/backtest",
    status_code=202,
    response_model=Ok[BacktestOut],
    responses=LIMITED,
)
async def backtest_strategy(
    strategy_id: Annotated[str, Path(max_length=64, examples=["grid"])],
    body: StrategyBacktest,
    user: Trader,
    gw: Gw,
) -> Response:
    """`POST /api/backtests` with the strategy in the path (422 for an unknown strategy)."""
    return await _queue(gw, user, strategy_id, body)


@router.get("/api/backtests", response_model=Page[BacktestOut])
async def list_backtests(
    user: CurrentUser,
    gw: Gw,
    pages: Pages,
    status: Annotated[BacktestStatus | None, Query(description="Only backtests in this status.")] = None,
) -> Response:
    """The caller's backtests, newest first, without their results."""
    params: dict[str, Any] = pages.params() | ({"status": status} if status else {})
    return await forward(gw, user, BACKTESTS, "backtests.list", params)


@router.get("/api/backtests/{backtest_id:uuid}", response_model=Ok[BacktestOut])
async def get_backtest(backtest_id: UUID, user: CurrentUser, gw: Gw) -> Response:
    """One of the caller's backtests with its result (long series thinned: see `result.truncated`)."""
    return await forward(gw, user, BACKTESTS, "backtests.get", _id(backtest_id))


@router.delete("/api/backtests/{backtest_id:uuid}", response_model=Ok[dict[str, Any]])
async def delete_backtest(backtest_id: UUID, user: Trader, gw: Gw) -> Response:
    """Cancel a queued or running backtest (its run is stopped; the answer is the Cancelled backtest),
    or delete a finished one (`{id, deleted: true}`)."""
    return await forward(gw, user, BACKTESTS, "backtests.delete", _id(backtest_id))


@router.post("/api/strategies/compare", response_model=Ok[list[ComparedOut]])
async def compare_backtests(body: Compare, user: CurrentUser, gw: Gw) -> Response:
    """The metrics of 2 to 10 of the caller's backtests side by side, in the order given."""
    params = {"backtestIds": [str(i) for i in body.backtest_ids]}
    return await forward(gw, user, BACKTESTS, "backtests.compare", params)
