"""The dashboard's pages. Every read and action calls the REST API's own route functions (the same
checks, queries and events), so a page can do nothing the API would not let the same user do.

Pages are plain HTML forms and links (they work without JavaScript); htmx boosts them into in-place
updates, and `app.js` re-reads the live parts when `/api/stream/{channel}` reports a change.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable, Callable, Mapping
from typing import Annotated, Any, get_args
from urllib.parse import urlsplit
from uuid import UUID

import orjson
from fastapi import APIRouter, Depends, FastAPI, Request, Response
from fastapi.responses import HTMLResponse
from pydantic import TypeAdapter, ValidationError
from pydantic.alias_generators import to_camel
from tradeplane.contracts import HaltScope, OrderStatus, OrderType, Role

from ..auth.principal import Principal
from ..deps import Gw, MaybeUser, Paging, _admin, _writer
from ..envelope import ApiError
from ..routes import admin as admin_api
from ..routes import auth as auth_api
from ..routes import compliance as compliance_api
from ..routes import killswitch as killswitch_api
from ..routes import orders as orders_api
from ..routes import portfolio as portfolio_api
from ..routes import settings as settings_api
from ..routes import venues as venues_api
from ..routes import webhooks as webhooks_api
from ..schemas import (
    ConnectVenue,
    KillSwitchCommand,
    LoginRequest,
    PlaceOrder,
    ProfileUpdate,
    RiskCeilings,
    RoleUpdate,
    Symbol,
    TradingLimits,
    WebhookCreate,
    WebhookEvent,
)
from ..stream import CHANNELS
from . import i18n
from .render import PageRoute, SignIn, Viewer, go, render, viewer

router = APIRouter(include_in_schema=False, route_class=PageRoute)

OPEN_STATUSES = tuple(s.value for s in OrderStatus if not s.is_terminal)
WEBHOOK_EVENTS: tuple[str, ...] = get_args(WebhookEvent)
_SYMBOL: TypeAdapter[str] = TypeAdapter(Symbol)


def _signed_in(user: MaybeUser) -> Principal:
    if user is None:
        raise SignIn
    return user


PageUser = Annotated[Principal, Depends(_signed_in)]


def data_of(response: Response) -> Any:
    """The `data` of an API route's envelope; its error envelope raised again as the ApiError."""
    body = orjson.loads(bytes(response.body))
    if not body.get("success"):
        err = body.get("error") or {}
        raise ApiError(response.status_code, err.get("code", "INTERNAL"), err.get("message", ""))
    return body["data"]


async def _maybe(call: Awaitable[Response]) -> Any:
    """The data of a read that may fail (a service down): None, and the page shows what it has."""
    try:
        return data_of(await call)
    except ApiError:
        return None


def _problem(exc: ApiError | ValidationError) -> tuple[str, int]:
    if isinstance(exc, ApiError):
        return exc.message, exc.status
    first = exc.errors()[0]
    where = ".".join(str(part) for part in first.get("loc", ()) if part != "body")
    return (f"{where}: {first['msg']}" if where else str(first["msg"])), 422


async def _form(request: Request) -> dict[str, Any]:
    """The posted form, refused when it comes from another site (the cookie is SameSite=Lax too)."""
    origin = request.headers.get("origin") or request.headers.get("referer")
    if origin and urlsplit(origin).netloc != request.headers.get("host", request.url.netloc):
        raise ApiError(403, "CROSS_SITE_FORM", "a form from another site was refused")
    form = await request.form()
    fields: dict[str, Any] = {}
    for key in form:
        values = [v for v in form.getlist(key) if isinstance(v, str)]
        fields[key] = values if len(values) > 1 or key == "events" else (values[0].strip() if values else "")
    return fields


Action = Callable[[], Awaitable[str]]


async def _attempt(action: Action) -> tuple[str | None, str | None, int]:
    """Run a form's action: (notice, None, 200) when it worked, (None, why, status) when refused."""
    try:
        return await action(), None, 200
    except (ApiError, ValidationError) as exc:
        message, status = _problem(exc)
        return None, message, status


# Sign in and out


@router.get("/login", response_class=HTMLResponse)
async def login_page(request: Request, user: MaybeUser, lang: str | None = None) -> Response:
    if user is not None:
        return go(request, "/")
    who = viewer(request, None)
    if lang in i18n.LANGUAGES:
        who = Viewer(None, lang)
    response = render(request, "login.html", who, {"email": ""})
    if lang in i18n.LANGUAGES:
        response.set_cookie(i18n.COOKIE, lang, max_age=365 * 86400, samesite="lax", path="/")
    return response


