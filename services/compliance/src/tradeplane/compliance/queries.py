"""Query handlers (`tp.query.compliance.*`): alerts, notification settings, violations, reports and
reconciliation. A trader sees their own; an admin also the platform's alerts and everyone's violations."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Literal
from uuid import UUID, uuid4
from zoneinfo import ZoneInfo

from faststream.nats import NatsRouter
from pydantic import Field
from sqlalchemy.ext.asyncio import AsyncEngine
from tradeplane.contracts.alerts import AlertCategory, AlertSeverity, AlertType, ViolationStatus
from tradeplane.contracts.queries import COMPLIANCE, Query, QueryError, Reply
from tradeplane.runtime.outbox import Outbox
from tradeplane.runtime.params import IdParams, Paged, Params
from tradeplane.runtime.queries import bound, query_router

from . import domain, store, views
from .domain import AlertSpec
from .reconcile import Reconciler


class AlertList(Paged):
    unread: bool | None = None


class AlertTest(Params):
    severity: AlertSeverity = AlertSeverity.LOW
    category: AlertCategory = AlertCategory.SYSTEM


class Broadcast(Params):
    title: str = Field(min_length=1, max_length=200)
    message: str = Field(min_length=1, max_length=2000)
    severity: AlertSeverity = AlertSeverity.MEDIUM
    user_ids: list[UUID] = Field(default_factory=list, alias="userIds", max_length=100_000)


class Notifications(Params):
    webhook_categories: list[AlertCategory] | None = Field(default=None, alias="webhookCategories")
    webhook_min_severity: AlertSeverity | None = Field(default=None, alias="webhookMinSeverity")


class ViolationList(Paged):
    status: ViolationStatus | None = None
    type: str | None = Field(default=None, max_length=32)
    user_id: UUID | None = Field(default=None, alias="userId")


class Resolve(IdParams):
    status: Literal["Acknowledged", "Resolved"] = "Resolved"
    note: str | None = Field(default=None, max_length=2000)


class Report(Params):
    period: Literal["daily", "weekly", "monthly"] = "monthly"
    user_id: UUID | None = Field(default=None, alias="userId")


class Reconcile(Params):
    venue_id: UUID | None = Field(default=None, alias="venueId")


@dataclass(frozen=True)
class Context:
    engine: AsyncEngine
    outbox: Outbox
    reconciler: Reconciler


def _forbidden(what: str) -> QueryError:
    return QueryError("FORBIDDEN", f"only admins may {what}", 403)


async def list_alerts(ctx: Context, q: Query) -> Reply:
    p = AlertList.model_validate(q.params)
    async with ctx.engine.connect() as conn:
        rows, total = await store.alert_page(
            conn, q.caller.user_id, q.caller.is_admin, p.unread, p.offset, p.page_size
        )
    return Reply.page([views.alert(r) for r in rows], p.page, p.page_size, total)


async def acknowledge(ctx: Context, q: Query) -> dict[str, Any]:
    p = IdParams.model_validate(q.params)
    async with ctx.engine.begin() as conn:
        row = await store.acknowledge_alert(conn, q.caller.user_id, q.caller.is_admin, p.id)
    if row is None:
        raise QueryError("ALERT_NOT_FOUND", "no such alert", 404, id=str(p.id))
    return views.alert(row)


async def _raise(ctx: Context, alert_id: UUID, alert: AlertSpec) -> dict[str, Any]:
    async with ctx.outbox.transaction() as tx:
        row = await store.raise_alert(tx, alert_id, alert)
    assert row is not None  # a fresh id
    return views.alert(row)


async def test_alert(ctx: Context, q: Query) -> dict[str, Any]:
    p = AlertTest.model_validate(q.params)
    alert = AlertSpec(
        q.caller.user_id,
        AlertType.INFO,
        p.category,
        p.severity,
        "Test alert",
        "This is a test alert: if you see it, alerts reach you.",
        metadata={"test": True},
    )
    return await _raise(ctx, uuid4(), alert)


async def broadcast(ctx: Context, q: Query) -> dict[str, Any]:
    if not q.caller.is_admin:
        raise _forbidden("broadcast")
    p = Broadcast.model_validate(q.params)
    broadcast_id = uuid4()
    kind = AlertType.WARNING if p.severity.rank >= AlertSeverity.HIGH.rank else AlertType.INFO
    raised = 0
    for user_id in [None, *dict.fromkeys(p.user_ids)]:
        alert = AlertSpec(
            user_id, kind, AlertCategory.SYSTEM, p.severity, p.title, p.message,
            metadata={"broadcastId": str(broadcast_id), "by": q.caller.email or str(q.caller.user_id)},
        )  # fmt: skip
        async with ctx.outbox.transaction() as tx:
            if await store.raise_alert(tx, domain.derived_id("broadcast", broadcast_id, user_id), alert):
                raised += 1
    return {"broadcastId": str(broadcast_id), "raised": raised - 1}


async def get_notifications(ctx: Context, q: Query) -> dict[str, Any]:
    async with ctx.engine.connect() as conn:
        return await store.notifications(conn, q.caller.user_id)


async def put_notifications(ctx: Context, q: Query) -> dict[str, Any]:
    p = Notifications.model_validate(q.params)
    async with ctx.engine.begin() as conn:
        current = await store.notifications(conn, q.caller.user_id)
        if p.webhook_categories is not None:
            current["webhookCategories"] = sorted({c.value for c in p.webhook_categories})
        if p.webhook_min_severity is not None:
            current["webhookMinSeverity"] = p.webhook_min_severity.value
        await store.put_notifications(conn, q.caller.user_id, current)
    return current


def _scope(q: Query, user_id: UUID | None) -> UUID | None:
    """Whose violations: the caller's own; an admin's query is everyone's unless it names a user."""
    if q.caller.is_admin:
        return user_id
    if user_id is not None and user_id != q.caller.user_id:
        raise _forbidden("see another user's violations")
    return q.caller.user_id


