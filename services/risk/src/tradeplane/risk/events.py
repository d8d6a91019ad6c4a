"""The messages risk publishes for a decision, a trading-state change, an enable/disable or an audit."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, TypeVar
from uuid import UUID

from tradeplane.contracts import (
    AuditRecorded,
    Message,
    OrderApproved,
    OrderRejected,
    OrderRequested,
    RiskStateChanged,
    UserDisabled,
    UserEnabled,
    new_meta,
    subjects,
)
from tradeplane.contracts.orders import OrderIntent
from tradeplane.riskrules import Approved, Decision, Disabled, Enabled, StateChanged, Transition

PRODUCER = "risk"
REASON_MAX = 500
_INTENT_FIELDS = tuple(name for name in OrderIntent.model_fields if name != "meta")

M = TypeVar("M", bound=Message)
Outgoing = list[tuple[str, Message]]


def follow(cause: Message | None, model: type[M], **fields: Any) -> M:
    """A message caused by `cause` (same correlation id), or one starting a new flow."""
    if cause is None:
        return model(meta=new_meta(PRODUCER), **fields)
    message: M = cause.caused(model, PRODUCER, **fields)
    return message


def decision(order: OrderRequested, outcome: Decision, partitions: int) -> tuple[str, Message]:
    """`OrderApproved` (the request's fields) or `OrderRejected`, on the user's partition subject."""
    partition = subjects.partition_of(order.user_id, partitions)
    if isinstance(outcome, Approved):
        fields = {name: getattr(order, name) for name in _INTENT_FIELDS}
        return subjects.order_approved(partition, order.user_id), follow(order, OrderApproved, **fields)
    rejected = follow(
        order,
        OrderRejected,
        order_id=order.order_id,
        user_id=order.user_id,
        account_id=order.account_id,
        code=outcome.code,
        reason=outcome.message[:REASON_MAX],
    )
    return subjects.order_rejected(partition, order.user_id), rejected


def audit(
    cause: Message | None, actor: str, action: str, target: str, reason: str = "", **details: Any
) -> tuple[str, Message]:
    record = follow(
        cause,
        AuditRecorded,
        actor=actor[:200] or PRODUCER,
        action=action,
        target=target[:200],
        reason=reason[:REASON_MAX],
        details=details,
    )
    return subjects.audit(PRODUCER, action), record


def transitions(
    user_id: UUID, changes: Sequence[Transition], cause: Message | None, actor: str = PRODUCER
) -> Outgoing:
    """Each domain transition as its event plus an audit record."""
    out: Outgoing = []
    for change in changes:
        out += _transition(user_id, change, cause, actor)
    return out


def _transition(user_id: UUID, change: Transition, cause: Message | None, actor: str) -> Outgoing:
    target = str(user_id)
    if isinstance(change, StateChanged):
        event = follow(
            cause,
            RiskStateChanged,
            user_id=user_id,
            previous=change.previous,
            current=change.current,
            reason_code=change.code.value,
            reason=change.reason[:REASON_MAX],
        )
        details = {
            "previous": change.previous.value,
            "current": change.current.value,
            "code": change.code.value,
        }
        if change.until is not None:
            details["until"] = change.until.isoformat()
        return [
            (subjects.risk_state(user_id), event),
            audit(cause, actor, "risk.state.change", target, change.reason, **details),
        ]
    if isinstance(change, Disabled):
        counts = dict(change.error_counts)
        disabled = follow(
            cause, UserDisabled, user_id=user_id, reason=change.reason[:REASON_MAX], error_counts=counts
        )
        return [
            (subjects.user_disabled(user_id), disabled),
            audit(cause, actor, "user.disable", target, change.reason, errorCounts=counts),
        ]
    assert isinstance(change, Enabled)
    enabled = follow(cause, UserEnabled, user_id=user_id, actor=actor)
    return [
        (subjects.user_enabled(user_id), enabled),
        audit(cause, actor, "user.enable", target, change.reason),
    ]
