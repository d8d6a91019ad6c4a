"""The response envelopes of docs/api.md, and the handlers that put every error, whatever its origin, in one.

success `{success: true, data, timestamp}`, list `... + pagination`, error
`{success: false, error: {code, message, details}, timestamp}`. An unexpected exception is logged
and answered 503 INTERNAL: no client input ever produces a bare 500.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Coroutine, Iterable, Iterator, Mapping, Sequence
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import orjson
from fastapi import FastAPI, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute
from pydantic import BaseModel, ValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import BaseRoute, Match
from tradeplane.contracts import queries
from tradeplane.contracts.queries import Reply

log = logging.getLogger(__name__)

_STATUS_CODES = {
    400: "BAD_REQUEST",
    401: "UNAUTHORIZED",
    403: "FORBIDDEN",
    404: "NOT_FOUND",
    405: "METHOD_NOT_ALLOWED",
    409: "CONFLICT",
    413: "PAYLOAD_TOO_LARGE",
    415: "UNSUPPORTED_MEDIA_TYPE",
    422: "VALIDATION_ERROR",
    429: "RATE_LIMITED",
    503: "SERVICE_UNAVAILABLE",
}


class ApiError(Exception):
    """Raised anywhere in a request to answer with the error envelope."""

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        headers: Mapping[str, str] | None = None,
        **details: Any,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.details = details
        self.headers = dict(headers or {})


def timestamp() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _default(value: Any) -> Any:
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, BaseModel):
        return value.model_dump(mode="json", by_alias=True)
    raise TypeError(f"cannot serialize {type(value).__name__}")


class Json(JSONResponse):
    def render(self, content: Any) -> bytes:
        return orjson.dumps(content, default=_default)


def ok(data: Any = None, status: int = 200, headers: Mapping[str, str] | None = None) -> Json:
    return Json({"success": True, "data": data, "timestamp": timestamp()}, status, dict(headers or {}))


def paged(data: Sequence[Any], pagination: Mapping[str, int], status: int = 200) -> Json:
    body = {"success": True, "data": list(data), "pagination": dict(pagination), "timestamp": timestamp()}
    return Json(body, status)


def pagination(page: int, page_size: int, total: int) -> dict[str, int]:
    return queries.pagination(page, page_size, total)


def error(
    status: int,
    code: str,
    message: str,
    details: Mapping[str, Any] | None = None,
    headers: Mapping[str, str] | None = None,
) -> Json:
    body = {
        "success": False,
        "error": {"code": code, "message": message, "details": dict(details or {})},
        "timestamp": timestamp(),
    }
    return Json(body, status, dict(headers or {}))


def from_reply(reply: Reply, status: int = 200) -> Json:
    """A service's query reply as the HTTP answer: its error status and code pass through unchanged."""
    if not reply.ok:
        err = reply.error
        if err is None:
            return error(503, "INTERNAL", "the service answered without a result")
        return error(err.status, err.code, err.message, err.details)
    if reply.pagination is not None and isinstance(reply.data, list):
        return paged(reply.data, reply.pagination, status)
    return ok(reply.data, status)


def field_errors(errors: Sequence[Any]) -> dict[str, Any]:
    """Pydantic/FastAPI errors as `details.fields`, without echoing the input (it may be a password)."""
    fields = []
    for err in errors:
        loc = [str(part) for part in err.get("loc", ())]
        where = loc[0] if loc and loc[0] in ("body", "query", "path", "header", "cookie") else "body"
        name = ".".join(loc[1:] if loc and loc[0] == where else loc)
        message = err.get("msg", "invalid")
        if err.get("type") == "json_invalid":
            name, message = "", f"malformed JSON: {err.get('ctx', {}).get('error', 'cannot parse')}"
        fields.append({"field": name, "location": where, "message": message, "type": err.get("type", "")})
    return {"fields": fields}


async def _api_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, ApiError)
    return error(exc.status, exc.code, exc.message, exc.details, exc.headers)


def _endpoints(routes: Iterable[BaseRoute]) -> Iterator[BaseRoute]:
    for route in routes:
        # FastAPI keeps an included router as one route whose candidates are the prefixed routes.
        candidates = getattr(route, "effective_candidates", None)
        yield from _endpoints(candidates()) if callable(candidates) else (route,)


def allowed_methods(request: Request) -> str:
    """Every method some route serves at this path (Starlette's 405 names only the first route's)."""
    methods: set[str] = set()
    for route in _endpoints(request.app.router.routes):
        match, _ = route.matches(request.scope)
        if match is not Match.NONE:
            methods |= getattr(route, "methods", None) or set()
    return ", ".join(sorted(methods))


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)
    code = _STATUS_CODES.get(exc.status_code, f"HTTP_{exc.status_code}")
    message = exc.detail if isinstance(exc.detail, str) else code.replace("_", " ").lower()
    headers = dict(exc.headers or {})
    if exc.status_code == 405:
        headers["Allow"] = allowed_methods(request) or headers.get("Allow", "")
    return error(exc.status_code, code, message, headers=headers)


async def _validation_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError | ValidationError)
    return error(422, "VALIDATION_ERROR", "the request is not valid", field_errors(exc.errors()))


async def _unexpected(request: Request, exc: Exception) -> Response:
    log.error(
        "request failed",
        exc_info=exc,
        extra={"method": request.method, "path": request.url.path},
    )
    return error(503, "INTERNAL", "the gateway could not complete the request; try again")


def install(app: FastAPI) -> None:
    app.add_exception_handler(ApiError, _api_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(ValidationError, _validation_error)
    app.add_exception_handler(Exception, _unexpected)


_HANDLED = (ApiError, StarletteHTTPException, RequestValidationError, ValidationError)


class EnvelopeRoute(APIRoute):
    """Routes summarised by their docstring, whose unexpected exceptions become a logged 503 here.

    Starlette's last-resort handler answers too, but then re-raises to the server, which logs the
    error a second time; catching it in the route keeps one log line and a clean response.
    """

    def __init__(self, path: str, endpoint: Callable[..., Any], **kwargs: Any) -> None:
        if kwargs.get("summary") is None and endpoint.__doc__:
            kwargs["summary"] = endpoint.__doc__.strip().splitlines()[0]
        super().__init__(path, endpoint, **kwargs)

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def guarded(request: Request) -> Response:
            try:
                return await handler(request)
            except _HANDLED:
                raise
            except Exception as exc:
                return await _unexpected(request, exc)

        return guarded
