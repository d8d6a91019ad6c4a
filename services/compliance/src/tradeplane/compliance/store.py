"""SQL of the compliance schema. Every alert is stored with its `AlertRaised` in one transaction (the
outbox); alert and violation ids derive from what raised them, so a redelivered event adds nothing."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any
from uuid import UUID

from sqlalchemy import and_, func, literal, or_, select, text, true, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.engine import RowMapping
from sqlalchemy.ext.asyncio import AsyncConnection
from tradeplane.contracts import Side, new_meta, subjects
from tradeplane.contracts.alerts import AlertCategory, AlertRaised, AlertSeverity
from tradeplane.runtime.outbox import Tx

from . import metrics
from .domain import AlertSpec, Finding, WatchedOrder
from .tables import alerts, booked_fills, books, notification_settings, orders, violations

SERVICE = "compliance"
DEFAULT_NOTIFICATIONS: dict[str, Any] = {
    "webhookCategories": [c.value for c in AlertCategory],
    "webhookMinSeverity": AlertSeverity.HIGH.value,
}
"""Without settings of their own, a user's webhooks subscribed to `alert` get High and Critical alerts."""


# --- notification settings ---------------------------------------------------------------------------


async def notifications(conn: AsyncConnection, user_id: UUID) -> dict[str, Any]:
    row = (
        await conn.execute(
            select(notification_settings.c.settings).where(notification_settings.c.user_id == user_id)
        )
    ).scalar_one_or_none()
    return DEFAULT_NOTIFICATIONS | (row or {})


async def put_notifications(conn: AsyncConnection, user_id: UUID, settings: Mapping[str, Any]) -> None:
    stmt = insert(notification_settings).values(user_id=user_id, settings=dict(settings))
    stmt = stmt.on_conflict_do_update(
        index_elements=[notification_settings.c.user_id],
        set_={"settings": stmt.excluded.settings, "updated_at": func.now()},
    )
    await conn.execute(stmt)


def goes_to_webhooks(settings: Mapping[str, Any], alert: AlertSpec) -> bool:
    if alert.user_id is None:  # platform alerts are for admins' screens, not every user's endpoints
        return False
    minimum = AlertSeverity(settings.get("webhookMinSeverity", AlertSeverity.HIGH.value))
    return alert.category.value in settings.get("webhookCategories", []) and (
        alert.severity.rank >= minimum.rank
    )


# --- alerts and violations ----------------------------------------------------------------------------


async def raise_alert(tx: Tx, alert_id: UUID, alert: AlertSpec) -> RowMapping | None:
    """Store the alert and emit its `AlertRaised`; None (and nothing emitted) when it exists already."""
    row = (
        (
            await tx.conn.execute(
                insert(alerts)
                .values(
                    id=alert_id,
                    user_id=alert.user_id,
                    type=alert.type.value,
                    category=alert.category.value,
                    severity=alert.severity.value,
                    title=alert.title[:200],
                    message=alert.message[:2000],
                    venue=alert.venue,
                    bot_id=alert.bot_id,
                    metadata=alert.metadata,
                )
                .on_conflict_do_nothing(index_elements=[alerts.c.id])
                .returning(*alerts.c)
            )
        )
        .mappings()
        .first()
    )
    if row is None:
        return None
    metrics.ALERTS.labels(alert.category.value, alert.severity.value).inc()
    webhook = False
    if alert.user_id is not None:
        webhook = goes_to_webhooks(await notifications(tx.conn, alert.user_id), alert)
    message = AlertRaised(
        meta=new_meta(SERVICE),
        alert_id=alert_id,
        user_id=alert.user_id,
        type=alert.type,
        category=alert.category,
        severity=alert.severity,
        title=row["title"],
        message=row["message"],
        venue=alert.venue,
        bot_id=alert.bot_id,
        metadata=alert.metadata,
        webhook=webhook,
    )
    tx.emit(subjects.alert_raised(alert.user_id), message)
    return row


