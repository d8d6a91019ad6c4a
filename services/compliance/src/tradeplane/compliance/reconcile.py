"""T+0 reconciliation: for each venue account, the balances the platform booked (what the venue
reported at the account's first reconciliation, moved by every fill since) against what the venue
reports now, asked through execution's `venues.balance` (paper: its engine's state; ccxt: the exchange).
A mismatch raises a Compliance alert and a Regulatory violation, once per new set of differences."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any
from uuid import UUID, uuid4

from faststream.nats import NatsBroker
from tradeplane.contracts import Role
from tradeplane.contracts.queries import EXECUTION, Caller, Reply
from tradeplane.runtime.outbox import Outbox
from tradeplane.runtime.queries import ask

from . import domain, metrics, store

log = logging.getLogger(__name__)
MATCHED, MISMATCH, UNAVAILABLE = "Matched", "Mismatch", "Unavailable"

Ask = Callable[[Caller, str, dict[str, Any]], Awaitable[Reply]]


def execution_asker(broker: NatsBroker, timeout: float) -> Ask:
    async def ask_execution(caller: Caller, name: str, params: dict[str, Any]) -> Reply:
        return await ask(broker, EXECUTION, name, caller, params, timeout=timeout)

    return ask_execution


def reported_totals(data: Any) -> dict[str, Decimal]:
    """`{currency: {free, used, total}}` → `{currency: total}`; unreadable entries are left out."""
    totals: dict[str, Decimal] = {}
    if not isinstance(data, dict):
        return totals
    for asset, amounts in data.items():
        raw = amounts.get("total") if isinstance(amounts, dict) else amounts
        try:
            totals[str(asset)] = Decimal(str(raw))
        except (InvalidOperation, ValueError):
            continue
    return totals


@dataclass(frozen=True)
class Reconciler:
    outbox: Outbox
    ask: Ask
    tolerance: Decimal
    settle_seconds: float = 0.0
    """A first mismatch is checked again after this long before anything is raised: a fill the venue
    has made but the books have not heard of yet is not a discrepancy."""

    async def accounts(self, caller: Caller) -> list[dict[str, Any]] | None:
        reply = await self.ask(caller, "venues.list", {})
        if not reply.ok or not isinstance(reply.data, list):
            return None
        return [a for a in reply.data if isinstance(a, dict) and "id" in a]

    async def run(self, caller: Caller, venue_id: UUID | None = None) -> list[dict[str, Any]] | None:
        """Reconcile the caller's accounts (or one); None when execution did not list them."""
        listed = await self.accounts(caller)
        if listed is None:
            return None
        if venue_id is not None:
            listed = [a for a in listed if str(a["id"]) == str(venue_id)]
        checks = [self.account(caller, UUID(str(a["id"])), str(a.get("venue", ""))) for a in listed]
        return list(await asyncio.gather(*checks))

    async def account(self, caller: Caller, account_id: UUID, venue: str) -> dict[str, Any]:
        checked = await self._check(caller, account_id, venue, final=self.settle_seconds <= 0)
        if checked["status"] == MISMATCH and self.settle_seconds > 0:
            await asyncio.sleep(self.settle_seconds)
            checked = await self._check(caller, account_id, venue, final=True)
        metrics.RECONCILIATIONS.labels(checked["status"]).inc()
        return checked

    async def _check(self, caller: Caller, account_id: UUID, venue: str, final: bool) -> dict[str, Any]:
        """One comparison; only a `final` one records its outcome and raises what a mismatch raises."""
        result: dict[str, Any] = {"venueId": str(account_id), "venue": venue, "differences": []}
        reply = await self.ask(caller, "venues.balance", {"id": str(account_id)})
        if not reply.ok:
            reason = reply.error.message if reply.error else "no answer"
            return result | {"status": UNAVAILABLE, "error": reason}
        reported = reported_totals(reply.data)
        now = datetime.now(UTC)
        async with self.outbox.transaction() as tx:
            book = await store.lock_book(tx.conn, account_id)
            if book is None:
                await store.open_book(tx.conn, account_id, caller.user_id, venue, reported, now)
                expected = reported
                previous: tuple[str | None, Any] = (None, None)
            else:
                baseline = {k: Decimal(v) for k, v in book["baseline"].items()}
                moves = await store.moves_since(tx.conn, account_id, book["baseline_at"])
                expected = domain.booked(baseline, moves)
                previous = (book["last_status"], book["last_differences"])
            found = domain.differences(expected, reported, self.tolerance)
            shown = [d.as_json() for d in found]
            status = MISMATCH if found else MATCHED
            if not final and found:
                return result | {"status": status, "differences": shown}
            if found and previous != (MISMATCH, shown):
                finding = domain.mismatch(caller.user_id, account_id, venue, found, uuid4())
                await store.record(tx, [finding])
            await store.note_run(tx.conn, account_id, status, shown, now)
        return result | {"status": status, "differences": shown, "checkedAt": now.isoformat()}

    async def scheduled(self) -> int:
        """Reconcile every account reconciled before, as its owner; how many were looked at."""
        async with self.outbox.engine.connect() as conn:
            pairs = await store.all_books(conn)
        for user_id, account_id in pairs:
            caller = Caller(user_id=user_id, role=Role.TRADER)
            try:
                await self.run(caller, account_id)
            except Exception:
                log.exception("scheduled reconciliation failed", extra={"account_id": str(account_id)})
        return len(pairs)
