"""The executor's kill switch book: halts, releases, KV loads, disabled users and the dead-man's switch."""

from __future__ import annotations

from datetime import timedelta
from uuid import uuid4

from tradeplane.contracts import HaltEngaged, HaltReleased, HaltScope, RejectCode, new_meta
from tradeplane.execution.halts import HaltBook

from .fakes import NOW


def halt(user=None) -> HaltEngaged:  # type: ignore[no-untyped-def]
    scope = HaltScope.GLOBAL if user is None else HaltScope.USER
    return HaltEngaged(meta=new_meta("risk"), scope=scope, user_id=user, reason="drill", actor="ops")


def release(user=None) -> HaltReleased:  # type: ignore[no-untyped-def]
    scope = HaltScope.GLOBAL if user is None else HaltScope.USER
    return HaltReleased(meta=new_meta("risk"), scope=scope, user_id=user, actor="ops")


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_user_halt_blocks_only_that_user() -> None:
    book, user = HaltBook(0), uuid4()

    book.engage(halt(user))

    assert book.blocks(user) == (RejectCode.KILL_SWITCH, "user halt: drill")
    assert book.blocks(uuid4()) is None


def test_global_halt_blocks_everyone_until_released() -> None:
    book = HaltBook(0)
    book.engage(halt())
    assert book.blocks(uuid4()) is not None

    book.release(release())

    assert book.blocks(uuid4()) is None


def test_kv_load_reports_new_halts_and_drops_released_keys() -> None:
    book, user = HaltBook(0), uuid4()
    book.load([halt(user)])

    new = book.load([halt()])

    assert [h.scope for h in new] == [HaltScope.GLOBAL]
    assert not book.user_halted(user)


def test_kv_load_does_not_undo_a_release_seen_as_an_event_after_listening_began() -> None:
    book = HaltBook(0)
    book.load([halt()])
    book.release(release())

    book.load([halt()])  # read before the release reached the bucket

    assert not book.globally_halted


def test_later_enable_wins_over_an_earlier_disable_replayed_after_it() -> None:
    book, user = HaltBook(0), uuid4()

    book.enable(user, NOW + timedelta(seconds=1))
    book.disable(user, NOW)

    assert book.blocks(user) is None


def test_disabled_user_is_refused_with_user_disabled() -> None:
    book, user = HaltBook(0), uuid4()

    book.disable(user, NOW)

    assert book.blocks(user) == (RejectCode.USER_DISABLED, "the user is disabled")


def test_missing_risk_heartbeat_halts_the_executor_until_it_returns() -> None:
    clock = Clock()
    book = HaltBook(5, clock=clock)
    clock.now += 6
    assert book.blocks(uuid4()) is not None

    book.heartbeat()

    assert book.blocks(uuid4()) is None


def test_lost_nats_connection_halts_the_executor() -> None:
    book = HaltBook(0, connected=lambda: False)

    assert book.blocks(uuid4()) == (RejectCode.KILL_SWITCH, "executor halted: NATS connection lost")


def test_zero_heartbeat_timeout_disables_the_heartbeat_check() -> None:
    clock = Clock()
    book = HaltBook(0, clock=clock)
    clock.now += 3600

    assert book.blocks(uuid4()) is None
