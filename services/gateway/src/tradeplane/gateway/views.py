"""Table rows as API objects (docs/api.md shapes)."""

from __future__ import annotations

from datetime import UTC
from typing import Any

from sqlalchemy import Row

from .schemas import OrderOut, UserOut


def user_out(row: Row[Any]) -> UserOut:
    return UserOut(
        id=row.id,
        email=row.email,
        name=row.name,
        role=row.role,
        timezone=row.timezone,
        language=row.language,
        two_factor_enabled=row.two_factor_enabled,
        created_at=row.created_at,
        last_login=row.last_login,
    )


def user_json(row: Row[Any]) -> dict[str, Any]:
    return user_out(row).model_dump(mode="json", by_alias=True)


def order_out(row: Row[Any]) -> OrderOut:
    return OrderOut(
        id=row.order_id,
        venue_id=row.account_id,
        venue=row.venue,
        symbol=row.symbol,
        side=row.side,
        type=row.type,
        status=row.status,
        quantity=row.quantity,
        price=row.price,
        stop_price=row.stop_price,
        client_order_id=row.client_order_id,
        filled_quantity=row.filled_quantity,
        average_price=row.average_price,
        fee=row.fee,
        created_at=row.created_at,
        updated_at=row.updated_at,
        executed_at=row.executed_at,
        error=row.error,
        reject_reason=row.reject_reason,
        reject_code=row.reject_code,
        bot_id=row.bot_id,
    )


def order_json(row: Row[Any]) -> dict[str, Any]:
    return order_out(row).model_dump(mode="json", by_alias=True)


def audit_json(row: Row[Any]) -> dict[str, Any]:
    return {
        "id": str(row.event_id),
        "occurredAt": row.occurred_at.astimezone(UTC).isoformat().replace("+00:00", "Z"),
        "service": row.producer,
        "actor": row.actor,
        "action": row.action,
        "target": row.target,
        "reason": row.reason,
        "details": row.details,
        "chain": row.chain,
        "seq": row.seq,
        "prevHash": row.prev_hash,
        "hash": row.hash,
    }
