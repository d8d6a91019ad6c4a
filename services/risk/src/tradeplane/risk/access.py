"""Who may read or change whose risk settings and halts (callers come from the gateway's `Caller`)."""

from __future__ import annotations

from uuid import UUID

from tradeplane.contracts import HaltScope, Role
from tradeplane.contracts.queries import Caller, QueryError


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
