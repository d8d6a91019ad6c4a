"""Routes that belong to another service answer with that service's reply, as an envelope."""

from __future__ import annotations

from typing import Any

from fastapi import Response

from .auth.principal import Principal
from .context import Gateway
from .envelope import from_reply


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
