"""The backtests pages (the user's runs, a form to queue one, a run's report with its equity chart and
trades, several runs' metrics side by side) and the alerts page (read, acknowledge).

As every page, they call the REST API's route functions. A running backtest's row re-reads itself every
two seconds (there is no backtests channel); the alerts list re-reads itself on `/api/stream/alerts`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from uuid import UUID

import orjson
from fastapi import Request, Response
from fastapi.responses import HTMLResponse
from pydantic import ValidationError
from tradeplane.contracts.market import Timeframe

from ..auth.principal import Principal
from ..context import Gateway
from ..deps import Gw, Paging, require_writer
from ..envelope import ApiError
from ..routes import alerts as alerts_api
from ..routes import backtests as backtests_api
from . import i18n
from .bot_pages import CATALOGUE, EXAMPLE_CONFIG
from .pages import (
    NOTHING,
    Outcome,
    PageUser,
    _events,
    _form,
    _maybe,
    _page,
    _post,
    _problem,
    data_of,
    field_problems,
    parse_balances,
    router,
)
from .render import go

ACTIVE = ("Queued", "Running")
FORM_FIELDS = ("strategy", "config", "timeframe", "start", "end", "dataset", "initialBalances")
DEFAULT_FORM = {
    key: backtests_api.EXAMPLE[key] for key in ("strategy", "timeframe", "start", "end", "dataset")
} | {"initialBalances": "USDT=10000"}
"""A new backtest's form: the API's example, its balances as the form writes them."""
EXAMPLES: dict[str, dict[str, Any]] = {"grid": backtests_api.EXAMPLE["config"], **EXAMPLE_CONFIG}
"""A new backtest's config where the user has typed none: the API's example grid, the bots' 50-50."""
METRICS = (
    ("totalReturnPct", "Total return %"),
    ("finalEquity", "Final equity"),
    ("maxDrawdownPct", "Max drawdown %"),
    ("sharpeRatio", "Sharpe ratio"),
    ("sortinoRatio", "Sortino ratio"),
    ("winRate", "Win rate"),
    ("profitFactor", "Profit factor"),
    ("totalTrades", "Trades"),
    ("fees", "Fees"),
    ("buyAndHoldReturnPct", "Buy and hold %"),
)
"""The metrics a report and a comparison show, in this order, with their labels."""
MAX_COMPARED = 10


# Backtests


def utc_text(value: str) -> str:
    """`2024-01-01` → midnight UTC; a time without a zone is UTC (the schema then checks the rest)."""
    text = value.strip()
    if len(text) == 10:
        return f"{text}T00:00:00Z"
    if text and "T" in text and not (text.endswith("Z") or "+" in text[10:] or "-" in text[10:]):
        return f"{text}Z"
    return text


def backtest_body(form: Mapping[str, Any]) -> dict[str, Any]:
    """The `POST /api/backtests` body the form describes (422 naming `config` for JSON that is not
    an object)."""
    try:
        config = orjson.loads(str(form.get("config") or "{}"))
    except orjson.JSONDecodeError as exc:
        raise _refused("config", f"not valid JSON: {exc}") from exc
    if not isinstance(config, dict):
        raise _refused("config", "must be a JSON object")
    body: dict[str, Any] = {
        "strategy": str(form.get("strategy", "")),
        "config": config,
        "timeframe": str(form.get("timeframe", "")),
        "start": utc_text(str(form.get("start", ""))),
        "end": utc_text(str(form.get("end", ""))),
        "initialBalances": parse_balances(str(form.get("initialBalances", ""))),
    }
    if dataset := str(form.get("dataset", "")).strip():
        body["dataset"] = dataset
    return body


def _refused(name: str, message: str) -> ApiError:
    return ApiError(
        422, "VALIDATION_ERROR", f"{name}: {message}", fields=[{"field": name, "message": message}]
    )


def errors_by_input(found: Mapping[str, str]) -> dict[str, str]:
    """The form's inputs' errors: a field's own and its parts' (`config.levels`, `initialBalances.USDT`)."""
    placed: dict[str, list[str]] = {}
    for name, message in found.items():
        for field in FORM_FIELDS:
            if name == field or name.startswith(f"{field}."):
                placed.setdefault(field, []).append(message)
    return {k: "; ".join(v) for k, v in placed.items()}


def form_values(form: Mapping[str, Any]) -> dict[str, str]:
    if form:
        return {k: str(form.get(k, "")) for k in FORM_FIELDS}
    strategy = DEFAULT_FORM["strategy"]
    return {**DEFAULT_FORM, "config": orjson.dumps(EXAMPLES[strategy], option=orjson.OPT_INDENT_2).decode()}


async def metrics_of(done: list[str], user: Principal, gw: Gateway) -> dict[str, Any]:
    """The finished backtests' metrics (the list has none): through the compare route, ten at a time,
    or the backtest itself when it is alone."""
    found: dict[str, Any] = {}
    for at in range(0, len(done), MAX_COMPARED):
        chunk = [UUID(i) for i in done[at : at + MAX_COMPARED]]
        if len(chunk) == 1:
            one = await _maybe(backtests_api.get_backtest(chunk[0], user, gw))
            found[str(chunk[0])] = ((one or {}).get("result") or {}).get("metrics")
            continue
        body = backtests_api.Compare.model_validate({"backtestIds": chunk})
        for row in await _maybe(backtests_api.compare_backtests(body, user, gw)) or []:
            found[str(row["id"])] = row.get("metrics")
    return found


