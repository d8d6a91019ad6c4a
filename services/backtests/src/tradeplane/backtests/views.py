"""Jobs as API objects (docs/api.md "Backtests"), sized to fit one NATS reply."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy.engine import RowMapping

MAX_SERIES_POINTS = 1000
"""Equity and drawdown points in a reply: longer series are thinned evenly (first and last kept)."""
MAX_TRADES = 500
MAX_REJECTIONS = 100
"""A reply must fit NATS' max payload (1 MB): the full result stays stored, `resultHash` covers it."""


def _time(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat()


def backtest(row: RowMapping, *, with_result: bool = False) -> dict[str, Any]:
    request = row["request"]
    out: dict[str, Any] = {
        "id": str(row["id"]),
        "strategy": request.get("strategy"),
        "status": row["status"],
        "progress": round(float(row["progress"]), 4),
        "request": request,
        "error": row["error"],
        "resultHash": row["result_hash"],
        "datasetHash": row["dataset_hash"],
        "createdAt": _time(row["created_at"]),
        "startedAt": _time(row["started_at"]),
        "finishedAt": _time(row["finished_at"]),
    }
    if with_result:
        out["result"] = None if row["result"] is None else result(row["result"], row["result_hash"])
    return out


def result(body: Mapping[str, Any], result_hash: str | None) -> dict[str, Any]:
    """The stored result for a reply: series thinned, fills left out, long lists cut (`truncated` says
    what was cut and how long it was)."""
    out = {k: v for k, v in body.items() if k != "fills"}
    truncated: dict[str, int] = {"fills": len(body.get("fills", []))}
    for key, limit in (
        ("equity", MAX_SERIES_POINTS),
        ("drawdown", MAX_SERIES_POINTS),
        ("trades", MAX_TRADES),
        ("rejections", MAX_REJECTIONS),
    ):
        items = body.get(key)
        if isinstance(items, list) and len(items) > limit:
            truncated[key] = len(items)
            out[key] = thin(items, limit) if key in ("equity", "drawdown") else items[:limit]
    out["truncated"] = truncated
    out["resultHash"] = result_hash
    return out


def thin(points: Sequence[Any], limit: int) -> list[Any]:
    """At most `limit` points evenly spread over `points`, the first and the last included."""
    if len(points) <= limit:
        return list(points)
    if limit < 2:
        return [points[-1]]
    last = len(points) - 1
    return [points[round(i * last / (limit - 1))] for i in range(limit)]


def comparison(row: RowMapping) -> dict[str, Any]:
    request = row["request"]
    return {
        "id": str(row["id"]),
        "strategy": request.get("strategy"),
        "status": row["status"],
        "dataset": request.get("dataset"),
        "timeframe": request.get("timeframe"),
        "start": request.get("start"),
        "end": request.get("end"),
        "metrics": row["metrics"],
        "resultHash": row["result_hash"],
        "datasetHash": row["dataset_hash"],
    }
