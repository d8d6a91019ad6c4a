"""The dashboard's pages. Every read and action calls the REST API's own route functions (the same
checks, queries and events), so a page can do nothing the API would not let the same user do.

Pages are plain HTML forms and links (they work without JavaScript); htmx boosts them into in-place
updates, and `app.js` re-reads the live parts when `/api/stream/{channel}` reports a change.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import Annotated, Any, get_args
from urllib.parse import urlencode, urlsplit
from uuid import UUID

import orjson
from fastapi import APIRouter, Depends, FastAPI, Request, Response
from fastapi.responses import HTMLResponse
from pydantic import TypeAdapter, ValidationError
from pydantic.alias_generators import to_camel
from tradeplane.contracts import HaltScope, OrderStatus, OrderType, Role

from ..adapters import repo
from ..adapters.audit_store import AuditQuery
from ..auth.principal import Principal
from ..context import Gateway
from ..deps import Gw, MaybeUser, Paging, admin_two_factor, require_admin, require_writer
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
    LogoutRequest,
    PlaceOrder,
    ProfileUpdate,
    RefreshRequest,
    RegisterRequest,
    RiskCeilings,
    RoleUpdate,
    Symbol,
    TradingLimits,
    WebhookCreate,
    WebhookEvent,
)
from ..stream import CHANNELS
from . import i18n, schema_form
from .render import PageRoute, SignIn, Viewer, go, render, viewer

router = APIRouter(include_in_schema=False, route_class=PageRoute)

OPEN_STATUSES = tuple(s.value for s in OrderStatus if not s.is_terminal)
WEBHOOK_EVENTS: tuple[str, ...] = get_args(WebhookEvent)
_SYMBOL: TypeAdapter[str] = TypeAdapter(Symbol)


REFRESH_COOKIE = "tp_refresh"
"""The browser's refresh token (HttpOnly): an expired access cookie is renewed from it, without asking
the user to sign in again, until the session ends (sign out, password change, refresh token reuse)."""


async def _signed_in(request: Request, user: MaybeUser) -> Principal:
    if user is None:
        if request.cookies.get(REFRESH_COOKIE):
            raise SignIn(f"/session/refresh?{urlencode({'next': _here(request)})}")
        raise SignIn("/login")
    return user


def _here(request: Request) -> str:
    """The page the user is on (for htmx requests the page that asked, not the fragment)."""
    current = urlsplit(request.headers.get("HX-Current-URL") or str(request.url))
    return _local(current.path + (f"?{current.query}" if current.query else ""))


def _local(target: str | None) -> str:
    """`target` when it is a path on this site, else the overview (no redirect to another site)."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    return target


PageUser = Annotated[Principal, Depends(_signed_in)]


def data_of(response: Response) -> Any:
    """The `data` of an API route's envelope; its error envelope raised again as the ApiError."""
    body = orjson.loads(bytes(response.body))
    if not body.get("success"):
        err = body.get("error") or {}
        found = err.get("details")
        details: dict[str, Any] = found if isinstance(found, dict) else {}
        raise ApiError(response.status_code, err.get("code", "INTERNAL"), err.get("message", ""), **details)
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


def field_problems(exc: ApiError | ValidationError) -> dict[str, str]:
    """Each refused field's message, by the field's name in the API (`config.targets`, `venueId`)."""
    if isinstance(exc, ApiError):
        return schema_form.errors_by_field(exc.details)
    found: dict[str, str] = {}
    for err in exc.errors():
        name = ".".join(str(part) for part in err.get("loc", ()) if part != "body")
        found[name] = f"{found[name]}; {err['msg']}" if name in found else str(err["msg"])
    return found


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


