"""The kill switch: halts kept in the JetStream KV bucket (read by executors), in memory, and audited.

Engaging writes the KV key first, so executors halt even if the database step then fails; releasing
records the release first and deletes the key last, so a failure leaves trading halted, never the
reverse. A watch on the bucket keeps every replica's memory in step with the others' actions.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from contextlib import suppress
from typing import Any
from uuid import UUID

from nats.js.kv import KV_DEL, KV_PURGE, KeyValue
from pydantic import ValidationError
from tradeplane.contracts import HaltEngaged, HaltReleased, HaltScope, Role, new_meta, streams, subjects
from tradeplane.runtime import Runtime, buckets

from . import events, metrics, views
from .access import engaged_by_admin
from .adapters import halt_rows

log = logging.getLogger(__name__)

GLOBAL = streams.halt_key(None)


def scope_of(user_id: UUID | None) -> HaltScope:
    return HaltScope.GLOBAL if user_id is None else HaltScope.USER


class KillSwitch:
    def __init__(self, rt: Runtime) -> None:
        self._rt = rt
        self.engaged: dict[str, HaltEngaged] = {}
        self._kv: KeyValue | None = None
        self._watch: asyncio.Task[None] | None = None
        self._count()

    @property
    def global_engaged(self) -> bool:
        return GLOBAL in self.engaged

    def user_engaged(self, user_id: UUID) -> bool:
        return streams.halt_key(user_id) in self.engaged

    def halt(self, user_id: UUID | None) -> HaltEngaged | None:
        """The halt engaged for `user_id` (None: the global one), if any."""
        return self.engaged.get(streams.halt_key(user_id))

    def status(self, user_id: UUID, show: Callable[[str], str] = str) -> dict[str, Any]:
        """`{global: {active, reason, since, actor}, user: {...}}` for `user_id`; `show` names the actors."""
        return {
            "global": views.halt(self.halt(None), show),
            "user": views.halt(self.halt(user_id), show),
        }

    async def load(self) -> None:
        """Read every halt from the bucket, then keep following it (before the first order is decided)."""
        self._kv = await self._rt.broker.key_value(streams.HALT_BUCKET)
        self._watch = await buckets.follow(
            self._kv,
            self._apply,
            name="halt-watch",
            log=log,
            lost="the halt bucket watch stopped; other replicas' halts are no longer followed",
        )
        if self.engaged:
            log.warning("kill switches engaged at start", extra={"keys": sorted(self.engaged)})

    async def stop(self) -> None:
        if self._watch is not None:
            self._watch.cancel()
            with suppress(asyncio.CancelledError):
                await self._watch

    async def activate(self, user_id: UUID | None, reason: str, actor: str, role: Role) -> bool:
        """Engage the halt for `user_id` (None: everyone); False when it already was.

        An admin engaging a halt the user engaged themselves takes it over, so that only an admin can
        release it from then on.
        """
        key = streams.halt_key(user_id)
        current = self.engaged.get(key)
        if current is not None and (engaged_by_admin(current) or role is not Role.ADMIN):
            return False
        halt = HaltEngaged(
            meta=new_meta(events.PRODUCER),
            scope=scope_of(user_id),
            user_id=user_id,
            reason=reason,
            actor=actor,
            actor_role=role,
        )
        await self._bucket().put(key, halt.model_dump_json().encode())
        self._set(key, halt)
        async with self._rt.outbox.transaction() as tx:
            await halt_rows.engage(tx.conn, halt)
            await halt_rows.audit(tx.conn, "activate", halt.scope.value, user_id, actor, reason)
            tx.emit(subjects.halt_engaged(user_id), halt)
            tx.emit(*events.audit(halt, actor, "killswitch.activate", key, reason, scope=halt.scope.value))
        log.warning("kill switch engaged", extra={"key": key, "actor": actor, "reason": reason})
        return True

    async def deactivate(self, user_id: UUID | None, reason: str, actor: str) -> bool:
        """Release the halt for `user_id` (None: everyone); False when none was engaged."""
        key = streams.halt_key(user_id)
        if key not in self.engaged:
            return False
        scope = scope_of(user_id)
        released = HaltReleased(
            meta=new_meta(events.PRODUCER), scope=scope, user_id=user_id, reason=reason, actor=actor
        )
        async with self._rt.outbox.transaction() as tx:
            await halt_rows.release(tx.conn, user_id)
            await halt_rows.audit(tx.conn, "deactivate", scope.value, user_id, actor, reason)
            tx.emit(subjects.halt_released(user_id), released)
            tx.emit(*events.audit(released, actor, "killswitch.deactivate", key, reason, scope=scope.value))
        await self._bucket().delete(key)
        self._set(key, None)
        log.warning("kill switch released", extra={"key": key, "actor": actor, "reason": reason})
        return True

    def _bucket(self) -> KeyValue:
        if self._kv is None:
            raise RuntimeError("the kill switch is not loaded yet")
        return self._kv

    def _apply(self, key: str, value: bytes | None, operation: str | None) -> None:
        if operation in (KV_DEL, KV_PURGE):
            self._set(key, None)
            return
        halt = decode(key, value or b"")
        if halt is not None:
            self._set(key, halt)

    def _set(self, key: str, halt: HaltEngaged | None) -> None:
        if halt is None:
            self.engaged.pop(key, None)
        else:
            self.engaged[key] = halt
        self._count()

    def _count(self) -> None:
        engaged_global = 1 if self.global_engaged else 0
        metrics.KILL_SWITCHES.labels("global").set(engaged_global)
        metrics.KILL_SWITCHES.labels("user").set(len(self.engaged) - engaged_global)


def decode(key: str, value: bytes) -> HaltEngaged | None:
    """The halt a bucket entry holds; an unreadable value under a well-formed key still halts (fail-safe)."""
    try:
        return HaltEngaged.model_validate_json(value)
    except ValidationError:
        log.error("unreadable halt in the bucket; treating it as engaged", extra={"key": key})
    if key == GLOBAL:
        user_id = None
    else:
        try:
            user_id = UUID(key.removeprefix("user."))
        except ValueError:
            log.error("unknown key in the halt bucket; ignored", extra={"key": key})
            return None
    return HaltEngaged(
        meta=new_meta(events.PRODUCER),
        scope=scope_of(user_id),
        user_id=user_id,
        reason="engaged (unreadable record)",
        actor="unknown",
    )
