"""JSON views of the compliance rows (the API's camelCase objects)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.engine import RowMapping


def _iso(at: datetime | None) -> str | None:
    return None if at is None else at.isoformat()


def _id(value: Any) -> str | None:
    return None if value is None else str(value)


def alert(row: RowMapping) -> dict[str, Any]:
    return {
        "id": str(row["id"]),
        "type": row["type"],
        "category": row["category"],
        "severity": row["severity"],
        "title": row["title"],
        "message": row["message"],
        "venue": row["venue"],
        "botId": _id(row["bot_id"]),
        "userId": _id(row["user_id"]),
        "isRead": row["is_read"],
        "readAt": _iso(row["read_at"]),
        "createdAt": _iso(row["created_at"]),
        "metadata": row["metadata"],
    }


def violation(row: RowMapping) -> dict[str, Any]:
    return {
        "id": str(row["id"]),
        "userId": str(row["user_id"]),
        "type": row["type"],
        "severity": row["severity"],
        "status": row["status"],
        "description": row["description"],
        "recommendation": row["recommendation"],
        "botId": _id(row["bot_id"]),
        "venue": row["venue"],
        "metadata": row["metadata"],
        "detectedAt": _iso(row["detected_at"]),
        "acknowledgedAt": _iso(row["acknowledged_at"]),
        "resolvedAt": _iso(row["resolved_at"]),
        "resolvedBy": row["resolved_by"],
        "note": row["note"],
    }