@dataclass(frozen=True)
class Outcome:
    """What a form's action did, shown on the page it renders again."""

    notice: str | None = None
    error: str | None = None
    status: int = 200
    form: Mapping[str, Any] = field(default_factory=dict)
    """The fields to show again after a refusal, for the user to fix."""
    extra: Mapping[str, Any] = field(default_factory=dict)
    """More for the page (a webhook's secret, shown once)."""

    def context(self) -> dict[str, Any]:
        return {"notice": self.notice, "error": self.error, "form": self.form, **self.extra}


NOTHING = Outcome()
Page = Callable[[Request, Principal, Gateway, Outcome], Awaitable[Response]]
Act = Callable[[dict[str, Any], i18n.Translate], Awaitable[Outcome]]


async def _post(
    request: Request,
    user: Principal,
    gw: Gateway,
    page: Page,
    act: Act,
    allowed: Callable[[Principal], object] = require_writer,
    keep_form: bool = False,
) -> Response:
    """A form's action for `allowed` users (traders and admins unless said), then its page again: with a
    notice, or with why it was refused (the API's status and message) and, when `keep_form`, the form."""
    fields = await _form(request)
    translate = i18n.translator(viewer(request, user).language)
    try:
        allowed(user)
        outcome = await act(fields, translate)
    except (ApiError, ValidationError) as exc:
        message, status = _problem(exc)
        kept = fields if keep_form else {}
        outcome = Outcome(
            error=message, status=status, form=kept, extra={"field_errors": field_problems(exc)}
        )
    return await page(request, user, gw, outcome)


def _page(
    request: Request, user: Principal, template: str, context: Mapping[str, Any], outcome: Outcome
) -> Response:
    return render(request, template, viewer(request, user), {**context, **outcome.context()}, outcome.status)


# Sign in and out


@router.get("/login", response_class=HTMLResponse)
async def login_page(request: Request, user: MaybeUser, lang: str | None = None) -> Response:
    if user is not None:
        return go(request, "/")
    chosen = lang if lang in i18n.LANGUAGES else None
    who = Viewer(None, chosen) if chosen else viewer(request, None)
    response = render(request, "login.html", who, {"email": ""})
    if chosen:
        _remember_language(response, chosen)
    return response


def _remember_language(response: Response, language: str) -> None:
    response.set_cookie(i18n.COOKIE, language, max_age=365 * 86400, samesite="lax", path="/")


@router.post("/login", response_class=HTMLResponse)
async def login(request: Request, gw: Gw) -> Response:
    fields = await _form(request)
    who = viewer(request, None)
    credentials = {"email": fields.get("email", ""), "password": fields.get("password", "")}
    if otp := str(fields.get("otp", "")).strip():
        credentials["otp"] = otp
    try:
        answer = await auth_api.login(LoginRequest.model_validate(credentials), gw, request)
    except (ApiError, ValidationError) as exc:
        message, status = _problem(exc)
        translate = i18n.translator(who.language)
        two_factor = isinstance(exc, ApiError) and exc.code == "TWO_FACTOR_REQUIRED"
        if two_factor:
            error = translate("Enter the code from your authenticator app (or a recovery code).")
        elif status in (401, 422):
            error = translate("Wrong email or password.")
        else:
            error = message
        context = {"email": credentials["email"], "error": error, "otp_required": two_factor}
        return render(request, "login.html", who, context, status)
    return _keep_refresh(go(request, "/", answer), answer, gw)


@router.get("/register", response_class=HTMLResponse)
async def register_page(request: Request, user: MaybeUser) -> Response:
    if user is not None:
        return go(request, "/")
    return render(request, "register.html", viewer(request, None), {"form": {}})


