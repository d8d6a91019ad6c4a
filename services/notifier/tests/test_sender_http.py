"""WebhookSender against a real local HTTP receiver."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
from standardwebhooks.webhooks import Webhook
from tradeplane.notifier.adapters.sender import WebhookSender
from tradeplane.notifier.adapters.settings import DeliverySettings
from tradeplane.notifier.adapters.transport import build_client
from tradeplane.notifier.domain.retry import FailureKind

PAYLOAD = {"type": "trade_exit", "timestamp": "2026-01-17T22:00:00Z", "data": {"pnl_usd": "1.00"}}


@pytest.fixture
async def sender(local_settings: DeliverySettings) -> AsyncIterator[WebhookSender]:
    async with build_client(local_settings) as client:
        yield WebhookSender(client, local_settings)


async def test_delivery_signature_verifies_with_standardwebhooks_library(
    secret: str, sender: WebhookSender, receiver
) -> None:
    await sender.send(receiver.url("/ok"), secret, "msg_1", PAYLOAD, attempt=1)

    hit = receiver.hits[0]
    assert Webhook(secret).verify(hit.body, hit.headers) == PAYLOAD


async def test_delivery_to_2xx_is_ok(secret: str, sender: WebhookSender, receiver) -> None:
    result = await sender.send(receiver.url("/ok"), secret, "msg_1", PAYLOAD, attempt=1)

    assert (result.ok, result.status_code, result.error) == (True, 200, None)


async def test_redirect_is_not_followed_and_fails_without_retry(
    secret: str, sender: WebhookSender, receiver
) -> None:
    result = await sender.send(receiver.url("/redirect"), secret, "msg_1", PAYLOAD, attempt=1)

    assert receiver.paths() == ["/redirect"]
    assert (result.ok, result.retryable, result.status_code) == (False, False, 302)
    assert result.failure is FailureKind.REDIRECT


@pytest.mark.parametrize(
    ("code", "retryable"),
    [
        (500, True),
        (503, True),
        (429, True),
        (408, True),
        (400, False),
        (401, False),
        (404, False),
        (410, False),
    ],
)
async def test_server_error_or_throttle_status_is_retryable_and_client_error_is_not(
    secret: str, sender: WebhookSender, receiver, code: int, retryable: bool
) -> None:
    result = await sender.send(receiver.url(f"/status/{code}"), secret, "msg_1", PAYLOAD, attempt=1)

    assert (result.ok, result.retryable, result.status_code) == (False, retryable, code)


async def test_hanging_receiver_yields_retryable_timeout(
    secret: str, sender: WebhookSender, receiver
) -> None:
    result = await sender.send(receiver.url("/hang"), secret, "msg_1", PAYLOAD, attempt=1)

    assert (result.ok, result.retryable, result.status_code) == (False, True, None)
    assert result.failure is FailureKind.TIMEOUT


async def test_hanging_receiver_does_not_delay_delivery_to_another(
    secret: str, sender: WebhookSender, receiver
) -> None:
    slow = asyncio.create_task(sender.send(receiver.url("/hang"), secret, "msg_1", PAYLOAD, attempt=1))
    fast = asyncio.create_task(sender.send(receiver.url("/ok"), secret, "msg_2", PAYLOAD, attempt=1))

    done, _ = await asyncio.wait({slow, fast}, return_when=asyncio.FIRST_COMPLETED)
    await slow

    assert done == {fast}


async def test_connection_refused_is_retryable_network_failure(
    secret: str, local_settings: DeliverySettings
) -> None:
    async with build_client(local_settings) as client:
        sender = WebhookSender(client, local_settings)
        # Port 1 on loopback has no listener in the test environment.
        result = await sender.send("http://127.0.0.1:1/hook", secret, "msg_1", PAYLOAD, attempt=1)

    assert (result.ok, result.retryable, result.failure) == (False, True, FailureKind.NETWORK)


async def test_private_target_is_refused_without_sending(secret: str, receiver) -> None:
    settings = DeliverySettings(allow_http=True, allow_private_targets=False)
    async with build_client(settings) as client:
        result = await WebhookSender(client, settings).send(
            receiver.url("/ok"), secret, "msg_1", PAYLOAD, attempt=1
        )

    assert receiver.hits == []
    assert (result.ok, result.retryable, result.failure) == (False, False, FailureKind.REFUSED)
    assert "PRIVATE_TARGET" in (result.error or "")
