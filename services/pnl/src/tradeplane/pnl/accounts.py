"""Venue accounts as the PnL service knows them: first seen, their baseline equity, and retries.

When an account is first seen (its first fill, or a query of a user who has accounts but no fills),
execution is asked for its balances; their USD value at the latest marks is the account's baseline
equity. If execution does not answer, the baseline is 0 and marked pending, and the user's equity
is unknown (`PnlUpdated.equity` None, never a made-up 0); the leader asks again every
`pnl_baseline_retry_seconds`, and the equity curve steps up when it learns the balances.
"""

from __future__ import annotations

import logging
import time
from decimal import Decimal
from typing import Any
from uuid import UUID

from tradeplane.contracts import subjects, utcnow
from tradeplane.runtime import Runtime, Tx

from .adapters import execution, repo
from .config import Settings
from .domain.valuation import value_balances
from .equity_figures import Curve

log = logging.getLogger(__name__)
_RETRY_DISCOVERY_SECONDS = 30.0


class Accounts:
    def __init__(self, rt: Runtime, curve: Curve, settings: Settings) -> None:
        self.rt = rt
        self.curve = curve
        self.settings = settings
        self._known: set[UUID] = set()
        self._discovered: dict[UUID, float] = {}

    async def ensure(self, user_id: UUID, account_id: UUID, venue: str) -> None:
        """Make sure the account is recorded (asking execution for its balances the first time)."""
        if account_id in self._known:
            return
        async with self.rt.engine.connect() as conn:
            known = await repo.known_accounts(conn, [account_id])
        if not known:
            await self._add(user_id, account_id, venue)
        self._known.add(account_id)

    async def discover(self, user_id: UUID) -> None:
        """Ask execution for the user's accounts (at most every `pnl_account_refresh_seconds`)."""
        now = time.monotonic()
        if now < self._discovered.get(user_id, 0.0):
            return
        listed = await execution.accounts(
            self.rt.broker, user_id, self.settings.pnl_execution_timeout_seconds
        )
        wait = self.settings.pnl_account_refresh_seconds if listed is not None else _RETRY_DISCOVERY_SECONDS
        self._discovered[user_id] = now + wait
        for account_id, venue in listed or []:
            await self.ensure(user_id, account_id, venue)

    async def retry_pending(self) -> int:
        """Ask again for the balances of accounts whose baseline is unknown; returns how many got one."""
        async with self.rt.engine.connect() as conn:
            pending = await repo.pending_accounts(conn)
        done = 0
        for row in pending:
            balances = await self._balances(row.user_id, row.account_id)
            if balances is None:
                continue
            baseline = self._value(row.account_id, balances)
            async with self.rt.outbox.transaction() as tx:
                if await repo.set_baseline(tx.conn, row.account_id, baseline, balances):
                    await self._snapshot_and_report(tx, row.user_id, row.account_id)
                    done += 1
        return done

    async def _add(self, user_id: UUID, account_id: UUID, venue: str) -> None:
        balances = await self._balances(user_id, account_id)
        baseline = self._value(account_id, balances) if balances is not None else None
        async with self.rt.outbox.transaction() as tx:
            if await repo.insert_account(tx.conn, account_id, user_id, venue, baseline, balances):
                await self._snapshot_and_report(tx, user_id, account_id)
        if baseline is None:
            log.warning(
                "execution did not answer for a new account's balances: baseline 0 until it does",
                extra={"account_id": str(account_id)},
            )

    async def _snapshot_and_report(self, tx: Tx, user_id: UUID, account_id: UUID) -> None:
        now = utcnow()
        tz = await self.curve.timezone(tx.conn, user_id)
        figures = await self.curve.snapshot(tx.conn, user_id, now, tz, [account_id])
        tx.emit(
            subjects.pnl_updated(user_id), await self.curve.pnl_updated(tx.conn, user_id, figures, now, tz)
        )

    async def _balances(self, user_id: UUID, account_id: UUID) -> dict[str, Any] | None:
        timeout = self.settings.pnl_execution_timeout_seconds
        return await execution.balances(self.rt.broker, user_id, account_id, timeout)

    def _value(self, account_id: UUID, balances: dict[str, Any]) -> Decimal:
        worth, unpriced = value_balances(balances, self.curve.marks)
        if unpriced:
            log.warning(
                "balances in currencies without a mark count as 0 in the baseline",
                extra={"account_id": str(account_id), "currencies": unpriced},
            )
        return worth