async def _backtests(request: Request, user: Principal, gw: Gateway, outcome: Outcome = NOTHING) -> Response:
    listed = await _maybe(backtests_api.list_backtests(user, gw, Paging(1, 50), None))
    done = [str(b["id"]) for b in listed or [] if b.get("status") == "Done"]
    context = {
        "backtests": listed or [],
        "metrics": await metrics_of(done, user, gw),
        "unavailable": listed is None,
        "running": any(b.get("status") in ACTIVE for b in listed or []),
        "strategies": list(CATALOGUE.values()),
        "timeframes": [t.value for t in Timeframe],
        "values": form_values(outcome.form),
        "input_errors": errors_by_input(outcome.extra.get("field_errors") or {}),
    }
    return _page(request, user, "backtests.html", context, outcome)


@router.get("/backtests", response_class=HTMLResponse)
async def backtests_page(request: Request, user: PageUser, gw: Gw) -> Response:
    return await _backtests(request, user, gw)


@router.post("/backtests", response_class=HTMLResponse)
async def run_backtest(request: Request, user: PageUser, gw: Gw) -> Response:
    fields = await _form(request)
    try:
        require_writer(user)
        body = backtests_api.BacktestCreate.model_validate(backtest_body(fields))
        created = data_of(await backtests_api.create_backtest(body, user, gw))
    except (ApiError, ValidationError) as exc:
        message, status = _problem(exc)
        refused = Outcome(
            error=message, status=status, form=fields, extra={"field_errors": field_problems(exc)}
        )
        return await _backtests(request, user, gw, refused)
    return go(request, f"/backtests/{created['id']}")


def equity_points(result: Mapping[str, Any] | None) -> list[dict[str, Any]]:
    """The result's equity curve as the chart reads it (`data-equity`: `{time, value}`)."""
    return [{"time": p.get("t"), "value": p.get("value")} for p in (result or {}).get("equity") or []]


@router.get("/backtests/{backtest_id:uuid}", response_class=HTMLResponse)
async def backtest_page(backtest_id: UUID, request: Request, user: PageUser, gw: Gw) -> Response:
    backtest = data_of(await backtests_api.get_backtest(backtest_id, user, gw))
    result = backtest.get("result") or {}
    context = {
        "backtest": backtest,
        "metrics": result.get("metrics") or {},
        "metric_rows": METRICS,
        "equity": equity_points(result),
        "trades": result.get("trades") or [],
        "active": backtest.get("status") in ACTIVE,
    }
    return _page(request, user, "backtest.html", context, NOTHING)


def compared_ids(request: Request) -> list[str]:
    """`?ids=a,b` or `?ids=a&ids=b` (the list's checkboxes), each once, in order."""
    found: list[str] = []
    for value in request.query_params.getlist("ids"):
        for part in value.split(","):
            if part.strip() and part.strip() not in found:
                found.append(part.strip())
    return found


@router.get("/backtests/compare", response_class=HTMLResponse)
async def compare_page(request: Request, user: PageUser, gw: Gw) -> Response:
    ids = compared_ids(request)
    if not 2 <= len(ids) <= MAX_COMPARED:
        raise ApiError(422, "VALIDATION_ERROR", f"choose 2 to {MAX_COMPARED} backtests to compare")
    try:
        body = backtests_api.Compare.model_validate({"backtestIds": ids})
    except ValidationError as exc:
        raise ApiError(422, "VALIDATION_ERROR", _problem(exc)[0]) from exc
    compared = data_of(await backtests_api.compare_backtests(body, user, gw))
    context = {"compared": compared, "metric_rows": METRICS}
    return _page(request, user, "backtest_compare.html", context, NOTHING)


# Alerts


async def _alerts(request: Request, user: Principal, gw: Gateway, outcome: Outcome = NOTHING) -> Response:
    listed = await _maybe(alerts_api.list_alerts(user, gw, Paging(1, 100), None))
    context = {
        "alerts": listed or [],
        "unavailable": listed is None,
        "unread": sum(1 for a in listed or [] if not a.get("isRead")),
        "live_events": _events("alerts"),
    }
    return _page(request, user, "alerts.html", context, outcome)


@router.get("/alerts", response_class=HTMLResponse)
async def alerts_page(request: Request, user: PageUser, gw: Gw) -> Response:
    return await _alerts(request, user, gw)


@router.post("/alerts/{alert_id:uuid}/acknowledge", response_class=HTMLResponse)
async def acknowledge_alert(alert_id: UUID, request: Request, user: PageUser, gw: Gw) -> Response:
    async def act(fields: dict[str, Any], _: i18n.Translate) -> Outcome:
        data_of(await alerts_api.acknowledge_alert(alert_id, user, gw))
        return Outcome(notice=_("Alert marked read."))

    return await _post(request, user, gw, _alerts, act)
