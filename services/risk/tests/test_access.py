"""Who may act on whose risk settings and halts."""

from uuid import uuid4

import pytest
from tradeplane.contracts import HaltEngaged, HaltScope, Role, new_meta
from tradeplane.contracts.queries import Caller, QueryError
from tradeplane.risk.access import (
    ADMINISTRATOR,
    actor,
    engaged_by_admin,
    halt_target,
    require_admin,
    require_release,
    require_writer,
    shown_actor,
    target_user,
)


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


def halt_on(user: Caller, engager: Caller) -> HaltEngaged:
    """A halt of `user` engaged by `engager`, recorded with the engager's role."""
    return HaltEngaged(
        meta=new_meta("risk"),
        scope=HaltScope.USER,
        user_id=user.user_id,
        reason="r",
        actor=actor(engager),
        actor_role=engager.role,
    )


def test_trader_releasing_a_halt_an_admin_engaged_is_refused_halt_engaged_by_admin():
    trader, admin = caller(email="t@example.com"), caller(Role.ADMIN, "ops@example.com")

    with pytest.raises(QueryError) as error:
        require_release(trader, halt_on(trader, admin))

    assert status_of(error) == ("HALT_ENGAGED_BY_ADMIN", 403)


def test_trader_may_release_their_own_halt():
    trader = caller(email="t@example.com")

    require_release(trader, halt_on(trader, trader))


def test_admin_may_release_any_halt():
    trader, admin = caller(email="t@example.com"), caller(Role.ADMIN, "ops@example.com")

    require_release(admin, halt_on(trader, admin))
    require_release(admin, halt_on(trader, trader))


def test_releasing_when_nothing_is_engaged_is_allowed():
    require_release(caller(), None)


def test_halt_recorded_without_a_role_counts_as_an_admins():
    trader = caller(email="t@example.com")
    legacy = halt_on(trader, trader).model_copy(update={"actor_role": None})

    assert engaged_by_admin(legacy)
    with pytest.raises(QueryError):
        require_release(trader, legacy)


def test_trader_sees_an_admin_as_an_administrator_and_themselves_by_name():
    trader = caller(email="t@example.com")

    assert (shown_actor(trader, "ops@example.com"), shown_actor(trader, "t@example.com")) == (
        ADMINISTRATOR,
        "t@example.com",
    )


def test_admin_sees_who_acted():
    assert shown_actor(caller(Role.ADMIN, "boss@example.com"), "ops@example.com") == "ops@example.com"
