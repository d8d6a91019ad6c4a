"""Audit events the gateway itself records (user accounts and roles), published through the outbox."""

from __future__ import annotations

from typing import Any

from tradeplane.contracts import AuditRecorded, new_meta, subjects

SERVICE = "gateway"


def audit(
    actor: str, action: str, target: str = "", reason: str = "", **details: Any
) -> tuple[str, AuditRecorded]:
    """`(subject, event)` ready for `tx.emit(*audit(...))`."""
    event = AuditRecorded(
        meta=new_meta(SERVICE),
        actor=actor[:200],
        action=action,
        target=target[:200],
        reason=reason[:500],
        details=details,
    )
    return subjects.audit(SERVICE, action), event