@router.post("/register", response_class=HTMLResponse)
async def register(request: Request, gw: Gw) -> Response:
    """A new trader account in the page's language, signed in at once."""
    fields = await _form(request)
    who = viewer(request, None)
    body = {k: fields.get(k, "") for k in ("email", "password", "name")} | {"language": who.language}
    try:
        data_of(await auth_api.register(RegisterRequest.model_validate(body), gw, request))
        credentials = {"email": body["email"], "password": body["password"]}
        answer = await auth_api.login(LoginRequest.model_validate(credentials), gw, request)
    except (ApiError, ValidationError) as exc:
        message, status = _problem(exc)
        kept = {"email": body["email"], "name": body["name"]}
        context = {"form": kept, "error": message, "field_errors": field_problems(exc)}
        return render(request, "register.html", who, context, status)
    return _keep_refresh(go(request, "/venues", answer), answer, gw)


def _keep_refresh(response: Response, answer: Response | None, gw: Gateway) -> Response:
    """Set the refresh cookie from a token pair `answer` (sign in, renewal); clear it without one."""
    if answer is None:
        response.delete_cookie(REFRESH_COOKIE, path="/", secure=gw.settings.cookie_secure, httponly=True)
        return response
    token = data_of(answer)["refresh_token"]
    days = gw.settings.refresh_token_days
    response.set_cookie(
        REFRESH_COOKIE,
        token,
        max_age=days * 86400,
        path="/",
        secure=gw.settings.cookie_secure,
        httponly=True,
        samesite="lax",
    )
    return response


@router.get("/session/refresh")
async def refresh_session(request: Request, gw: Gw, next: str = "/") -> Response:
    """Renew an expired access cookie from the refresh cookie, then back to the page (or to sign in)."""
    try:
        body = RefreshRequest(refresh_token=request.cookies.get(REFRESH_COOKIE, ""))
        answer = await auth_api.refresh(body, gw, request)
    except (ApiError, ValidationError):
        return _keep_refresh(go(request, "/login"), None, gw)
    return _keep_refresh(go(request, _local(next), answer), answer, gw)


@router.post("/logout")
async def logout(request: Request, gw: Gw, user: MaybeUser) -> Response:
    await _form(request)
    token = request.cookies.get(REFRESH_COOKIE)
    ending = LogoutRequest(refresh_token=token) if token else None
    return _keep_refresh(go(request, "/login", await auth_api.logout(gw, user, ending)), None, gw)


# Overview and the kill switches

OFF = {"active": False, "reason": None}


async def _overview(request: Request, user: Principal, gw: Gateway, outcome: Outcome = NOTHING) -> Response:
    portfolio, history, allocation, halt = await asyncio.gather(
        _maybe(portfolio_api.portfolio(user, gw, None)),
        _maybe(portfolio_api.READS["history"](user, gw)),
        _maybe(portfolio_api.READS["allocation"](user, gw)),
        _maybe(killswitch_api.killswitch_status(user, gw, None)),
    )
    context = {
        "portfolio": portfolio or {"positions": []},
        "history": [
            {"time": point["timestamp"], "value": point["equity"]}
            for point in (history or [])
            if point.get("equity") is not None
        ],
        "allocation": allocation or [],
        "halt": halt or {"global": OFF, "user": OFF},
        "unavailable": portfolio is None or history is None or halt is None,
        "live_events": _events("portfolio"),
    }
    return _page(request, user, "overview.html", context, outcome)


def _switch(scope: HaltScope, user: Principal, gw: Gateway) -> Act:
    """Engage or release a kill switch (the form's `action`), once "I am sure" is ticked."""
    engaged, released = (
        ("Your trading is halted.", "Your trading is running.")
        if scope is HaltScope.USER
        else ("Trading is halted for everyone.", "Trading is running for everyone.")
    )

    async def act(fields: dict[str, Any], _: i18n.Translate) -> Outcome:
        if fields.get("confirm") != "yes":
            raise ApiError(422, "NOT_CONFIRMED", _("Tick “I am sure” to confirm."))
        body = KillSwitchCommand(
            scope=scope, reason=str(fields.get("reason") or _("From the dashboard"))[:200]
        )
        if fields.get("action") == "deactivate":
            data_of(await killswitch_api.deactivate(body, user, gw))
            return Outcome(notice=_(released))
        data_of(await killswitch_api.activate(body, user, gw))
        return Outcome(notice=_(engaged))

    return act