@router.post("/login", response_class=HTMLResponse)
async def login(request: Request, gw: Gw) -> Response:
    fields = await _form(request)
    who = viewer(request, None)
    try:
        body = LoginRequest.model_validate(
            {"email": fields.get("email", ""), "password": fields.get("password", "")}
        )
        answer = await auth_api.login(body, gw)
    except (ApiError, ValidationError) as exc:
        message, status = _problem(exc)
        _ = i18n.translator(who.language)
        error = _("Wrong email or password.") if status in (401, 422) else message
        return render(request, "login.html", who, {"email": fields.get("email", ""), "error": error}, status)
    return go(request, "/", answer)


@router.post("/logout")
async def logout(request: Request, gw: Gw, user: MaybeUser) -> Response:
    await _form(request)
    answer = await auth_api.logout(gw, user, None)
    return go(request, "/login", answer)


# Overview


async def _overview(
    request: Request,
    user: Principal,
    gw: Gw,
    notice: str | None = None,
    error: str | None = None,
    status: int = 200,
) -> Response:
    portfolio, history, allocation, halt = await asyncio.gather(
        _maybe(portfolio_api.portfolio(user, gw, None)),
        _maybe(portfolio_api.equity_history(user, gw)),
        _maybe(portfolio_api.allocation(user, gw)),
        _maybe(killswitch_api.killswitch_status(user, gw, None)),
    )
    unavailable = portfolio is None or history is None or halt is None
    off = {"active": False, "reason": None}
    context = {
        "portfolio": portfolio or {"positions": []},
        "history": [
            {"time": point["timestamp"], "value": point["equity"]}
            for point in (history or [])
            if point.get("equity") is not None
        ],
        "allocation": allocation or [],
        "halt": halt or {"global": off, "user": off},
        "unavailable": unavailable,
        "live_events": _events("portfolio"),
        "notice": notice,
        "error": error,
    }
    return render(request, "overview.html", viewer(request, user), context, status)


@router.get("/", response_class=HTMLResponse)
async def overview(request: Request, user: PageUser, gw: Gw) -> Response:
    return await _overview(request, user, gw)


@router.post("/killswitch", response_class=HTMLResponse)
async def killswitch(request: Request, user: PageUser, gw: Gw) -> Response:
    fields = await _form(request)
    _ = i18n.translator(viewer(request, user).language)

    async def act() -> str:
        _writer(user)
        engage = fields.get("action") != "deactivate"
        _confirmed(fields, _)
        body = KillSwitchCommand(scope=HaltScope.USER, reason=_reason(fields, _))
        if engage:
            data_of(await killswitch_api.activate(body, user, gw))
            return _("Your trading is halted.")
        data_of(await killswitch_api.deactivate(body, user, gw))
        return _("Your trading is running.")

    notice, error, status = await _attempt(act)
    return await _overview(request, user, gw, notice, error, status)


def _confirmed(fields: Mapping[str, Any], _: Callable[..., str]) -> None:
    if fields.get("confirm") != "yes":
        raise ApiError(422, "NOT_CONFIRMED", _("Tick “I am sure” to confirm."))


def _reason(fields: Mapping[str, Any], _: Callable[..., str]) -> str:
    return str(fields.get("reason") or _("From the dashboard"))[:200]


def _events(channel: str) -> str:
    return " ".join(("ready", *CHANNELS[channel].events))


# Orders


def _order_filters(request: Request) -> dict[str, Any]:
    status = request.query_params.get("status") or ""
    symbol = (request.query_params.get("symbol") or "").strip().upper()
    return {
        "status": status if status in {s.value for s in OrderStatus} else "",
        "symbol": symbol if symbol and _valid_symbol(symbol) else "",
    }


def _valid_symbol(symbol: str) -> bool:
    try:
        _SYMBOL.validate_python(symbol)
    except ValidationError:
        return False
    return True


async def _orders_context(user: Principal, gw: Gw, filters: Mapping[str, Any]) -> dict[str, Any]:
    status = OrderStatus(filters["status"]) if filters.get("status") else None
    async with gw.rt.engine.connect() as conn:
        answer = await orders_api.list_orders(
            user, conn, Paging(1, 50), status, filters.get("symbol") or None
        )
    body = orjson.loads(bytes(answer.body))
    return {
        "orders": body["data"],
        "total": body["pagination"]["totalItems"],
        "filters": filters,
        "statuses": [s.value for s in OrderStatus],
        "open_statuses": OPEN_STATUSES,
        "live_events": _events("orders"),
    }


