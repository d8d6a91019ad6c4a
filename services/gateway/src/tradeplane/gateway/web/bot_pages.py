"""The bots pages: the list (status, strategy, venue, PnL, dry run) with the strategy catalogue, a new
bot's form generated from its strategy's `configSchema`, and a bot's own page (status, config, actions,
logs, performance, its orders, a candle chart of its symbol with its fills marked).

As every page, they call the REST API's route functions; the live parts re-read themselves when
`/api/stream/bots` (status changes, log lines) or `/api/stream/orders` reports an event.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from functools import partial
from typing import Any
from uuid import UUID

from fastapi import Request, Response
from fastapi.responses import HTMLResponse
from pydantic import ValidationError
from tradeplane.contracts.market import Timeframe
from tradeplane.strategies import STRATEGIES

from ..auth.principal import Principal
from ..bots import BotCreate, BotStop, strategy_json
from ..context import Gateway
from ..deps import Gw, Paging, require_writer
from ..envelope import ApiError
from ..routes import bots as bots_api
from ..routes import killswitch as killswitch_api
from ..routes import market as market_api
from ..routes import venues as venues_api
from . import i18n, schema_form
from .pages import (
    NOTHING,
    OFF,
    OPEN_STATUSES,
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
    router,
)
from .render import go, viewer

CATALOGUE: dict[str, dict[str, Any]] = {spec.id: strategy_json(spec) for spec in STRATEGIES.values()}
DEFAULT_STRATEGY = "rebalancer"
EXAMPLE_CONFIG: dict[str, dict[str, Any]] = {"rebalancer": {"targets": {"BTC": "0.5", "USDT": "0.5"}}}
"""What a new bot's form starts with where the schema has no default (the rebalancer's 50-50)."""
ACTIONS = ("start", "pause", "resume", "stop", "run", "delete")
ACTION_NOTICES = {
    "start": "Bot started.",
    "pause": "Bot paused: it sends no new orders.",
    "resume": "Bot resumed.",
    "stop": "Bot stopped.",
    "run": "The bot runs once now.",
}
CANDLES = 240
"""Candles the bot's chart shows (one-minute ones: the last four hours)."""


def _bot_events() -> str:
    return _events("bots")


# The list and the catalogue


async def _bots(request: Request, user: Principal, gw: Gateway, outcome: Outcome = NOTHING) -> Response:
    listed = await _maybe(bots_api.list_bots(user, gw, Paging(1, 100)))
    context = {
        "bots": listed or [],
        "unavailable": listed is None,
        "strategies": list(CATALOGUE.values()),
        "live_events": _bot_events(),
    }
    return _page(request, user, "bots.html", context, outcome)


@router.get("/bots", response_class=HTMLResponse)
async def bots_page(request: Request, user: PageUser, gw: Gw) -> Response:
    return await _bots(request, user, gw)


# A new bot


def _strategy_of(request: Request, form: Mapping[str, Any]) -> str:
    chosen = str(form.get("strategy") or request.query_params.get("strategy") or DEFAULT_STRATEGY)
    return chosen if chosen in CATALOGUE else DEFAULT_STRATEGY


async def _new_bot(request: Request, user: Principal, gw: Gateway, outcome: Outcome = NOTHING) -> Response:
    form = outcome.form
    strategy = _strategy_of(request, form)
    schema = CATALOGUE[strategy]["configSchema"]
    errors: Mapping[str, str] = outcome.extra.get("field_errors") or {}
    if form:
        values: Mapping[str, Any] = schema_form.parse(schema, form)
        values = {**values, **_unparsed_maps(schema, form)}
        allocation: Any = schema_form.pairs(form, "allocation")
    else:
        values = EXAMPLE_CONFIG.get(strategy, {})
        allocation = {}
    venues = await _maybe(venues_api.list_venues(user, gw)) or []
    context = {
        "strategy": CATALOGUE[strategy],
        "strategies": list(CATALOGUE.values()),
        "config_fields": schema_form.fields(schema, values, errors),
        "allocation_rows": schema_form.fields(
            {"properties": {"allocation": {"type": "object"}}}, {"allocation": allocation}, errors, "bot"
        )[0].rows,
        "field_errors": errors,
        "config_errors": schema_form.unplaced(errors, schema),
        "venues": venues,
    }
    return _page(request, user, "bot_new.html", context, outcome)


def _unparsed_maps(schema: Mapping[str, Any], form: Mapping[str, Any]) -> dict[str, Any]:
    """Key/value rows exactly as typed (a refused form shows them again unchanged, blank keys too)."""
    found: dict[str, Any] = {}
    for prop in schema.get("properties") or {}:
        rows = schema_form.pairs(form, f"{schema_form.CONFIG}.{prop}")
        if rows:
            found[prop] = rows
    return found


@router.get("/bots/new", response_class=HTMLResponse)
async def new_bot_page(request: Request, user: PageUser, gw: Gw) -> Response:
    return await _new_bot(request, user, gw)


def bot_body(form: Mapping[str, Any]) -> dict[str, Any]:
    """The `POST /api/bots` body the new bot's form describes."""
    strategy = str(form.get("strategy", ""))
    found = CATALOGUE.get(strategy)
    body: dict[str, Any] = {
        "name": str(form.get("name", "")),
        "strategy": strategy,
        "venueId": str(form.get("venueId", "")),
        "config": schema_form.parse(found["configSchema"], form) if found else {},
        "dryRun": str(form.get("dryRun", "")) in ("yes", "on", "true"),
    }
    allocation = schema_form.mapping(form, "allocation")
    if allocation:
        body["allocation"] = allocation
    return body


