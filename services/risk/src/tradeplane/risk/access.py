"""Who may read or change whose risk settings and halts (callers come from the gateway's `Caller`)."""

from __future__ import annotations

from uuid import UUID

from tradeplane.contracts import HaltEngaged, HaltScope, Role
from tradeplane.contracts.queries import Caller, ErrorCode, QueryError

ADMINISTRATOR = "an administrator"
"""How a trader sees an admin who acted on their halt (or on everyone's)."""


def forbidden(message: str) -> QueryError:
    return QueryError("FORBIDDEN", message, 403)


def actor(caller: Caller) -> str:
    """How the audit names the caller: their email, else their id."""
    return caller.email or str(caller.user_id)


def target_user(caller: Caller, user_id: UUID | None) -> UUID:
    """The user a query is about: the caller, or (admins only) the user named."""
    if user_id is None or user_id == caller.user_id:
        return caller.user_id
    if not caller.is_admin:
        raise forbidden("only admins may act on another user's risk settings")
    return user_id


def require_writer(caller: Caller) -> None:
    if caller.role is Role.VIEWER:
        raise forbidden("viewers cannot change risk settings or halts")


def require_admin(caller: Caller) -> None:
    if not caller.is_admin:
        raise forbidden("only admins may do this")


def halt_target(caller: Caller, scope: HaltScope, user_id: UUID | None) -> UUID | None:
    """Whose halt a kill switch command acts on (None: everyone's); traders act only on themselves."""
    require_writer(caller)
    if scope is HaltScope.GLOBAL:
        if not caller.is_admin:
            raise forbidden("only admins may engage or release the global kill switch")
        return None
    return target_user(caller, user_id)


def engaged_by_admin(halt: HaltEngaged) -> bool:
    """Whether an admin engaged `halt`; a record that does not say (older, or unreadable) counts as theirs."""
    return halt.actor_role is not Role.TRADER


def require_release(caller: Caller, halt: HaltEngaged | None) -> None:
    """A halt an admin engaged is released only by an admin; a trader's own halt, by that trader too."""
    if halt is not None and engaged_by_admin(halt) and not caller.is_admin:
        raise QueryError(
            ErrorCode.HALT_ENGAGED_BY_ADMIN,
            "an administrator engaged this halt; only an administrator can release it",
            403,
        )


def shown_actor(caller: Caller, actor_name: str) -> str:
    """Who acted, as `caller` may see it: admins see every name, others their own or "an administrator"."""
    if caller.is_admin or actor_name in (caller.email, str(caller.user_id)):
        return actor_name
    return ADMINISTRATOR