@router.post("/killswitch", response_class=HTMLResponse)
async def killswitch(request: Request, user: PageUser, gw: Gw) -> Response:
    return await _post(request, user, gw, _overview, _switch(HaltScope.USER, user, gw))


def _events(channel: str) -> str:
    """The SSE event types a live part of a page listens to (blank: the channel does not exist)."""
    found = CHANNELS.get(channel)
    return " ".join(("ready", *found.events)) if found else ""


# Orders


def _order_filters(request: Request) -> dict[str, str]:
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


async def _orders_context(user: Principal, gw: Gateway, filters: Mapping[str, str]) -> dict[str, Any]:
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


async def _orders(request: Request, user: Principal, gw: Gateway, outcome: Outcome = NOTHING) -> Response:
    context, venues = await asyncio.gather(
        _orders_context(user, gw, _order_filters(request)), _maybe(venues_api.list_venues(user, gw))
    )
    # A fresh clientOrderId per form: a form sent twice is one order. A refused form keeps its own.
    form = {"clientOrderId": f"web-{uuid.uuid4().hex[:20]}", **outcome.form}
    context |= {"venues": venues or [], "order_types": [t.value for t in OrderType]}
    return _page(request, user, "orders.html", context, replace(outcome, form=form))


@router.get("/orders/table", response_class=HTMLResponse)
async def orders_table(request: Request, user: PageUser, gw: Gw) -> Response:
    context = await _orders_context(user, gw, _order_filters(request))
    return render(request, "orders_table.html", viewer(request, user), context)


ORDER_FIELDS = ("venueId", "symbol", "side", "type", "quantity", "price", "stopPrice", "clientOrderId")


def _order_words(answer: Mapping[str, Any], _: i18n.Translate) -> dict[str, str]:
    order = answer["order"]
    return {"side": _(order["side"]), "quantity": order["quantity"], "symbol": order["symbol"]}


@router.post("/orders", response_class=HTMLResponse)
async def place_order(request: Request, user: PageUser, gw: Gw) -> Response:
    async def act(fields: dict[str, Any], _: i18n.Translate) -> Outcome:
        given = {k: fields[k] for k in ORDER_FIELDS if fields.get(k)}
        given["symbol"] = str(given.get("symbol", "")).upper()
        answer = data_of(await orders_api.place_order(PlaceOrder.model_validate(given), user, gw, None))
        return Outcome(notice=_("Order placed: %(side)s %(quantity)s %(symbol)s.", **_order_words(answer, _)))

    return await _post(request, user, gw, _orders, act, keep_form=True)


@router.post("/orders/{order_id:uuid}/cancel", response_class=HTMLResponse)
async def cancel_order(order_id: UUID, request: Request, user: PageUser, gw: Gw) -> Response:
    async def act(fields: dict[str, Any], _: i18n.Translate) -> Outcome:
        answer = data_of(await orders_api.cancel_order(order_id, user, gw))
        return Outcome(notice=_("Cancelling: %(side)s %(quantity)s %(symbol)s.", **_order_words(answer, _)))

    return await _post(request, user, gw, _orders, act)


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


async def _venues(request: Request, user: Principal, gw: Gateway, outcome: Outcome = NOTHING) -> Response:
    venues = await _maybe(venues_api.list_venues(user, gw)) or []
    found = await asyncio.gather(
        *(_maybe(venues_api.READS["balance"](UUID(v["id"]), user, gw)) for v in venues)
    )
    balances = {v["id"]: b for v, b in zip(venues, found, strict=True) if b is not None}
    return _page(request, user, "venues.html", {"venues": venues, "balances": balances}, outcome)


