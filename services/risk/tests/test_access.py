"""Who may act on whose risk settings and halts."""

from uuid import uuid4

import pytest
from tradeplane.contracts import HaltScope, Role
from tradeplane.contracts.queries import Caller, QueryError
from tradeplane.risk.access import actor, halt_target, require_admin, require_writer, target_user


def caller(role: Role = Role.TRADER, email: str = "") -> Caller:
    return Caller(user_id=uuid4(), role=role, email=email)


def status_of(error: pytest.ExceptionInfo[QueryError]) -> tuple[str, int]:
    reply = error.value.reply.error
    assert reply is not None
    return reply.code, reply.status


def test_target_defaults_to_the_caller():
    trader = caller()
    assert target_user(trader, None) == trader.user_id


def test_trader_naming_themselves_is_allowed():
    trader = caller()
    assert target_user(trader, trader.user_id) == trader.user_id


def test_trader_naming_another_user_is_forbidden():
    with pytest.raises(QueryError) as error:
        target_user(caller(), uuid4())
    assert status_of(error) == ("FORBIDDEN", 403)


def test_admin_may_name_another_user():
    other = uuid4()
    assert target_user(caller(Role.ADMIN), other) == other


def test_viewer_may_not_write():
    with pytest.raises(QueryError):
        require_writer(caller(Role.VIEWER))


def test_trader_is_not_an_admin():
    with pytest.raises(QueryError):
        require_admin(caller())


def test_trader_halting_themselves_targets_their_id():
    trader = caller()
    assert halt_target(trader, HaltScope.USER, None) == trader.user_id


def test_trader_global_halt_is_forbidden():
    with pytest.raises(QueryError) as error:
        halt_target(caller(), HaltScope.GLOBAL, None)
    assert status_of(error) == ("FORBIDDEN", 403)


def test_trader_halting_another_user_is_forbidden():
    with pytest.raises(QueryError):
        halt_target(caller(), HaltScope.USER, uuid4())


def test_viewer_cannot_halt_even_themselves():
    viewer = caller(Role.VIEWER)
    with pytest.raises(QueryError):
        halt_target(viewer, HaltScope.USER, viewer.user_id)


def test_admin_global_halt_targets_everyone():
    assert halt_target(caller(Role.ADMIN), HaltScope.GLOBAL, uuid4()) is None


def test_audit_names_the_caller_by_email_else_id():
    with_email, without = caller(email="ops@example.com"), caller()
    assert (actor(with_email), actor(without)) == ("ops@example.com", str(without.user_id))