async def _orders(
    request: Request,
    user: Principal,
    gw: Gw,
    notice: str | None = None,
    error: str | None = None,
    status: int = 200,
    form: Mapping[str, Any] | None = None,
) -> Response:
    filters = _order_filters(request)
    context, venues = await asyncio.gather(
        _orders_context(user, gw, filters), _maybe(venues_api.list_venues(user, gw))
    )
    context |= {
        "venues": venues or [],
        "order_types": [t.value for t in OrderType],
        "form": {"clientOrderId": f"web-{uuid.uuid4().hex[:20]}", **(form or {})},
        "notice": notice,
        "error": error,
    }
    return render(request, "orders.html", viewer(request, user), context, status)


@router.get("/orders", response_class=HTMLResponse)
async def orders(request: Request, user: PageUser, gw: Gw) -> Response:
    return await _orders(request, user, gw)


@router.get("/orders/table", response_class=HTMLResponse)
async def orders_table(request: Request, user: PageUser, gw: Gw) -> Response:
    context = await _orders_context(user, gw, _order_filters(request))
    return render(request, "orders_table.html", viewer(request, user), context)


ORDER_FIELDS = ("venueId", "symbol", "side", "type", "quantity", "price", "stopPrice", "clientOrderId")


@router.post("/orders", response_class=HTMLResponse)
async def place_order(request: Request, user: PageUser, gw: Gw) -> Response:
    fields = await _form(request)
    _ = i18n.translator(viewer(request, user).language)

    async def act() -> str:
        _writer(user)
        given = {k: fields[k] for k in ORDER_FIELDS if fields.get(k)}
        if "symbol" in given:
            given["symbol"] = str(given["symbol"]).upper()
        order = data_of(await orders_api.place_order(PlaceOrder.model_validate(given), user, gw, None))
        return _("Order placed: %(side)s %(quantity)s %(symbol)s.", **_order_words(order["order"], _))

    notice, error, status = await _attempt(act)
    kept = {k: v for k, v in fields.items() if k != "clientOrderId"} if error else {}
    if error and fields.get("clientOrderId"):  # the same order when the user fixes and resends it
        kept["clientOrderId"] = fields["clientOrderId"]
    return await _orders(request, user, gw, notice, error, status, kept)


def _order_words(order: Mapping[str, Any], _: Callable[..., str]) -> dict[str, str]:
    return {"side": _(order["side"]), "quantity": order["quantity"], "symbol": order["symbol"]}


@router.post("/orders/{order_id:uuid}/cancel", response_class=HTMLResponse)
async def cancel_order(order_id: UUID, request: Request, user: PageUser, gw: Gw) -> Response:
    await _form(request)
    _ = i18n.translator(viewer(request, user).language)

    async def act() -> str:
        _writer(user)
        order = data_of(await orders_api.cancel_order(order_id, user, gw))
        return _("Cancelling: %(side)s %(quantity)s %(symbol)s.", **_order_words(order["order"], _))

    notice, error, status = await _attempt(act)
    return await _orders(request, user, gw, notice, error, status)


# Venues


def parse_balances(text: str) -> dict[str, str]:
    """`USDT=100000, BTC=1` → `{"USDT": "100000", "BTC": "1"}`; the API's schema checks currencies and
    amounts (a part without `=` is kept whole, so the schema names it)."""
    balances: dict[str, str] = {}
    for part in text.replace("\n", ",").replace(";", ",").split(","):
        if part.strip():
            currency, _, amount = part.partition("=")
            balances[currency.strip().upper()] = amount.strip().replace(" ", "")
    return balances


async def _venues(
    request: Request,
    user: Principal,
    gw: Gw,
    notice: str | None = None,
    error: str | None = None,
    status: int = 200,
    form: Mapping[str, Any] | None = None,
) -> Response:
    venues = await _maybe(venues_api.list_venues(user, gw)) or []
    found = await asyncio.gather(*(_maybe(venues_api.venue_balance(UUID(v["id"]), user, gw)) for v in venues))
    balances = {v["id"]: b for v, b in zip(venues, found, strict=True) if b is not None}
    context = {"venues": venues, "balances": balances, "form": form or {}, "notice": notice, "error": error}
    return render(request, "venues.html", viewer(request, user), context, status)


@router.get("/venues", response_class=HTMLResponse)
async def venues(request: Request, user: PageUser, gw: Gw) -> Response:
    return await _venues(request, user, gw)


@router.post("/venues", response_class=HTMLResponse)
async def connect_venue(request: Request, user: PageUser, gw: Gw) -> Response:
    fields = await _form(request)
    _ = i18n.translator(viewer(request, user).language)

    async def act() -> str:
        _writer(user)
        body = {"venue": "paper", "initialBalances": parse_balances(str(fields.get("balances", "")))}
        if fields.get("label"):
            body["label"] = fields["label"]
        data_of(await venues_api.connect_venue(ConnectVenue.model_validate(body), user, gw))
        return _("Paper account connected.")

    notice, error, status = await _attempt(act)
    return await _venues(request, user, gw, notice, error, status, fields if error else None)


