"""The notifier's own messages: test pings and endpoint-disabled notices."""

from __future__ import annotations

from datetime import UTC, datetime
from uuid import uuid4

from tradeplane.notifier.domain import notices

AT = datetime(2026, 1, 17, 22, 0, tzinfo=UTC)


def test_ping_body_has_type_test_and_names_user_and_endpoint() -> None:
    user, endpoint = uuid4(), uuid4()

    body = notices.ping(uuid4(), user, endpoint, AT).body()

    assert (body["type"], body["timestamp"]) == ("test", "2026-01-17T22:00:00Z")
    assert (body["data"]["user_id"], body["data"]["endpoint_id"]) == (str(user), str(endpoint))


def test_endpoint_disabled_notice_says_which_endpoint_and_why() -> None:
    endpoint = uuid4()

    body = notices.endpoint_disabled(uuid4(), uuid4(), endpoint, "https://x.example/h", 10, AT).body()

    assert body["type"] == "endpoint_disabled"
    assert (body["data"]["endpoint_id"], body["data"]["consecutive_failures"]) == (str(endpoint), 10)
