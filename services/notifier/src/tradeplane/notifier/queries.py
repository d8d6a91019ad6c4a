"""Query handlers (`tp.query.notifier.webhooks.*`): a user's endpoints, delivery log and statistics."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from uuid import UUID, uuid4

from faststream.nats import NatsRouter
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.ext.asyncio import AsyncEngine
from tradeplane.contracts.queries import Query, QueryError, Reply
from tradeplane.runtime.crypto import Keyring
from tradeplane.runtime.queries import bound, query_router

from . import views
from .adapters import deliveries, endpoints, history
from .adapters.endpoints import Endpoint, Target
from .adapters.settings import DeliverySettings
from .adapters.signing import generate_secret
from .adapters.ssrf import Resolver, UrlRefused, check_url, resolve_host
from .domain import notices
from .domain.payloads import EventType

SERVICE = "notifier"


class _Params(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True, populate_by_name=True)


class CreateParams(_Params):
    url: str = Field(min_length=1, max_length=2048)
    events: list[EventType] = Field(min_length=1, max_length=32)
    enabled: bool = True


class IdParams(_Params):
    id: UUID


class UpdateParams(IdParams):
    url: str | None = Field(default=None, min_length=1, max_length=2048)
    events: list[EventType] | None = Field(default=None, min_length=1, max_length=32)
    enabled: bool | None = None


class PageParams(IdParams):
    page: int = Field(default=1, ge=1)
    page_size: int = Field(default=20, ge=1, le=100, alias="pageSize")


@dataclass(frozen=True)
class Context:
    engine: AsyncEngine
    keyring: Keyring
    delivery: DeliverySettings
    wake: Callable[[], None]
    resolver: Resolver = resolve_host


def _not_found() -> QueryError:
    return QueryError("WEBHOOK_NOT_FOUND", "no such webhook endpoint", 404)


def _events(events: list[EventType]) -> list[str]:
    return [event.value for event in dict.fromkeys(events)]


async def _checked_url(ctx: Context, url: str) -> str:
    """The URL as it will be called, or a 422 carrying the refusal code (e.g. PRIVATE_TARGET)."""
    try:
        target = await check_url(
            url,
            allow_http=ctx.delivery.allow_http,
            allow_private=ctx.delivery.allow_private_targets,
            resolver=ctx.resolver,
        )
    except UrlRefused as exc:
        raise QueryError(exc.code.value, exc.message, 422) from None
    return target.url


async def _owned(ctx: Context, user_id: UUID, endpoint_id: UUID) -> Endpoint:
    async with ctx.engine.connect() as conn:
        found = await endpoints.get(conn, user_id, endpoint_id)
    if found is None:
        raise _not_found()
    return found


async def create(ctx: Context, q: Query) -> dict[str, Any]:
    """Register an endpoint; its signing secret is in this reply and never again."""
    params = CreateParams.model_validate(q.params)
    url = await _checked_url(ctx, params.url)
    endpoint_id, secret = uuid4(), generate_secret()
    sealed = ctx.keyring.encrypt(secret.encode(), endpoint_id.bytes)
    async with ctx.engine.begin() as conn:
        created = await endpoints.create(
            conn, endpoint_id, q.caller.user_id, url, _events(params.events), params.enabled, sealed
        )
    return views.endpoint(created) | {"secret": secret}


async def list_all(ctx: Context, q: Query) -> list[dict[str, Any]]:
    async with ctx.engine.connect() as conn:
        return [views.endpoint(item) for item in await endpoints.list_for(conn, q.caller.user_id)]


async def update(ctx: Context, q: Query) -> dict[str, Any]:
    """Change only the given fields; a new URL is checked like a new endpoint's."""
    params = UpdateParams.model_validate(q.params)
    values: dict[str, Any] = {}
    if params.url is not None:
        values["url"] = await _checked_url(ctx, params.url)
    if params.events is not None:
        values["events"] = _events(params.events)
    if params.enabled is not None:
        values["enabled"] = params.enabled
    async with ctx.engine.begin() as conn:
        if values:
            changed = await endpoints.change(conn, q.caller.user_id, params.id, **values)
        else:
            changed = await endpoints.get(conn, q.caller.user_id, params.id)
    if changed is None:
        raise _not_found()
    return views.endpoint(changed)


async def delete(ctx: Context, q: Query) -> dict[str, Any]:
    params = IdParams.model_validate(q.params)
    async with ctx.engine.begin() as conn:
        if not await endpoints.remove(conn, q.caller.user_id, params.id):
            raise _not_found()
    return {"deleted": True}


async def send_test(ctx: Context, q: Query) -> dict[str, Any]:
    """Queue a `test` delivery to the endpoint (even a disabled one) and return its log record."""
    params = IdParams.model_validate(q.params)
    async with ctx.engine.begin() as conn:
        found = await endpoints.get(conn, q.caller.user_id, params.id)
        if found is None:
            raise _not_found()
        event_id = uuid4()
        ping = notices.ping(event_id, found.user_id, found.id, datetime.now(UTC))
        [delivery_id] = await deliveries.enqueue(conn, [Target(found.id, found.user_id)], ping)
        record = await history.one(conn, delivery_id)
    ctx.wake()
    assert record is not None  # inserted in this very transaction
    return views.delivery(record)


async def delivery_log(ctx: Context, q: Query) -> Reply:
    """An endpoint's deliveries, newest first, each with its attempts."""
    params = PageParams.model_validate(q.params)
    await _owned(ctx, q.caller.user_id, params.id)
    async with ctx.engine.connect() as conn:
        items, total = await history.page(conn, params.id, params.page, params.page_size)
    pagination = {
        "page": params.page,
        "pageSize": params.page_size,
        "totalPages": math.ceil(total / params.page_size),
        "totalItems": total,
    }
    return Reply.success([views.delivery(item) for item in items], pagination)


async def stats(ctx: Context, q: Query) -> dict[str, Any]:
    async with ctx.engine.connect() as conn:
        return views.stats(await history.stats(conn, q.caller.user_id))


def router(ctx: Context) -> NatsRouter:
    return query_router(
        SERVICE,
        bound(
            ctx,
            {
                "webhooks.create": create,
                "webhooks.list": list_all,
                "webhooks.update": update,
                "webhooks.delete": delete,
                "webhooks.test": send_test,
                "webhooks.deliveries": delivery_log,
                "webhooks.stats": stats,
            },
        ),
    )
