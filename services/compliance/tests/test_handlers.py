"""Audited actions that raise alerts: which user each one is about, and what it raises."""

from __future__ import annotations

from uuid import UUID

from tradeplane.compliance.handlers import AUDIT_RULES, ENDPOINT_DISABLED, LOGIN_LOCKED, _user_of
from tradeplane.contracts import AuditRecorded, new_meta
from tradeplane.contracts.alerts import AlertCategory, AlertSeverity

USER = UUID("11111111-1111-1111-1111-111111111111")


def audited(action: str, target: str = "", **details: object) -> AuditRecorded:
    return AuditRecorded(meta=new_meta("gateway"), actor="x", action=action, target=target, details=details)


def test_the_user_comes_from_the_details_or_else_the_target() -> None:
    assert _user_of(audited(LOGIN_LOCKED, "someone@example.com", user_id=str(USER))) == USER
    assert _user_of(audited(LOGIN_LOCKED, "someone@example.com", userId=str(USER))) == USER
    assert _user_of(audited(ENDPOINT_DISABLED, str(USER))) == USER
    assert _user_of(audited(LOGIN_LOCKED, "someone@example.com")) is None


def test_a_locked_sign_in_is_a_security_alert_and_a_disabled_endpoint_a_system_one() -> None:
    [locked] = AUDIT_RULES[LOGIN_LOCKED](audited(LOGIN_LOCKED, "someone@example.com"), USER)
    [endpoint] = AUDIT_RULES[ENDPOINT_DISABLED](audited(ENDPOINT_DISABLED, str(USER)), USER)

    assert locked.alert is not None and endpoint.alert is not None
    assert (locked.alert.category, locked.alert.severity) == (AlertCategory.SECURITY, AlertSeverity.HIGH)
    assert (endpoint.alert.category, endpoint.alert.user_id) == (AlertCategory.SYSTEM, USER)
    assert locked.violation is None and endpoint.violation is None