@router.post("/venues", response_class=HTMLResponse)
async def connect_venue(request: Request, user: PageUser, gw: Gw) -> Response:
    async def act(fields: dict[str, Any], _: i18n.Translate) -> Outcome:
        body = {"venue": "paper", "initialBalances": parse_balances(str(fields.get("balances", "")))}
        if fields.get("label"):
            body["label"] = fields["label"]
        data_of(await venues_api.connect_venue(ConnectVenue.model_validate(body), user, gw))
        return Outcome(notice=_("Paper account connected."))

    return await _post(request, user, gw, _venues, act, keep_form=True)


# Webhooks


async def _webhooks(request: Request, user: Principal, gw: Gateway, outcome: Outcome = NOTHING) -> Response:
    context = {
        "webhooks": await _maybe(webhooks_api.list_webhooks(user, gw)) or [],
        "webhook_events": WEBHOOK_EVENTS,
        "default_events": ("trade_entry", "trade_exit"),
        "created": None,
    }
    return _page(request, user, "webhooks.html", context, outcome)


@router.post("/webhooks", response_class=HTMLResponse)
async def create_webhook(request: Request, user: PageUser, gw: Gw) -> Response:
    async def act(fields: dict[str, Any], _: i18n.Translate) -> Outcome:
        body = WebhookCreate.model_validate(
            {"url": fields.get("url", ""), "events": fields.get("events", [])}
        )
        created = data_of(await webhooks_api.create_webhook(body, user, gw))
        return Outcome(notice=_("Endpoint added."), extra={"created": created})

    return await _post(request, user, gw, _webhooks, act, keep_form=True)


@router.get("/webhooks/{webhook_id:uuid}", response_class=HTMLResponse)
async def deliveries(webhook_id: UUID, request: Request, user: PageUser, gw: Gw) -> Response:
    found = await _maybe(webhooks_api.deliveries(webhook_id, user, gw, Paging(1, 50)))
    return _page(request, user, "deliveries.html", {"deliveries": found or []}, NOTHING)


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
    name for name, spec in RiskCeilings.model_fields.items() if int in get_args(spec.annotation)
)


def limit_fields(
    limits: Mapping[str, Any] | None, form: Mapping[str, Any] | None = None
) -> list[dict[str, Any]]:
    """The form's rows: the value the user just sent (refused), else the current limit, else blank."""
    rows = []
    for name in RiskCeilings.model_fields:
        alias = to_camel(name)
        value = (form or {}).get(alias)
        if value is None and limits is not None:
            value = limits.get(name, limits.get(alias))
        label = LIMIT_LABELS.get(name, name)
        rows.append({"name": alias, "label": label, "value": "" if value is None else value})
    return rows


def limits_body(fields: Mapping[str, Any]) -> dict[str, Any]:
    """The limits the form filled in (blank ones unchanged), whole numbers as numbers."""
    body: dict[str, Any] = {}
    for name in RiskCeilings.model_fields:
        alias = to_camel(name)
        text = str(fields.get(alias) or "").strip().replace(" ", "").replace(",", "")
        if text:
            body[alias] = int(text) if name in INTEGER_LIMITS and text.isdigit() else text
    return body


async def _settings(request: Request, user: Principal, gw: Gateway, outcome: Outcome = NOTHING) -> Response:
    current = await _maybe(settings_api.get_trading_settings(user, gw, None)) or {}
    context = {
        "limit_fields": limit_fields(current.get("limits"), outcome.form),
        "state": current.get("state"),
    }
    return _page(request, user, "settings.html", context, outcome)


@router.post("/settings/limits", response_class=HTMLResponse)
async def put_limits(request: Request, user: PageUser, gw: Gw) -> Response:
    async def act(fields: dict[str, Any], _: i18n.Translate) -> Outcome:
        body = TradingLimits.model_validate(limits_body(fields))
        data_of(await settings_api.put_trading_settings(body, user, gw, None))
        return Outcome(notice=_("Risk limits saved."))

    return await _post(request, user, gw, _settings, act, keep_form=True)