async def record(tx: Tx, findings: Iterable[Finding]) -> int:
    """Store each finding's violation and alert (once); how many were new."""
    new = 0
    for finding in findings:
        if finding.violation is not None:
            v = finding.violation
            stmt = (
                insert(violations)
                .values(
                    id=finding.violation_id,
                    user_id=v.user_id,
                    type=v.type.value,
                    severity=v.severity.value,
                    description=v.description[:4000],
                    recommendation=v.recommendation,
                    bot_id=v.bot_id,
                    venue=v.venue,
                    metadata=v.metadata,
                )
                .on_conflict_do_nothing(index_elements=[violations.c.id])
                .returning(violations.c.id)
            )
            if (await tx.conn.execute(stmt)).first() is not None:
                metrics.VIOLATIONS.labels(v.type.value).inc()
        if finding.alert is not None and await raise_alert(tx, finding.alert_id, finding.alert) is not None:
            new += 1
    return new


def _alerts_of(user_id: UUID, admin: bool) -> Any:
    mine = alerts.c.user_id == user_id
    return or_(mine, alerts.c.user_id.is_(None)) if admin else mine


async def alert_page(
    conn: AsyncConnection, user_id: UUID, admin: bool, unread: bool | None, offset: int, limit: int
) -> tuple[list[RowMapping], int]:
    where = [_alerts_of(user_id, admin)]
    if unread is not None:
        where.append(alerts.c.is_read.is_(not unread))
    total = (await conn.execute(select(func.count()).select_from(alerts).where(*where))).scalar_one()
    rows = (
        (
            await conn.execute(
                select(alerts).where(*where).order_by(alerts.c.seq.desc()).offset(offset).limit(limit)
            )
        )
        .mappings()
        .all()
    )
    return list(rows), int(total)


async def acknowledge_alert(
    conn: AsyncConnection, user_id: UUID, admin: bool, alert_id: UUID
) -> RowMapping | None:
    stmt = (
        update(alerts)
        .where(alerts.c.id == alert_id, _alerts_of(user_id, admin))
        .values(is_read=True, read_at=func.coalesce(alerts.c.read_at, func.now()))
        .returning(*alerts.c)
    )
    return (await conn.execute(stmt)).mappings().first()


async def violation_page(
    conn: AsyncConnection,
    user_id: UUID | None,
    status: str | None,
    kind: str | None,
    offset: int,
    limit: int,
) -> tuple[list[RowMapping], int]:
    where = []
    if user_id is not None:
        where.append(violations.c.user_id == user_id)
    if status is not None:
        where.append(violations.c.status == status)
    if kind is not None:
        where.append(violations.c.type == kind)
    total = (await conn.execute(select(func.count()).select_from(violations).where(*where))).scalar_one()
    query = select(violations).where(*where).order_by(violations.c.seq.desc()).offset(offset).limit(limit)
    return list((await conn.execute(query)).mappings().all()), int(total)


async def violation(conn: AsyncConnection, violation_id: UUID) -> RowMapping | None:
    query = select(violations).where(violations.c.id == violation_id).with_for_update()
    return (await conn.execute(query)).mappings().first()


async def set_violation_status(
    conn: AsyncConnection, violation_id: UUID, status: str, who: str, note: str | None
) -> RowMapping:
    values: dict[str, Any] = {"status": status}
    if status == "Acknowledged":
        values["acknowledged_at"] = func.now()
    else:
        values |= {
            "resolved_at": func.now(),
            "resolved_by": who,
            "acknowledged_at": func.coalesce(violations.c.acknowledged_at, func.now()),
        }
    if note is not None:
        values["note"] = note
    stmt = update(violations).where(violations.c.id == violation_id).values(**values).returning(*violations.c)
    return (await conn.execute(stmt)).mappings().one()


@dataclass(frozen=True, slots=True)
class Counts:
    by_type: dict[str, int]
    by_severity: dict[str, int]
    open_by_severity: dict[str, int]
    resolved: int
    total: int


