"""A user's equity when PnL events have not told risk yet: ask the pnl service, else a default."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from decimal import Decimal, InvalidOperation
from typing import Any
from uuid import UUID

from faststream.nats import NatsBroker
from tradeplane.contracts import Role
from tradeplane.contracts.queries import PNL, Caller
from tradeplane.runtime.queries import ask

log = logging.getLogger(__name__)

RETRY_DEFAULT_AFTER = 60.0
"""Seconds a fallback equity is used before the pnl service is asked again."""
RETRY_UNKNOWN_AFTER = 2.0
"""Seconds an "unknown" from the pnl service is kept before asking again (it learns balances any time)."""


class EquitySource:
    def __init__(self, broker: Callable[[], NatsBroker], default: Decimal, timeout: float) -> None:
        self._broker = broker
        self._default = default
        self._timeout = timeout
        self._known: dict[UUID, tuple[Decimal | None, float]] = {}

    async def of(self, user_id: UUID) -> Decimal | None:
        """The user's equity; None while the pnl service says it is unknown (balances not read yet)."""
        known = self._known.get(user_id)
        if known is not None and time.monotonic() < known[1]:
            return known[0]
        portfolio = await self._portfolio(user_id)
        if portfolio is not None and portfolio.get("equityKnown") is False:
            return self._remember(user_id, None, RETRY_UNKNOWN_AFTER)
        equity = positive(portfolio.get("totalValue")) if portfolio is not None else None
        if equity is not None:
            return self._remember(user_id, equity, float("inf"))
        log.warning(
            "equity unknown (no PnL update, pnl service did not tell); using TP_RISK_DEFAULT_EQUITY",
            extra={"user_id": str(user_id), "equity": format(self._default, "f")},
        )
        return self._remember(user_id, self._default, RETRY_DEFAULT_AFTER)

    def _remember(self, user_id: UUID, equity: Decimal | None, seconds: float) -> Decimal | None:
        self._known[user_id] = (equity, time.monotonic() + seconds)
        return equity

    async def _portfolio(self, user_id: UUID) -> dict[str, Any] | None:
        """The pnl service's `portfolio` answer for the user; None when it gave none."""
        caller = Caller(user_id=user_id, role=Role.ADMIN)
        reply = await ask(
            self._broker(), PNL, "portfolio", caller, {"userId": str(user_id)}, timeout=self._timeout
        )
        return reply.data if reply.ok and isinstance(reply.data, dict) else None


def positive(value: object) -> Decimal | None:
    """`value` as a Decimal when it is a finite positive number (a string or int); None otherwise."""
    if isinstance(value, bool) or not isinstance(value, str | int | Decimal):
        return None
    try:
        amount = Decimal(value)
    except InvalidOperation:
        return None
    return amount if amount.is_finite() and amount > 0 else None
