"""The bots' view of the halt bucket: a user's halt stops that user's bots, a global one everyone's."""

from __future__ import annotations

from uuid import uuid4

from nats.js.kv import KV_DEL, KV_PURGE
from tradeplane.bots.halts import HaltWatch
from tradeplane.contracts import HaltEngaged, HaltScope, Role, new_meta, streams

USER, OTHER = uuid4(), uuid4()


def engaged(user: object | None, reason: str) -> bytes:
    halt = HaltEngaged(
        meta=new_meta("risk"),
        scope=HaltScope.GLOBAL if user is None else HaltScope.USER,
        user_id=user,
        reason=reason,
        actor="admin@x",
        actor_role=Role.ADMIN,
    )
    return halt.model_dump_json().encode()


def test_a_user_halt_blocks_that_user_only_until_it_is_deleted() -> None:
    watch = HaltWatch()
    watch.apply(streams.halt_key(USER), engaged(USER, "drill"), None)

    assert watch.blocks(USER) == "user halt: drill"
    assert watch.blocks(OTHER) is None

    watch.apply(streams.halt_key(USER), None, KV_DEL)
    assert watch.blocks(USER) is None


def test_a_global_halt_blocks_everyone_until_it_is_purged() -> None:
    watch = HaltWatch()
    watch.apply(streams.halt_key(None), engaged(None, "exchange outage"), None)

    assert watch.blocks(USER) == watch.blocks(OTHER) == "global halt: exchange outage"

    watch.apply(streams.halt_key(None), b"", KV_PURGE)
    assert watch.blocks(USER) is None


def test_an_unreadable_halt_still_halts() -> None:
    watch = HaltWatch()
    watch.apply(streams.halt_key(USER), b"{not json", None)

    assert watch.blocks(USER) == "user halt: halted"