async def counts(conn: AsyncConnection, user_id: UUID | None, start: datetime, end: datetime) -> Counts:
    where = [violations.c.detected_at >= start, violations.c.detected_at < end]
    if user_id is not None:
        where.append(violations.c.user_id == user_id)
    query = (
        select(violations.c.type, violations.c.severity, violations.c.status, func.count())
        .where(*where)
        .group_by(violations.c.type, violations.c.severity, violations.c.status)
    )
    by_type: dict[str, int] = {}
    by_severity: dict[str, int] = {}
    open_by_severity: dict[str, int] = {}
    resolved = total = 0
    for kind, severity, status, n in (await conn.execute(query)).all():
        by_type[kind] = by_type.get(kind, 0) + n
        by_severity[severity] = by_severity.get(severity, 0) + n
        total += n
        if status == "Resolved":
            resolved += n
        else:
            open_by_severity[severity] = open_by_severity.get(severity, 0) + n
    return Counts(by_type, by_severity, open_by_severity, resolved, total)


# --- watched orders ----------------------------------------------------------------------------------


async def lock_user(conn: AsyncConnection, user_id: UUID) -> None:
    """One user's order events are judged one at a time (two crossing requests see each other)."""
    await conn.execute(
        text("SELECT pg_advisory_xact_lock(hashtextextended(:key, 0))"), {"key": f"compliance/{user_id}"}
    )


async def watch(
    conn: AsyncConnection,
    user_id: UUID,
    symbol: str,
    order: WatchedOrder,
    requested_at: datetime,
    window: timedelta,
    limit: int = 20,
) -> list[WatchedOrder] | None:
    """Start watching an order (completing the stub its outcome left when that came first) and return
    its counterparts: the user's opposite orders on `symbol` still open, or requested within `window` of
    this one. None when its request was seen before. One statement: the insert is a CTE, and the
    counterparts are outer-joined to its row (no row: seen before; a row of nulls: no counterpart)."""
    values = {
        "account_id": order.account_id,
        "bot_id": order.bot_id,
        "symbol": symbol,
        "side": order.side.value,
        "price": order.price,
        "requested_at": requested_at,
    }
    new = insert(orders).values(order_id=order.order_id, user_id=user_id, **values)
    watched = (
        new.on_conflict_do_update(
            index_elements=[orders.c.order_id], set_=values, where=orders.c.symbol == STUB
        )
        .returning(orders.c.order_id)
        .cte("watched")
    )
    opposite = Side.SELL if order.side is Side.BUY else Side.BUY
    others = (
        select(orders.c.order_id, orders.c.account_id, orders.c.bot_id, orders.c.side, orders.c.price)
        .add_columns(orders.c.requested_at)
        .where(
            orders.c.user_id == user_id,
            orders.c.symbol == symbol,
            orders.c.side == opposite.value,
            orders.c.order_id != order.order_id,
            or_(
                orders.c.closed_at.is_(None),
                and_(
                    orders.c.requested_at >= requested_at - window,
                    orders.c.requested_at <= requested_at + window,
                ),
            ),
            or_(orders.c.closed_as.is_(None), orders.c.closed_as != "rejected"),
        )
        .order_by(orders.c.requested_at.desc())
        .limit(limit)
        .subquery("others")
    )
    query = (
        select(watched.c.order_id.label("watched"), others)
        .select_from(watched.outerjoin(others, true()))
        .order_by(others.c.requested_at.desc())
    )
    rows = (await conn.execute(query)).mappings().all()
    if not rows:
        return None
    return [
        WatchedOrder(r["order_id"], r["account_id"], r["bot_id"], Side(r["side"]), r["price"])
        for r in rows
        if r["order_id"] is not None
    ]


STUB = ""
"""The symbol of an order whose outcome arrived before its request (separate consumers, no order)."""