async def list_violations(ctx: Context, q: Query) -> Reply:
    p = ViolationList.model_validate(q.params)
    async with ctx.engine.connect() as conn:
        rows, total = await store.violation_page(
            conn,
            _scope(q, p.user_id),
            p.status.value if p.status else None,
            p.type,
            p.offset,
            p.page_size,
        )
    return Reply.page([views.violation(r) for r in rows], p.page, p.page_size, total)


async def resolve(ctx: Context, q: Query) -> dict[str, Any]:
    """The owner acknowledges a violation; an admin (the compliance officer) acknowledges or resolves
    any, with a note. A resolved violation stays resolved (409)."""
    p = Resolve.model_validate(q.params)
    who = q.caller.email or str(q.caller.user_id)
    async with ctx.engine.begin() as conn:
        row = await store.violation(conn, p.id)
        if row is None or (row["user_id"] != q.caller.user_id and not q.caller.is_admin):
            raise QueryError("VIOLATION_NOT_FOUND", "no such violation", 404, id=str(p.id))
        if p.status == "Resolved" and not q.caller.is_admin:
            raise _forbidden("resolve a violation; acknowledge it instead")
        if row["status"] == ViolationStatus.RESOLVED.value:
            raise QueryError("VIOLATION_RESOLVED", "the violation is resolved already", 409)
        updated = await store.set_violation_status(conn, p.id, p.status, who, p.note)
    return views.violation(updated)


def period_bounds(period: str, now: datetime, tz: ZoneInfo) -> tuple[datetime, datetime, str]:
    """The current day, ISO week or month in the caller's timezone: [start, end) in UTC, and its label."""
    local = now.astimezone(tz)
    day = local.replace(hour=0, minute=0, second=0, microsecond=0)
    if period == "daily":
        start, end, label = day, day + timedelta(days=1), day.date().isoformat()
    elif period == "weekly":
        start = day - timedelta(days=day.weekday())
        year, week, _ = start.isocalendar()
        end, label = start + timedelta(days=7), f"{year}-W{week:02d}"
    else:
        start = day.replace(day=1)
        end = (start + timedelta(days=32)).replace(day=1)
        label = start.strftime("%Y-%m")
    # Midnight in the zone, re-resolved after date arithmetic crossed a DST change.
    start, end = (at.replace(tzinfo=None).replace(tzinfo=tz) for at in (start, end))
    return start.astimezone(UTC), end.astimezone(UTC), label


def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (KeyError, ValueError):
        return ZoneInfo("UTC")


async def report(ctx: Context, q: Query) -> dict[str, Any]:
    p = Report.model_validate(q.params)
    start, end, label = period_bounds(p.period, datetime.now(UTC), _zone(q.caller.timezone))
    async with ctx.engine.connect() as conn:
        found = await store.counts(conn, _scope(q, p.user_id), start, end)
    return {
        "period": label,
        "granularity": p.period,
        "start": start.isoformat(),
        "end": end.isoformat(),
        "totalViolations": found.total,
        "criticalViolations": found.by_severity.get(AlertSeverity.CRITICAL.value, 0),
        "resolvedViolations": found.resolved,
        "openViolations": found.total - found.resolved,
        "violationsByType": found.by_type,
        "violationsBySeverity": found.by_severity,
        "riskScore": domain.risk_score(found.open_by_severity),
        "recommendations": [
            domain.RECOMMENDATIONS[t] for t in sorted(found.by_type) if t in domain.RECOMMENDATIONS
        ],
    }


async def reconciliation(ctx: Context, q: Query) -> dict[str, Any]:
    p = Reconcile.model_validate(q.params)
    venues = await ctx.reconciler.run(q.caller, p.venue_id)
    if venues is None:
        raise QueryError("SERVICE_UNAVAILABLE", "the execution service did not list your accounts", 503)
    if p.venue_id is not None and not venues:
        raise QueryError("VENUE_NOT_FOUND", "no such venue account", 404, id=str(p.venue_id))
    return {"venues": venues, "checkedAt": datetime.now(UTC).isoformat()}


def router(ctx: Context) -> NatsRouter:
    handlers = {
        "alerts.list": list_alerts,
        "alerts.acknowledge": acknowledge,
        "alerts.test": test_alert,
        "alerts.broadcast": broadcast,
        "notifications.get": get_notifications,
        "notifications.put": put_notifications,
        "violations.list": list_violations,
        "violations.resolve": resolve,
        "reports.get": report,
        "reconciliation.run": reconciliation,
    }
    return query_router(COMPLIANCE, bound(ctx, handlers), max_workers=4)