# Webhooks


async def _webhooks(
    request: Request,
    user: Principal,
    gw: Gw,
    notice: str | None = None,
    error: str | None = None,
    status: int = 200,
    extra: Mapping[str, Any] | None = None,
) -> Response:
    context = {
        "webhooks": await _maybe(webhooks_api.list_webhooks(user, gw)) or [],
        "webhook_events": WEBHOOK_EVENTS,
        "default_events": ("trade_entry", "trade_exit"),
        "created": None,
        "form": {},
        "notice": notice,
        "error": error,
        **(extra or {}),
    }
    return render(request, "webhooks.html", viewer(request, user), context, status)


@router.get("/webhooks", response_class=HTMLResponse)
async def webhooks(request: Request, user: PageUser, gw: Gw) -> Response:
    return await _webhooks(request, user, gw)


@router.post("/webhooks", response_class=HTMLResponse)
async def create_webhook(request: Request, user: PageUser, gw: Gw) -> Response:
    fields = await _form(request)
    _ = i18n.translator(viewer(request, user).language)
    created: dict[str, Any] = {}

    async def act() -> str:
        _writer(user)
        body = WebhookCreate.model_validate(
            {"url": fields.get("url", ""), "events": fields.get("events", [])}
        )
        created.update(data_of(await webhooks_api.create_webhook(body, user, gw)))
        return _("Endpoint added.")

    notice, error, status = await _attempt(act)
    extra = {"created": created or None, "form": fields if error else {}}
    return await _webhooks(request, user, gw, notice, error, status, extra)


@router.get("/webhooks/{webhook_id:uuid}", response_class=HTMLResponse)
async def deliveries(webhook_id: UUID, request: Request, user: PageUser, gw: Gw) -> Response:
    found = await _maybe(webhooks_api.deliveries(webhook_id, user, gw, Paging(1, 50)))
    context = {"deliveries": found or []}
    return render(request, "deliveries.html", viewer(request, user), context)


# Settings


LIMIT_LABELS: dict[str, str] = {
    "max_position_pct": "Largest position (% of equity)",
    "max_order_notional": "Largest order (USD)",
    "max_daily_loss_usd": "Daily loss limit (USD)",
    "max_daily_loss_pct": "Daily loss limit (%)",
    "max_weekly_loss_usd": "Weekly loss limit (USD)",
    "max_drawdown_pct": "Largest drawdown (%)",
    "max_daily_trades": "Trades per day",
    "circuit_breaker_daily_loss_pct": "Circuit breaker: daily loss (%)",
    "max_orders_per_minute": "Orders per minute",
}
"""The scalar risk limits a trader sets on the page (RiskCeilings' fields), with their labels."""
INTEGER_LIMITS = frozenset(
    name for name, field in RiskCeilings.model_fields.items() if int in get_args(field.annotation)
)


def limit_fields(
    limits: Mapping[str, Any] | None, form: Mapping[str, Any] | None = None
) -> list[dict[str, Any]]:
    rows = []
    for name in RiskCeilings.model_fields:
        alias = to_camel(name)
        value = (form or {}).get(alias)
        if value is None and limits is not None:
            value = limits.get(name, limits.get(alias))
        rows.append(
            {"name": alias, "label": LIMIT_LABELS.get(name, name), "value": "" if value is None else value}
        )
    return rows


def limits_body(fields: Mapping[str, Any]) -> dict[str, Any]:
    """The limits the form filled in (blank ones unchanged), whole numbers as numbers."""
    body: dict[str, Any] = {}
    for name in RiskCeilings.model_fields:
        alias = to_camel(name)
        text = str(fields.get(alias) or "").strip().replace(" ", "").replace(",", "")
        if not text:
            continue
        body[alias] = int(text) if name in INTEGER_LIMITS and text.isdigit() else text
    return body


async def _settings(
    request: Request,
    user: Principal,
    gw: Gw,
    who: Viewer | None = None,
    notice: str | None = None,
    error: str | None = None,
    status: int = 200,
    form: Mapping[str, Any] | None = None,
) -> Response:
    current = await _maybe(settings_api.get_trading_settings(user, gw, None)) or {}
    context = {
        "limit_fields": limit_fields(current.get("limits"), form),
        "state": current.get("state"),
        "notice": notice,
        "error": error,
    }
    return render(request, "settings.html", who or viewer(request, user), context, status)


