"""Which bus events the notifier consumes, and whose endpoints hear of each."""

from __future__ import annotations

from uuid import uuid4

from tradeplane.contracts import HaltEngaged, HaltScope, UserDisabled, new_meta, streams
from tradeplane.notifier.handlers import SUBSCRIPTIONS, recipient


def test_global_halt_goes_to_everyone() -> None:
    halt = HaltEngaged(meta=new_meta("risk"), scope=HaltScope.GLOBAL, reason="r", actor="admin")

    assert recipient(halt) is None


def test_user_event_goes_to_its_user() -> None:
    user = uuid4()

    assert recipient(UserDisabled(meta=new_meta("risk"), user_id=user, reason="broken")) == user


def test_each_subscription_subject_is_stored_by_its_stream() -> None:
    for sub in SUBSCRIPTIONS:
        assert streams.stream_for(sub.subject.removesuffix(">") + "x") is sub.stream


def test_durable_names_are_unique() -> None:
    assert len({sub.durable for sub in SUBSCRIPTIONS}) == len(SUBSCRIPTIONS)
