"""Routes that belong to another service answer with that service's reply, as an envelope."""

from __future__ import annotations

import inspect
import re
from collections.abc import Callable, Coroutine
from typing import Any
from uuid import UUID

from fastapi import APIRouter, Response

from .auth.principal import Principal
from .context import Gateway
from .deps import Gw
from .envelope import from_reply

_PATH_ID = re.compile(r"\{(\w+):uuid\}")


async def forward(
    gw: Gateway,
    user: Principal,
    service: str,
    name: str,
    params: dict[str, Any] | None = None,
    status: int = 200,
) -> Response:
    """Ask `service` the query `name` as `user`; its error status and code pass through unchanged."""
    return from_reply(await gw.ask(user.caller, service, name, params or {}), status)


Forwarded = Callable[..., Coroutine[Any, Any, Response]]
"""An endpoint `passthrough` made: called as its signature says (`(bot_id, user, gw)`, or `(user, gw)`)."""


def passthrough(
    router: APIRouter, service: str, user: Any, method: str, path: str, query: str, doc: str, **route: Any
) -> Forwarded:
    """Add to `router` the endpoint `method path` that only forwards: it asks `service` the query `query`
    as the caller, who must be `user` (`CurrentUser` or `Trader`); the id in the path (`{bot_id:uuid}`)
    goes as `{"id": ...}`. `doc` is its description; `route` (name, response_model, ...) as
    `APIRouter.add_api_route` takes them."""
    path_id = _PATH_ID.search(path)
    ids = (
        [inspect.Parameter(path_id[1], inspect.Parameter.POSITIONAL_OR_KEYWORD, annotation=UUID)]
        if path_id
        else []
    )
    signature = inspect.Signature(
        [
            *ids,
            inspect.Parameter("user", inspect.Parameter.POSITIONAL_OR_KEYWORD, annotation=user),
            inspect.Parameter("gw", inspect.Parameter.POSITIONAL_OR_KEYWORD, annotation=Gw),
        ],
        return_annotation=Response,
    )
    status = route.get("status_code", 200)

    async def endpoint(*args: Any, **kwargs: Any) -> Response:
        call = signature.bind(*args, **kwargs).arguments
        params = {"id": str(call[path_id[1]])} if path_id else None
        return await forward(call["gw"], call["user"], service, query, params, status)

    endpoint.__signature__ = signature  # type: ignore[attr-defined]
    endpoint.__doc__ = doc
    endpoint.__name__ = endpoint.__qualname__ = route.get("name", endpoint.__name__)
    router.add_api_route(path, endpoint, methods=[method], **route)
    return endpoint