@router.get("/settings", response_class=HTMLResponse)
async def settings(request: Request, user: PageUser, gw: Gw) -> Response:
    return await _settings(request, user, gw)


@router.post("/settings/limits", response_class=HTMLResponse)
async def put_limits(request: Request, user: PageUser, gw: Gw) -> Response:
    fields = await _form(request)
    _ = i18n.translator(viewer(request, user).language)

    async def act() -> str:
        _writer(user)
        body = TradingLimits.model_validate(limits_body(fields))
        data_of(await settings_api.put_trading_settings(body, user, gw, None))
        return _("Risk limits saved.")

    notice, error, status = await _attempt(act)
    return await _settings(request, user, gw, None, notice, error, status, fields if error else None)


@router.post("/settings/language", response_class=HTMLResponse)
async def put_language(request: Request, user: PageUser, gw: Gw) -> Response:
    fields = await _form(request)
    language = str(fields.get("language", ""))
    if language not in i18n.LANGUAGES:
        who = viewer(request, user)
        error = i18n.translator(who.language)("Unknown language.")
        return await _settings(request, user, gw, who, None, error, 422)
    # Anyone may choose their language, viewers too: it is their profile, not trading.
    data_of(await auth_api.update_profile(ProfileUpdate(language=language), user, gw))
    who = Viewer(user, language)
    notice = i18n.translator(language)("Language saved.")
    response = await _settings(request, user, gw, who, notice)
    response.set_cookie(i18n.COOKIE, language, max_age=365 * 86400, samesite="lax", path="/")
    return response


# Admin


async def _admin_page(
    request: Request,
    user: Principal,
    gw: Gw,
    notice: str | None = None,
    error: str | None = None,
    status: int = 200,
) -> Response:
    _admin(user)
    async with gw.rt.engine.connect() as conn:
        users_answer = await admin_api.list_users(user, gw, conn, Paging(1, 100))
        audit_answer = await compliance_api.audit_log(user, conn, Paging(1, 50), None)
    off = {"active": False, "reason": None}
    halt = await _maybe(killswitch_api.killswitch_status(user, gw, None))
    context = {
        "users": data_of(users_answer),
        "audit": data_of(audit_answer),
        "halt": halt or {"global": off, "user": off},
        "roles": [r.value for r in Role],
        "notice": notice,
        "error": error,
    }
    return render(request, "admin.html", viewer(request, user), context, status)


@router.get("/admin", response_class=HTMLResponse)
async def admin(request: Request, user: PageUser, gw: Gw) -> Response:
    return await _admin_page(request, user, gw)


@router.post("/admin/killswitch", response_class=HTMLResponse)
async def global_killswitch(request: Request, user: PageUser, gw: Gw) -> Response:
    fields = await _form(request)
    _ = i18n.translator(viewer(request, user).language)

    async def act() -> str:
        _admin(user)
        _confirmed(fields, _)
        body = KillSwitchCommand(scope=HaltScope.GLOBAL, reason=_reason(fields, _))
        if fields.get("action") == "deactivate":
            data_of(await killswitch_api.deactivate(body, user, gw))
            return _("Trading is running for everyone.")
        data_of(await killswitch_api.activate(body, user, gw))
        return _("Trading is halted for everyone.")

    notice, error, status = await _attempt(act)
    return await _admin_page(request, user, gw, notice, error, status)


@router.post("/admin/users/{user_id:uuid}/role", response_class=HTMLResponse)
async def set_role(user_id: UUID, request: Request, user: PageUser, gw: Gw) -> Response:
    fields = await _form(request)
    _ = i18n.translator(viewer(request, user).language)

    async def act() -> str:
        _admin(user)
        row = data_of(await admin_api.set_user_role(user_id, RoleUpdate.model_validate(fields), user, gw))
        return _("%(email)s is now: %(role)s.", email=row["email"], role=_(row["role"]))

    notice, error, status = await _attempt(act)
    return await _admin_page(request, user, gw, notice, error, status)


@router.post("/admin/users/{user_id:uuid}/enable", response_class=HTMLResponse)
async def enable_user(user_id: UUID, request: Request, user: PageUser, gw: Gw) -> Response:
    await _form(request)
    _ = i18n.translator(viewer(request, user).language)

    async def act() -> str:
        _admin(user)
        async with gw.rt.engine.connect() as conn:
            data_of(await admin_api.enable_user(user_id, user, gw, conn))
        return _("The user may trade again.")

    notice, error, status = await _attempt(act)
    return await _admin_page(request, user, gw, notice, error, status)


def install(app: FastAPI) -> None:
    app.include_router(router)
