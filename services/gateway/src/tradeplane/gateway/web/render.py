"""Rendering a page: the Jinja2 environment, its filters, and what every page's template is given."""

from __future__ import annotations

import logging
from collections.abc import Callable, Coroutine, Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import orjson
from fastapi import Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.routing import APIRoute
from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.exceptions import HTTPException
from tradeplane.contracts import Role

from ..auth.principal import Principal
from ..edge import CSRF_FIELD, token_for
from ..envelope import ApiError
from . import i18n

log = logging.getLogger(__name__)
HERE = Path(__file__).parent
STATIC = HERE / "static"
TEMPLATES = HERE / "templates"

HEADERS = {"Cache-Control": "no-store"}
"""A page is the signed-in user's own; the security headers (CSP, ...) come from `edge`, on every response."""


def number(value: Any, places: int | None = 2) -> str:
    """A decimal amount for people: thousands grouped, `places` decimals (None: as given); `—` when
    missing."""
    if value is None or value == "":
        return "—"
    try:
        amount = Decimal(str(value))
    except InvalidOperation:
        return str(value)
    if places is None:
        return format(amount.normalize(), ",f")
    return format(amount, f",.{places}f")


def signed(value: Any) -> str:
    """`+12.50` / `-3.10`: a change of money, with its sign."""
    text = number(value)
    return text if text.startswith(("-", "—")) else f"+{text}"


def when(value: Any) -> str:
    """An ISO timestamp as `2026-12-07 18:30:05 UTC`."""
    if not value:
        return "—"
    try:
        moment = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        return str(value)
    return moment.strftime("%Y-%m-%d %H:%M:%S UTC")


def tojson(value: Any) -> str:
    return orjson.dumps(value, default=str).decode()


ENV = Environment(
    loader=FileSystemLoader(TEMPLATES),
    autoescape=select_autoescape(["html"]),
    trim_blocks=True,
    lstrip_blocks=True,
)
ENV.filters.update(number=number, signed=signed, when=when, tojson=tojson)


@dataclass(frozen=True, slots=True)
class Viewer:
    """Who looks at a page, and what the page lets them do."""

    user: Principal | None
    language: str

    @property
    def can_act(self) -> bool:
        return self.user is not None and self.user.role is not Role.VIEWER

    @property
    def is_admin(self) -> bool:
        return self.user is not None and self.user.is_admin


def viewer(request: Request, user: Principal | None) -> Viewer:
    stored = str(user.row.language) if user is not None else None
    cookie = request.cookies.get(i18n.COOKIE)
    return Viewer(user, i18n.choose(stored, cookie, request.headers.get("accept-language")))


def render(
    request: Request,
    template: str,
    who: Viewer,
    context: Mapping[str, Any] | None = None,
    status: int = 200,
) -> HTMLResponse:
    """A full page (or fragment) in the viewer's language, with the dashboard's security headers."""
    translate = i18n.translator(who.language)
    html = ENV.get_template(template).render(
        {
            "request": request,
            "path": request.url.path,
            "viewer": who,
            "user": who.user,
            "lang": who.language,
            "languages": i18n.LANGUAGES,
            "_": translate,
            "notice": None,
            "error": None,
            "csrf_token": token_for(request),
            "csrf_field": CSRF_FIELD,
            **(context or {}),
        }
    )
    return HTMLResponse(html, status, headers=HEADERS)


class SignIn(Exception):
    """A page was asked for without a session: the browser goes to `target` (the sign-in page, or the
    page that renews the session from its refresh cookie)."""

    def __init__(self, target: str = "/login") -> None:
        super().__init__(target)
        self.target = target


def go(request: Request, url: str, response: Response | None = None) -> Response:
    """A redirect after a form: htmx follows `HX-Redirect` with a full page load, a browser the 303.
    The cookies `response` set (sign in, sign out) come along."""
    if request.headers.get("HX-Request"):
        answer: Response = Response(status_code=200, headers={"HX-Redirect": url})
    else:
        answer = RedirectResponse(url, status_code=303)
    if response is not None:
        for value in response.headers.getlist("set-cookie"):
            answer.headers.append("set-cookie", value)
    return answer


class PageRoute(APIRoute):
    """A page: no session → the sign-in page; a refusal → an error page with its status; anything
    unexpected → a logged 503 page (never a bare 500)."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def guarded(request: Request) -> Response:
            try:
                return await handler(request)
            except SignIn as exc:
                return go(request, exc.target)
            except ApiError as exc:
                return _error_page(request, exc.message, exc.status)
            except (HTTPException, RequestValidationError):
                raise
            except Exception:
                log.exception("page failed", extra={"path": request.url.path})
                return _error_page(request, None, 503)

        return guarded


def _error_page(request: Request, message: str | None, status: int) -> Response:
    who = viewer(request, None)
    return render(request, "error.html", who, {"message": message, "status": status}, status)
