"""Reading halts from the KV bucket: an unreadable value still halts, an unknown key does not."""

from uuid import uuid4

from tradeplane.contracts import HaltEngaged, HaltScope, new_meta
from tradeplane.risk.access import engaged_by_admin
from tradeplane.risk.killswitch import decode


def test_stored_halt_is_read_back():
    halt = HaltEngaged(meta=new_meta("risk"), scope=HaltScope.GLOBAL, reason="incident", actor="ops")
    assert decode("global", halt.model_dump_json().encode()) == halt


def test_unreadable_user_halt_still_halts_that_user():
    user = uuid4()
    halt = decode(f"user.{user}", b"garbage")
    assert halt is not None and (halt.scope, halt.user_id) == (HaltScope.USER, user)


def test_unreadable_user_halt_is_released_only_by_an_admin():
    halt = decode(f"user.{uuid4()}", b"garbage")
    assert halt is not None and engaged_by_admin(halt)


def test_unreadable_value_under_an_unknown_key_is_ignored():
    assert decode("user.not-a-uuid", b"garbage") is None