@router.post("/settings/language", response_class=HTMLResponse)
async def put_language(request: Request, user: PageUser, gw: Gw) -> Response:
    fields = await _form(request)
    language = str(fields.get("language", ""))
    if language not in i18n.LANGUAGES:
        error = i18n.translator(viewer(request, user).language)("Unknown language.")
        return await _settings(request, user, gw, Outcome(error=error, status=422))
    # Anyone may choose their language, viewers too: it is their profile, not trading.
    saved = data_of(await auth_api.update_profile(ProfileUpdate(language=language), user, gw))
    async with gw.rt.engine.connect() as conn:  # the page renders in the language just saved
        row = await repo.user_by_id(conn, UUID(saved["user"]["id"]))
    if row is not None:
        user = Principal(row, user.session_id, user.expires_at)
    response = await _settings(
        request, user, gw, Outcome(notice=i18n.translator(language)("Language saved."))
    )
    _remember_language(response, language)
    return response


# Admin


async def _admin_page(request: Request, user: Principal, gw: Gateway, outcome: Outcome = NOTHING) -> Response:
    require_admin(user)
    admin_two_factor(gw, user)
    async with gw.rt.engine.connect() as conn:
        users_answer = await admin_api.list_users(user, gw, conn, Paging(1, 100))
        audit_answer = await compliance_api.audit_log(user, conn, Paging(1, 50), AuditQuery(), gw)
    halt = await _maybe(killswitch_api.killswitch_status(user, gw, None))
    context = {
        "users": data_of(users_answer),
        "audit": data_of(audit_answer),
        "halt": halt or {"global": OFF, "user": OFF},
        "roles": [r.value for r in Role],
    }
    return _page(request, user, "admin.html", context, outcome)


@router.post("/admin/killswitch", response_class=HTMLResponse)
async def global_killswitch(request: Request, user: PageUser, gw: Gw) -> Response:
    return await _post(request, user, gw, _admin_page, _switch(HaltScope.GLOBAL, user, gw), require_admin)


@router.post("/admin/users/{user_id:uuid}/role", response_class=HTMLResponse)
async def set_role(user_id: UUID, request: Request, user: PageUser, gw: Gw) -> Response:
    async def act(fields: dict[str, Any], _: i18n.Translate) -> Outcome:
        body = RoleUpdate.model_validate({"role": fields.get("role", "")})
        row = data_of(await admin_api.set_user_role(user_id, body, user, gw))
        return Outcome(notice=_("%(email)s is now: %(role)s.", email=row["email"], role=_(row["role"])))

    return await _post(request, user, gw, _admin_page, act, require_admin)


@router.post("/admin/users/{user_id:uuid}/enable", response_class=HTMLResponse)
async def enable_user(user_id: UUID, request: Request, user: PageUser, gw: Gw) -> Response:
    async def act(fields: dict[str, Any], _: i18n.Translate) -> Outcome:
        data_of(await admin_api.enable_user(user_id, user, gw))
        return Outcome(notice=_("The user may trade again."))

    return await _post(request, user, gw, _admin_page, act, require_admin)


def _show(page: Page) -> Callable[[Request, Principal, Gateway], Awaitable[Response]]:
    async def show(request: Request, user: PageUser, gw: Gw) -> Response:
        return await page(request, user, gw, NOTHING)

    return show


PAGES: dict[str, Page] = {
    "/": _overview,
    "/orders": _orders,
    "/venues": _venues,
    "/webhooks": _webhooks,
    "/settings": _settings,
    "/admin": _admin_page,
}
"""The pages a link opens: each one's function renders it after a form's action too."""
for _path, _page_of in PAGES.items():
    router.add_api_route(_path, _show(_page_of), methods=["GET"], response_class=HTMLResponse)


def install(app: FastAPI) -> None:
    app.include_router(router)
