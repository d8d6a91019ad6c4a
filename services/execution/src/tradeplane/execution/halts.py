"""The executor's view of the kill switch: halts from the KV bucket and halt events, disabled users, and the
dead-man's switch (NATS lost or risk silent), answered synchronously before every venue call.

Halt events may reach this view later than an order approved after them (they travel on another
consumer), so a halt this view holds is confirmed against the KV bucket, the authority, before an
order is refused for it; a halt the bucket cannot confirm or deny (unreadable) still refuses.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable, Iterable
from datetime import datetime
from uuid import UUID

from tradeplane.contracts import HaltEngaged, HaltReleased, HaltScope, RejectCode, streams

log = logging.getLogger(__name__)

HaltReader = Callable[[str], Awaitable[HaltEngaged | None]]
"""The halt the KV bucket holds under a key, or None; raises when the bucket cannot be read."""


class HaltBook:
    def __init__(
        self,
        heartbeat_timeout: float,
        connected: Callable[[], bool] = lambda: True,
        clock: Callable[[], float] = time.monotonic,
        read: HaltReader | None = None,
    ) -> None:
        self._halts: dict[str, HaltEngaged] = {}
        self._lifted: dict[str, UUID] = {}
        """Key -> event id of a halt still held here that the bucket says is released (its event is late)."""
        self._read = read
        self._touched: set[str] = set()
        self._users: dict[UUID, tuple[datetime, bool]] = {}
        """Per user: when the last disable/enable happened and whether it disabled."""
        self._timeout = heartbeat_timeout
        self._connected = connected
        self._clock = clock
        self._last_heartbeat = clock()
        self._was_self_halted = False

    def load(self, engaged: Iterable[HaltEngaged]) -> list[HaltEngaged]:
        """Take the KV bucket's halts as the truth, except for keys an event has changed since
        listening began (the event is newer). Returns the halts that were not known before."""
        found = {streams.halt_key(h.user_id): h for h in engaged}
        new = [h for key, h in found.items() if key not in self._halts and key not in self._touched]
        for key in set(self._halts) - set(found) - self._touched:
            del self._halts[key]
        for halt in new:
            self._halts[streams.halt_key(halt.user_id)] = halt
        for key in set(self._lifted) - set(self._halts):
            del self._lifted[key]
        return new

    def engage(self, halt: HaltEngaged) -> None:
        key = streams.halt_key(halt.user_id)
        self._touched.add(key)
        self._halts[key] = halt

    def release(self, released: HaltReleased) -> None:
        key = streams.halt_key(released.user_id if released.scope is HaltScope.USER else None)
        self._touched.add(key)
        self._halts.pop(key, None)
        self._lifted.pop(key, None)

    def disable(self, user_id: UUID, at: datetime) -> None:
        self._set_disabled(user_id, at, True)

    def enable(self, user_id: UUID, at: datetime) -> None:
        self._set_disabled(user_id, at, False)

    def _set_disabled(self, user_id: UUID, at: datetime, disabled: bool) -> None:
        held = self._users.get(user_id)
        if held is not None and held[0] > at:
            return
        self._users[user_id] = (at, disabled)

    def disabled(self, user_id: UUID) -> bool:
        held = self._users.get(user_id)
        return held is not None and held[1]

    def heartbeat(self) -> None:
        self._last_heartbeat = self._clock()

    def _halt(self, key: str) -> HaltEngaged | None:
        halt = self._halts.get(key)
        if halt is None or self._lifted.get(key) == halt.meta.event_id:
            return None
        return halt

    @property
    def globally_halted(self) -> bool:
        return self._halt(streams.halt_key(None)) is not None

    def user_halted(self, user_id: UUID) -> bool:
        return self._halt(streams.halt_key(user_id)) is not None

    async def refusal(self, user_id: UUID) -> tuple[RejectCode, str] | None:
        """`blocks`, except that a halt held here is first checked against the KV bucket: one released
        there (its event not heard yet) no longer refuses, here or in later `blocks` calls."""
        if self._read is not None:
            for key in (streams.halt_key(None), streams.halt_key(user_id)):
                await self._confirm(key, self._read)
        return self.blocks(user_id)

    async def _confirm(self, key: str, read: HaltReader) -> None:
        held = self._halt(key)
        if held is None:
            return
        try:
            current = await read(key)
        except Exception:
            log.warning("the halt bucket cannot be read; the halt held here stands", exc_info=True)
            return
        if current is None and self._halts.get(key) is held:  # unchanged while the bucket was read
            log.warning("halt released in the bucket before its event arrived", extra={"key": key})
            self._lifted[key] = held.meta.event_id

    def self_halted(self) -> str | None:
        """Why this executor refuses to send on its own (no NATS, no risk heartbeat), or None."""
        if not self._connected():
            reason: str | None = "NATS connection lost"
        elif self._timeout and self._clock() - self._last_heartbeat > self._timeout:
            reason = f"no risk heartbeat for {self._timeout:g}s"
        else:
            reason = None
        if (reason is not None) != self._was_self_halted:
            self._was_self_halted = reason is not None
            if reason is not None:
                log.critical("dead-man's switch: this executor stops sending", extra={"reason": reason})
            else:
                log.warning("dead-man's switch released: NATS and risk heartbeat are back")
        return reason

    def blocks(self, user_id: UUID) -> tuple[RejectCode, str] | None:
        """Why an order of `user_id` must not be sent now, or None when it may be."""
        halt = self._halt(streams.halt_key(None))
        if halt is not None:
            return RejectCode.KILL_SWITCH, f"global halt: {halt.reason}"
        halt = self._halt(streams.halt_key(user_id))
        if halt is not None:
            return RejectCode.KILL_SWITCH, f"user halt: {halt.reason}"
        if self.disabled(user_id):
            return RejectCode.USER_DISABLED, "the user is disabled"
        reason = self.self_halted()
        if reason is not None:
            return RejectCode.KILL_SWITCH, f"executor halted: {reason}"
        return None

    @property
    def halted_gauge(self) -> int:
        """1 when every order of this executor is refused (global halt or dead-man), else 0."""
        return int(self.globally_halted or self.self_halted() is not None)
