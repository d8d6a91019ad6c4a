"""The messages risk publishes for decisions and transitions."""

from datetime import UTC, datetime
from uuid import uuid4

from tradeplane.contracts import (
    AuditRecorded,
    OrderApproved,
    OrderRejected,
    OrderRequested,
    RejectCode,
    RiskStateChanged,
    TradingState,
    UserDisabled,
    UserEnabled,
    subjects,
)
from tradeplane.risk import events
from tradeplane.riskrules import Approved, Disabled, Enabled, Rejected, StateChanged, TransitionCode

from .fakes import order_request

PARTITIONS = 16


def request() -> OrderRequested:
    return order_request("0.5", "100", user_id=uuid4(), reduce_only=True)


def test_approval_carries_every_field_of_the_request():
    order = request()
    _, approved = events.decision(order, Approved(), PARTITIONS)
    assert isinstance(approved, OrderApproved)
    assert approved.model_dump(exclude={"meta"}) == order.model_dump(exclude={"meta"})


def test_approval_goes_to_the_users_partition_subject():
    order = request()
    subject, _ = events.decision(order, Approved(), PARTITIONS)
    assert subject == subjects.order_approved(subjects.partition_of(order.user_id, PARTITIONS), order.user_id)


def test_decision_names_the_request_as_its_cause():
    order = request()
    _, approved = events.decision(order, Approved(), PARTITIONS)
    assert (approved.meta.causation_id, approved.meta.correlation_id) == (
        order.meta.event_id,
        order.meta.event_id,
    )


def test_rejection_reason_is_cut_to_500_characters():
    _, rejected = events.decision(request(), Rejected(RejectCode.MAX_POSITION, "x" * 900), PARTITIONS)
    assert isinstance(rejected, OrderRejected)
    assert (rejected.code, len(rejected.reason)) == (RejectCode.MAX_POSITION, 500)


def test_state_change_becomes_an_event_and_an_audit_record():
    user = uuid4()
    until = datetime(2025, 6, 12, tzinfo=UTC)
    change = StateChanged(TradingState.ACTIVE, TradingState.HALTED, TransitionCode.DAILY_LOSS, "loss", until)

    (subject, event), (_, record) = events.transitions(user, [change], None)

    assert subject == subjects.risk_state(user)
    assert isinstance(event, RiskStateChanged) and event.reason_code == "DAILY_LOSS"
    assert isinstance(record, AuditRecorded) and record.details["until"] == until.isoformat()


def test_disable_becomes_user_disabled_with_the_error_counts():
    user = uuid4()
    (subject, event), _ = events.transitions(user, [Disabled("5 errors", {"auth": 5})], None)
    assert subject == subjects.user_disabled(user)
    assert isinstance(event, UserDisabled) and event.error_counts == {"auth": 5}


def test_enable_names_the_admin_who_did_it():
    (_, event), (_, record) = events.transitions(uuid4(), [Enabled()], None, actor="ops@example.com")
    assert isinstance(event, UserEnabled) and event.actor == "ops@example.com"
    assert isinstance(record, AuditRecorded) and record.action == "user.enable"
