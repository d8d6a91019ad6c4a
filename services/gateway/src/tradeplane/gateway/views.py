"""Table rows as API objects (docs/api.md shapes)."""

from __future__ import annotations

from datetime import UTC
from typing import Any, TypeVar

from pydantic import BaseModel
from sqlalchemy import Row

from .schemas import OrderOut, UserOut

M = TypeVar("M", bound=BaseModel)


def from_row(model: type[M], row: Any, **columns: str) -> M:
    """`model` with each field read from the row's column of that name (or of the name `columns` gives)."""
    return model.model_validate(
        {field: getattr(row, columns.get(field, field)) for field in model.model_fields}
    )


def user_out(row: Row[Any]) -> UserOut:
    return from_row(UserOut, row)


def user_json(row: Row[Any]) -> dict[str, Any]:
    return user_out(row).model_dump(mode="json", by_alias=True)


def order_out(row: Row[Any]) -> OrderOut:
    return from_row(OrderOut, row, id="order_id", venue_id="account_id")


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
