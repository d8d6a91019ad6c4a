"""Query handlers (`tp.query.backtests.*`): create, list, get, delete (cancel) and compare a user's
backtests. Every job belongs to the caller: another user's job is a 404, as if it did not exist."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Literal
from uuid import UUID, uuid4

from faststream.nats import NatsBroker, NatsRouter
from pydantic import Field
from tradeplane.backtest import BacktestRequest
from tradeplane.contracts.backtests import BacktestStatus
from tradeplane.contracts.queries import BACKTESTS, RISK, Query, QueryError, Reply
from tradeplane.runtime.params import IdParams, Paged, Params
from tradeplane.runtime.queries import ask, bound, query_router

from . import recorded, store, views
from .store import LimitReached, SqlJobStore

OFFLINE_DATASETS = "synthetic:<uptrend|downtrend|range|crash>:<seed> or recorded"


class ListParams(Paged):
    status: Literal["Queued", "Running", "Done", "Failed", "Cancelled"] | None = None


class CompareParams(Params):
    backtest_ids: list[UUID] = Field(min_length=2, max_length=10, alias="backtestIds")


AskRisk = Callable[[Query], Awaitable[Reply]]


@dataclass(frozen=True)
class Context:
    store: SqlJobStore
    engine: Any
    per_user: int
    wake: Callable[[], None]
    ask_risk: AskRisk
    ask_candles: recorded.AskCandles


def risk_asker(broker: NatsBroker) -> AskRisk:
    async def ask_risk(q: Query) -> Reply:
        return await ask(broker, RISK, "settings.get", q.caller)

    return ask_risk


def _not_found(job_id: UUID) -> QueryError:
    return QueryError("BACKTEST_NOT_FOUND", "no such backtest", 404, id=str(job_id))


def _unavailable(dataset: str, why: str) -> QueryError:
    return QueryError(
        "DATASET_UNAVAILABLE",
        f"dataset {dataset!r} is not available here: {why}; use {OFFLINE_DATASETS}",
        422,
        fields=[{"field": "dataset", "message": why}],
    )


def check_dataset(dataset: Any) -> None:
    """Only datasets a worker can reach: `csv:<path>` would read the server's files."""
    if not isinstance(dataset, str):
        return
    if dataset.startswith("csv:"):
        raise _unavailable(dataset, "CSV datasets run with the CLI (`tradeplane backtest`), not the API")


async def _user_limits(ctx: Context, q: Query) -> dict[str, Any]:
    """The caller's own risk limits (risk's `settings.get`), so a backtest rejects as live would."""
    reply = await ctx.ask_risk(q)
    if not reply.ok or not isinstance(reply.data, dict) or "limits" not in reply.data:
        raise QueryError(
            "SERVICE_UNAVAILABLE",
            "the risk service did not give your limits; try again, or give `limits` in the request",
            503,
        )
    limits: dict[str, Any] = reply.data["limits"]
    return limits


async def create(ctx: Context, q: Query) -> dict[str, Any]:
    """Validate the request, take the caller's own limits (the fields of `limits` override them) and
    queue it (429 BACKTEST_LIMIT when the caller already has `per_user` queued or running)."""
    params = dict(q.params)
    check_dataset(params.get("dataset"))
    BacktestRequest.model_validate(params)  # 422 naming the field, before asking risk
    given = params.get("limits") or {}
    limits = {**await _user_limits(ctx, q), **given}
    request = BacktestRequest.model_validate(params | {"limits": limits})
    if request.dataset == recorded.RECORDED:
        try:
            await recorded.check(ctx.ask_candles, q.caller, request)
        except recorded.MarketdataUnavailable:
            raise QueryError(
                "SERVICE_UNAVAILABLE", "the marketdata service did not answer; try again", 503
            ) from None
    try:
        row = await ctx.store.create(uuid4(), q.caller.user_id, request.canonical(), ctx.per_user)
    except LimitReached as exc:
        raise QueryError(
            "BACKTEST_LIMIT",
            f"you have {exc.active} backtests queued or running (at most {ctx.per_user}); "
            "wait for one to finish or cancel one",
            429,
            limit=ctx.per_user,
        ) from None
    ctx.wake()
    return views.backtest(row)


async def list_all(ctx: Context, q: Query) -> Reply:
    params = ListParams.model_validate(q.params)
    async with ctx.engine.connect() as conn:
        rows, total = await store.page(conn, q.caller.user_id, params.status, params.offset, params.page_size)
    return Reply.page([views.backtest(row) for row in rows], params.page, params.page_size, total)


async def get(ctx: Context, q: Query) -> dict[str, Any]:
    params = IdParams.model_validate(q.params)
    async with ctx.engine.connect() as conn:
        row = await store.get(conn, q.caller.user_id, params.id)
    if row is None:
        raise _not_found(params.id)
    return views.backtest(row, with_result=True)


async def delete(ctx: Context, q: Query) -> dict[str, Any]:
    """Cancel a queued or running job (its run is stopped); delete a finished one."""
    params = IdParams.model_validate(q.params)
    cancelled = await ctx.store.cancel(q.caller.user_id, params.id)
    if cancelled is not None:
        return views.backtest(cancelled)
    async with ctx.engine.begin() as conn:
        if await ctx.store.remove(conn, q.caller.user_id, params.id):
            return {"id": str(params.id), "deleted": True}
    raise _not_found(params.id)


async def compare(ctx: Context, q: Query) -> list[dict[str, Any]]:
    """The jobs' metrics side by side, in the order asked (metrics null for a job not Done)."""
    params = CompareParams.model_validate(q.params)
    ids = list(dict.fromkeys(params.backtest_ids))
    async with ctx.engine.connect() as conn:
        rows = {row["id"]: row for row in await store.many(conn, q.caller.user_id, ids)}
    missing = [i for i in ids if i not in rows]
    if missing:
        raise QueryError("BACKTEST_NOT_FOUND", "no such backtest", 404, ids=[str(i) for i in missing])
    out = []
    for job_id in ids:
        row = rows[job_id]
        view = views.comparison(row)
        if row["status"] != BacktestStatus.DONE.value:
            view["metrics"] = None
        out.append(view)
    return out


def router(ctx: Context) -> NatsRouter:
    handlers = {
        "backtests.create": create,
        "backtests.list": list_all,
        "backtests.get": get,
        "backtests.delete": delete,
        "backtests.compare": compare,
    }
    return query_router(BACKTESTS, bound(ctx, handlers), max_workers=4)
