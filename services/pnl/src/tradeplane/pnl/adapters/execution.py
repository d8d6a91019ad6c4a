"""Asking the execution service about a user's accounts and their balances (request/reply)."""

from __future__ import annotations

import logging
from typing import Any
from uuid import UUID

from faststream.nats import NatsBroker
from tradeplane.contracts import Role
from tradeplane.contracts.queries import EXECUTION, Caller
from tradeplane.runtime.queries import ask

log = logging.getLogger(__name__)
UNAVAILABLE = 503


async def balances(
    broker: NatsBroker, user_id: UUID, account_id: UUID, timeout: float
) -> dict[str, Any] | None:
    """`{currency: {free, used, total}}`; None when execution did not answer (ask again later).

    An error answer (the account is gone, say) gives `{}`: nothing to value, and no point asking again.
    """
    caller = Caller(user_id=user_id, role=Role.ADMIN)
    reply = await ask(broker, EXECUTION, "venues.balance", caller, {"id": str(account_id)}, timeout=timeout)
    if reply.ok:
        return reply.data if isinstance(reply.data, dict) else {}
    if reply.error is not None and reply.error.status == UNAVAILABLE:
        return None
    log.warning(
        "execution refused the balances of an account; its baseline stays 0",
        extra={"account_id": str(account_id), "code": reply.error.code if reply.error else None},
    )
    return {}


async def accounts(broker: NatsBroker, user_id: UUID, timeout: float) -> list[tuple[UUID, str]] | None:
    """The user's venue accounts as (id, venue); None when execution did not answer."""
    caller = Caller(user_id=user_id, role=Role.TRADER)
    reply = await ask(broker, EXECUTION, "venues.list", caller, {}, timeout=timeout)
    if not reply.ok or not isinstance(reply.data, list):
        return None
    found = []
    for item in reply.data:
        parsed = parse_account(item, user_id)
        if parsed is not None:
            found.append(parsed)
    return found


def parse_account(item: Any, user_id: UUID) -> tuple[UUID, str] | None:
    """(id, venue) of one listed account; None when unreadable or someone else's."""
    if not isinstance(item, dict):
        return None
    owner = item.get("userId", item.get("user_id"))
    try:
        account_id = UUID(str(item["id"]))
        if owner is not None and UUID(str(owner)) != user_id:
            return None
    except (KeyError, ValueError):
        return None
    return account_id, str(item.get("venue") or "unknown")[:32]
