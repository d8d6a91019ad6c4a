"""The caller's webhook endpoints and their deliveries (owned by the notifier service)."""

from __future__ import annotations

from uuid import UUID

from fastapi import APIRouter, Response
from tradeplane.contracts.queries import NOTIFIER

from ..deps import CurrentUser, Gw, Pages, Trader
from ..envelope import ApiError, EnvelopeRoute
from ..proxy import forward
from ..schemas import ERRORS, Ok, Page, WebhookCreate, WebhookUpdate

router = APIRouter(prefix="/api/webhooks", tags=["webhooks"], route_class=EnvelopeRoute, responses=ERRORS)
Data = Ok[dict[str, object]]


@router.post("", status_code=201, response_model=Data)
async def create_webhook(body: WebhookCreate, user: Trader, gw: Gw) -> Response:
    """Add an endpoint; its signing secret is shown only in this answer. At most
    TP_MAX_WEBHOOKS_PER_USER endpoints a user (409 WEBHOOK_LIMIT_REACHED)."""
    existing = await gw.ask(user.caller, NOTIFIER, "webhooks.list")
    cap = gw.settings.max_webhooks_per_user
    if existing.ok and isinstance(existing.data, list) and len(existing.data) >= cap:
        raise ApiError(
            409,
            "WEBHOOK_LIMIT_REACHED",
            f"at most {cap} webhook endpoints a user; delete one first",
            limit=cap,
        )
    params = body.params() | {"enabled": body.enabled}
    return await forward(gw, user, NOTIFIER, "webhooks.create", params, 201)


@router.get("", response_model=Ok[list[dict[str, object]]])
async def list_webhooks(user: CurrentUser, gw: Gw) -> Response:
    """The caller's endpoints."""
    return await forward(gw, user, NOTIFIER, "webhooks.list")


@router.get("/stats", response_model=Data)
async def webhook_stats(user: CurrentUser, gw: Gw) -> Response:
    """Delivery statistics of the caller's endpoints."""
    return await forward(gw, user, NOTIFIER, "webhooks.stats")


@router.patch("/{webhook_id:uuid}", response_model=Data)
async def update_webhook(webhook_id: UUID, body: WebhookUpdate, user: Trader, gw: Gw) -> Response:
    """Change an endpoint's url, events or enabled flag."""
    return await forward(gw, user, NOTIFIER, "webhooks.update", {"id": str(webhook_id)} | body.params())


@router.delete("/{webhook_id:uuid}", response_model=Data)
async def delete_webhook(webhook_id: UUID, user: Trader, gw: Gw) -> Response:
    """Remove an endpoint."""
    return await forward(gw, user, NOTIFIER, "webhooks.delete", {"id": str(webhook_id)})


@router.post("/{webhook_id:uuid}/test", response_model=Data)
async def test_webhook(webhook_id: UUID, user: Trader, gw: Gw) -> Response:
    """Send a signed test event to the endpoint."""
    return await forward(gw, user, NOTIFIER, "webhooks.test", {"id": str(webhook_id)})


@router.get("/{webhook_id:uuid}/deliveries", response_model=Page[dict[str, object]])
async def deliveries(webhook_id: UUID, user: CurrentUser, gw: Gw, pages: Pages) -> Response:
    """The endpoint's delivery log, newest first."""
    params = {"id": str(webhook_id)} | pages.params()
    return await forward(gw, user, NOTIFIER, "webhooks.deliveries", params)
