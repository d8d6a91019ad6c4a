"""The executor's kill switch book: halts, releases, KV loads, disabled users and the dead-man's switch."""

from __future__ import annotations

from datetime import timedelta
from uuid import UUID, uuid4

from tradeplane.contracts import HaltEngaged, HaltReleased, HaltScope, RejectCode, new_meta
from tradeplane.execution.halts import HaltBook

from .fakes import NOW


def halt(user: UUID | None = None) -> HaltEngaged:
    scope = HaltScope.GLOBAL if user is None else HaltScope.USER
    return HaltEngaged(meta=new_meta("risk"), scope=scope, user_id=user, reason="drill", actor="ops")


def release(user: UUID | None = None) -> HaltReleased:
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


class Bucket:
    """The KV bucket as the executor reads it: key -> halt; `broken` makes every read fail."""

    def __init__(self) -> None:
        self.halts: dict[str, HaltEngaged] = {}
        self.broken = False
        self.reads = 0

    async def read(self, key: str) -> HaltEngaged | None:
        self.reads += 1
        if self.broken:
            raise ConnectionError("no JetStream")
        return self.halts.get(key)


async def test_halt_released_in_the_bucket_before_its_event_arrives_does_not_refuse() -> None:
    bucket, user = Bucket(), uuid4()
    book = HaltBook(0, read=bucket.read)
    book.engage(halt())  # the release event is still on its way; the bucket has no halt any more

    assert await book.refusal(user) is None
    assert book.blocks(user) is None  # the checks right before the venue call agree
    assert not book.globally_halted


async def test_halt_the_bucket_still_holds_refuses_with_kill_switch() -> None:
    bucket, user = Bucket(), uuid4()
    book = HaltBook(0, read=bucket.read)
    engaged = halt(user)
    bucket.halts[f"user.{user}"] = engaged
    book.engage(engaged)

    assert await book.refusal(user) == (RejectCode.KILL_SWITCH, "user halt: drill")


async def test_halt_refuses_when_the_bucket_cannot_be_read() -> None:
    bucket, user = Bucket(), uuid4()
    bucket.broken = True
    book = HaltBook(0, read=bucket.read)
    book.engage(halt())

    assert await book.refusal(user) == (RejectCode.KILL_SWITCH, "global halt: drill")


async def test_a_new_halt_after_a_confirmed_release_refuses_again() -> None:
    bucket, user = Bucket(), uuid4()
    book = HaltBook(0, read=bucket.read)
    book.engage(halt())
    assert await book.refusal(user) is None

    bucket.halts["global"] = again = halt()
    book.engage(again)

    assert await book.refusal(user) == (RejectCode.KILL_SWITCH, "global halt: drill")


async def test_no_bucket_read_while_nothing_is_halted() -> None:
    bucket = Bucket()
    book = HaltBook(0, read=bucket.read)

    assert await book.refusal(uuid4()) is None
    assert bucket.reads == 0
