"""A user's equity when PnL events have not told risk yet: ask the pnl service once, else a default."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from decimal import Decimal, InvalidOperation
from uuid import UUID

from faststream.nats import NatsBroker
from tradeplane.contracts import Role
from tradeplane.contracts.queries import PNL, Caller
from tradeplane.runtime.queries import ask

log = logging.getLogger(__name__)

RETRY_DEFAULT_AFTER = 60.0
"""Seconds a fallback equity is used before the pnl service is asked again."""


class EquitySource:
    def __init__(self, broker: Callable[[], NatsBroker], default: Decimal, timeout: float) -> None:
        self._broker = broker
        self._default = default
        self._timeout = timeout
        self._known: dict[UUID, tuple[Decimal, float]] = {}

    async def of(self, user_id: UUID) -> Decimal:
        known = self._known.get(user_id)
        if known is not None and time.monotonic() < known[1]:
            return known[0]
        asked = await self._ask(user_id)
        if asked is not None:
            self._known[user_id] = (asked, float("inf"))
            return asked
        log.warning(
            "equity unknown (no PnL update, pnl service did not tell); using TP_RISK_DEFAULT_EQUITY",
            extra={"user_id": str(user_id), "equity": format(self._default, "f")},
        )
        self._known[user_id] = (self._default, time.monotonic() + RETRY_DEFAULT_AFTER)
        return self._default

    async def _ask(self, user_id: UUID) -> Decimal | None:
        caller = Caller(user_id=user_id, role=Role.ADMIN)
        reply = await ask(
            self._broker(), PNL, "portfolio", caller, {"userId": str(user_id)}, timeout=self._timeout
        )
        if not reply.ok or not isinstance(reply.data, dict):
            return None
        return positive(reply.data.get("totalValue"))


def positive(value: object) -> Decimal | None:
    """`value` as a Decimal when it is a finite positive number (a string or int); None otherwise."""
    if isinstance(value, bool) or not isinstance(value, str | int | Decimal):
        return None
    try:
        amount = Decimal(value)
    except InvalidOperation:
        return None
    return amount if amount.is_finite() and amount > 0 else None
