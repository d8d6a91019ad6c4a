"""deliver(): attempts against a real receiver with the retry policy, without real waiting."""

from __future__ import annotations

import random
from collections.abc import AsyncIterator

import pytest
from standardwebhooks.webhooks import Webhook
from tradeplane.notifier.adapters.delivery import deliver
from tradeplane.notifier.adapters.sender import WebhookSender
from tradeplane.notifier.adapters.settings import DeliverySettings
from tradeplane.notifier.adapters.transport import build_client
from tradeplane.notifier.domain.retry import RetryPolicy

PAYLOAD = {"type": "trade_exit", "timestamp": "2026-01-17T22:00:00Z", "data": {}}
POLICY = RetryPolicy(max_attempts=3, base_delay=1.0, factor=2.0, max_delay=60.0, jitter=0.0)


class Sleeps:
    def __init__(self) -> None:
        self.waits: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)


@pytest.fixture
async def sender(local_settings: DeliverySettings) -> AsyncIterator[WebhookSender]:
    async with build_client(local_settings) as client:
        yield WebhookSender(client, local_settings)


async def test_retries_keep_the_same_webhook_id_and_each_attempt_verifies(
    sender: WebhookSender, receiver, secret: str
) -> None:
    receiver.fail_first = 2

    await deliver(
        sender, receiver.url("/flaky"), secret, "msg_x", PAYLOAD, POLICY, rng=random.Random(1), sleep=Sleeps()
    )

    assert [hit.headers["webhook-id"] for hit in receiver.hits] == ["msg_x"] * 3
    assert all(Webhook(secret).verify(hit.body, hit.headers) == PAYLOAD for hit in receiver.hits)


async def test_delivery_succeeding_on_third_attempt_waits_with_growing_backoff(
    sender: WebhookSender, receiver, secret: str
) -> None:
    receiver.fail_first = 2
    sleeps = Sleeps()

    results = await deliver(sender, receiver.url("/flaky"), secret, "msg_x", PAYLOAD, POLICY, sleep=sleeps)

    assert [r.ok for r in results] == [False, False, True]
    assert sleeps.waits == [1.0, 2.0]


async def test_delivery_stops_after_max_attempts(sender: WebhookSender, receiver, secret: str) -> None:
    results = await deliver(
        sender, receiver.url("/status/500"), secret, "msg_x", PAYLOAD, POLICY, sleep=Sleeps()
    )

    assert len(results) == 3
    assert len(receiver.hits) == 3


async def test_non_retryable_failure_is_attempted_once(sender: WebhookSender, receiver, secret: str) -> None:
    results = await deliver(
        sender, receiver.url("/status/400"), secret, "msg_x", PAYLOAD, POLICY, sleep=Sleeps()
    )

    assert [r.status_code for r in results] == [400]