@router.post("/bots", response_class=HTMLResponse)
async def create_bot(request: Request, user: PageUser, gw: Gw) -> Response:
    fields = await _form(request)
    try:
        require_writer(user)
        created = data_of(await bots_api.create_bot(BotCreate.model_validate(bot_body(fields)), user, gw))
    except (ApiError, ValidationError) as exc:
        message, status = _problem(exc)
        refused = Outcome(
            error=message, status=status, form=fields, extra={"field_errors": field_problems(exc)}
        )
        return await _new_bot(request, user, gw, refused)
    return go(request, f"/bots/{created['id']}")


# A bot's page


def chart_symbol(bot: Mapping[str, Any]) -> str | None:
    """The market the bot trades: its config's `symbol`, or the rebalancer's first target against its
    quote."""
    config = bot.get("config") or {}
    if isinstance(config.get("symbol"), str):
        return str(config["symbol"])
    targets = config.get("targets")
    if isinstance(targets, Mapping):
        quote = str(config.get("quote") or "USDT")
        bases = [str(asset) for asset in targets if str(asset) != quote]
        if bases:
            return f"{bases[0]}/{quote}"
    return None


def trade_marks(orders: list[Mapping[str, Any]], symbol: str | None) -> list[dict[str, Any]]:
    """The chart's markers: each filled (or partly filled) order of the bot on its symbol."""
    marks = []
    for order in orders:
        if order.get("symbol") != symbol or not order.get("averagePrice"):
            continue
        marks.append(
            {
                "time": order.get("executedAt") or order.get("createdAt"),
                "side": order.get("side"),
                "price": order.get("averagePrice"),
                "quantity": order.get("filledQuantity"),
            }
        )
    return marks


def halted_orders(orders: list[Mapping[str, Any]]) -> int:
    return sum(1 for o in orders if o.get("status") == "Rejected" and o.get("rejectCode") == "KILL_SWITCH")


async def _orders_of(bot_id: UUID, user: Principal, gw: Gateway) -> list[dict[str, Any]]:
    async with gw.rt.engine.connect() as conn:
        return await _maybe(bots_api.bot_orders(bot_id, user, gw, conn, Paging(1, 50))) or []


async def _bot(
    bot_id: UUID, request: Request, user: Principal, gw: Gateway, outcome: Outcome = NOTHING
) -> Response:
    bot = data_of(await bots_api.get_bot(bot_id, user, gw))
    logs, performance, orders, halt = await asyncio.gather(
        _maybe(bots_api.bot_logs(bot_id, user, gw, Paging(1, 50), None)),
        _maybe(bots_api.bot_performance(bot_id, user, gw)),
        _orders_of(bot_id, user, gw),
        _maybe(killswitch_api.killswitch_status(user, gw, None)),
    )
    symbol = chart_symbol(bot)
    candles = None
    if symbol:
        candles = await _maybe(
            market_api.candles(
                market_api.Market(gw, user, symbol), UUID(bot["venueId"]), Timeframe.M1, None, None, CANDLES
            )
        )
    strategy = CATALOGUE.get(bot.get("strategy", ""))
    labels = {f.prop: f.label for f in schema_form.fields(strategy["configSchema"])} if strategy else {}
    context = {
        "bot": bot,
        "strategy": strategy,
        "config_labels": labels,
        "logs": logs or [],
        "performance": performance,
        "orders": orders,
        "open_statuses": OPEN_STATUSES,
        "halt": halt or {"global": OFF, "user": OFF},
        "halted_orders": halted_orders(orders),
        "symbol": symbol,
        "candles": candles or [],
        "marks": trade_marks(orders, symbol),
        "live_events": _bot_events(),
        "order_events": _events("orders"),
    }
    return _page(request, user, "bot.html", context, outcome)


@router.get("/bots/{bot_id:uuid}", response_class=HTMLResponse)
async def bot_page(bot_id: UUID, request: Request, user: PageUser, gw: Gw) -> Response:
    return await _bot(bot_id, request, user, gw)


@router.post("/bots/{bot_id:uuid}/{action}", response_class=HTMLResponse)
async def bot_action(bot_id: UUID, action: str, request: Request, user: PageUser, gw: Gw) -> Response:
    if action not in ACTIONS:
        raise ApiError(404, "NOT_FOUND", "no such action")
    if action == "delete":
        return await _delete(bot_id, request, user, gw)

    async def act(fields: dict[str, Any], _: i18n.Translate) -> Outcome:
        if action == "stop":
            stop = BotStop(cancel_open_orders=fields.get("cancelOpenOrders") in ("yes", "on", "true"))
            data_of(await bots_api.stop_bot(bot_id, user, gw, stop))
        else:
            data_of(await bots_api.ACTIONS[action](bot_id, user, gw))
        return Outcome(notice=_(ACTION_NOTICES[action]))

    return await _post(request, user, gw, partial(_bot, bot_id), act)


async def _delete(bot_id: UUID, request: Request, user: Principal, gw: Gateway) -> Response:
    fields = await _form(request)
    translate = i18n.translator(viewer(request, user).language)
    try:
        require_writer(user)
        if fields.get("confirm") != "yes":
            raise ApiError(422, "NOT_CONFIRMED", translate("Tick “I am sure” to confirm."))
        data_of(await bots_api.delete_bot(bot_id, user, gw))
    except ApiError as exc:
        return await _bot(bot_id, request, user, gw, Outcome(error=exc.message, status=exc.status))
    return go(request, "/bots")