async def close_order(
    conn: AsyncConnection,
    order_id: UUID,
    user_id: UUID,
    account_id: UUID,
    closed_as: str,
    at: datetime,
    cancels_since: datetime | None = None,
) -> int | None:
    """Mark a watched order closed (a stub when its request has not been seen yet); None when it was
    closed already. Else, given `cancels_since`, how many of the user's orders were closed as canceled
    since then, this one included (0 without it). One statement: the count reads the orders as they
    were before this close (a data-modifying CTE's change is not visible to its statement), so this
    order, open or unknown until now, is added to it."""
    new = insert(orders).values(
        order_id=order_id,
        user_id=user_id,
        account_id=account_id,
        symbol=STUB,
        side=STUB,
        requested_at=at,
        closed_at=at,
        closed_as=closed_as,
    )
    closed = (
        new.on_conflict_do_update(
            index_elements=[orders.c.order_id],
            set_={"closed_at": at, "closed_as": closed_as},
            where=orders.c.closed_at.is_(None),
        )
        .returning(orders.c.order_id)
        .cte("closed")
    )
    counted: Any = literal(0)
    if cancels_since is not None:
        others = select(func.count()).where(
            orders.c.user_id == user_id, orders.c.closed_as == CANCELED, orders.c.closed_at >= cancels_since
        )
        this_one = 1 if closed_as == CANCELED and at >= cancels_since else 0
        counted = others.scalar_subquery() + this_one
    row = (await conn.execute(select(counted).select_from(closed))).first()
    return None if row is None else int(row[0])


CANCELED = "canceled"


async def prune_orders(conn: AsyncConnection, closed_before: datetime) -> int:
    """Forget orders closed before `closed_before` (past every window that could still read them)."""
    result = await conn.execute(
        orders.delete().where(orders.c.closed_at.is_not(None), orders.c.closed_at < closed_before)
    )
    return int(result.rowcount or 0)


# --- reconciliation books -----------------------------------------------------------------------------


async def book_fill(
    conn: AsyncConnection,
    account_id: UUID,
    fill_id: str,
    user_id: UUID,
    filled_at: datetime,
    deltas: Mapping[str, Decimal],
) -> None:
    stmt = (
        insert(booked_fills)
        .values(
            account_id=account_id,
            fill_id=fill_id,
            user_id=user_id,
            filled_at=filled_at,
            deltas={k: format(v, "f") for k, v in deltas.items()},
        )
        .on_conflict_do_nothing()
    )
    await conn.execute(stmt)


async def lock_book(conn: AsyncConnection, account_id: UUID) -> RowMapping | None:
    query = select(books).where(books.c.account_id == account_id).with_for_update()
    return (await conn.execute(query)).mappings().first()


async def open_book(
    conn: AsyncConnection,
    account_id: UUID,
    user_id: UUID,
    venue: str,
    baseline: Mapping[str, Decimal],
    at: datetime,
) -> None:
    await conn.execute(
        insert(books)
        .values(
            account_id=account_id,
            user_id=user_id,
            venue=venue,
            baseline={k: format(v, "f") for k, v in baseline.items()},
            baseline_at=at,
        )
        .on_conflict_do_nothing()
    )


async def moves_since(conn: AsyncConnection, account_id: UUID, since: datetime) -> list[dict[str, Decimal]]:
    query = select(booked_fills.c.deltas).where(
        booked_fills.c.account_id == account_id, booked_fills.c.filled_at > since
    )
    return [{k: Decimal(v) for k, v in row.items()} for row in (await conn.execute(query)).scalars()]


async def note_run(
    conn: AsyncConnection, account_id: UUID, status: str, found: Sequence[Mapping[str, str]], at: datetime
) -> None:
    await conn.execute(
        update(books)
        .where(books.c.account_id == account_id)
        .values(last_status=status, last_differences=list(found), last_run_at=at)
    )


async def all_books(conn: AsyncConnection) -> list[tuple[UUID, UUID]]:
    """(user, account) of every account reconciled before: the scheduled run's work."""
    rows = (await conn.execute(select(books.c.user_id, books.c.account_id).order_by(books.c.user_id))).all()
    return [(r[0], r[1]) for r in rows]
