"""Alerts (owned by the compliance service): the caller's list and acknowledgement, a test alert, which
alerts go to the caller's webhooks, and an admin's broadcast to every user."""

from __future__ import annotations

from typing import Annotated, Literal
from uuid import UUID

from fastapi import APIRouter, Query, Response
from pydantic import Field
from sqlalchemy import select
from tradeplane.contracts.queries import COMPLIANCE

from ..adapters.tables import users
from ..deps import Admin, CurrentUser, DbConn, Gw, Pages, Trader
from ..envelope import EnvelopeRoute
from ..proxy import forward
from ..schemas import ERRORS, Body, Ok, Page

router = APIRouter(tags=["alerts"], route_class=EnvelopeRoute, responses=ERRORS)
Data = Ok[dict[str, object]]
Severity = Literal["Critical", "High", "Medium", "Low"]
Category = Literal["System", "Trading", "Compliance", "Security"]


class AlertTest(Body):
    severity: Severity = "Low"
    category: Category = "System"


class NotificationSettings(Body):
    webhook_categories: list[Category] | None = Field(default=None, max_length=4)
    """Alert categories sent to the caller's webhooks subscribed to the `alert` event."""
    webhook_min_severity: Severity | None = None
    """The least severe alert sent to webhooks (default High: High and Critical)."""


class BroadcastBody(Body):
    title: Annotated[str, Field(min_length=1, max_length=200)]
    message: Annotated[str, Field(min_length=1, max_length=2000)]
    severity: Severity = "Medium"


@router.get("/api/monitoring/alerts", response_model=Page[dict[str, object]])
async def list_alerts(
    user: CurrentUser, gw: Gw, pages: Pages, unread: Annotated[bool | None, Query()] = None
) -> Response:
    """The caller's alerts, newest first (admins also see the platform's); `unread=true` for the unread."""
    params: dict[str, object] = {**pages.params()}
    if unread is not None:
        params["unread"] = unread
    return await forward(gw, user, COMPLIANCE, "alerts.list", params)


@router.put("/api/monitoring/alerts/{alert_id:uuid}/acknowledge", response_model=Data)
async def acknowledge_alert(alert_id: UUID, user: CurrentUser, gw: Gw) -> Response:
    """Mark an alert read."""
    return await forward(gw, user, COMPLIANCE, "alerts.acknowledge", {"id": str(alert_id)})


@router.post("/api/monitoring/test-alert", status_code=201, response_model=Data)
async def test_alert(user: CurrentUser, gw: Gw, body: AlertTest | None = None) -> Response:
    """Raise a test alert for the caller (it reaches their webhooks when their settings send it)."""
    params = (body or AlertTest()).model_dump(mode="json", by_alias=True)
    return await forward(gw, user, COMPLIANCE, "alerts.test", params, 201)


@router.get("/api/settings/notifications", response_model=Data)
async def get_notifications(user: CurrentUser, gw: Gw) -> Response:
    """Which alerts go to the caller's webhooks: `{webhookCategories, webhookMinSeverity}`."""
    return await forward(gw, user, COMPLIANCE, "notifications.get")


@router.put("/api/settings/notifications", response_model=Data)
async def put_notifications(body: NotificationSettings, user: Trader, gw: Gw) -> Response:
    """Choose the categories and the least severity of alerts sent to webhooks."""
    return await forward(gw, user, COMPLIANCE, "notifications.put", body.params())


@router.post("/api/admin/broadcast", status_code=201, response_model=Data)
async def broadcast(body: BroadcastBody, admin: Admin, gw: Gw, conn: DbConn) -> Response:
    """An alert to every user (and the platform's own list)."""
    ids = [str(i) for i in (await conn.execute(select(users.c.id))).scalars()]
    params = body.model_dump(mode="json", by_alias=True) | {"userIds": ids}
    return await forward(gw, admin, COMPLIANCE, "alerts.broadcast", params, 201)
