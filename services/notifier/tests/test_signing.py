"""Headers and body of a delivery, checked through httpx.MockTransport (no network)."""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime
from uuid import UUID

import httpx
import pytest
from standardwebhooks.webhooks import Webhook
from tradeplane.notifier.adapters.sender import WebhookSender, encode_body
from tradeplane.notifier.adapters.settings import DeliverySettings
from tradeplane.notifier.adapters.signing import generate_secret, signed_headers
from tradeplane.notifier.domain.payloads import webhook_id
from tradeplane.notifier.domain.retry import FailureKind

URL = "https://127.0.0.1/hook"
PAYLOAD = {"type": "trade_entry", "timestamp": "2026-01-17T22:00:00Z", "data": {"symbol": "BTC/USD"}}
SENT_AT = datetime(2026, 1, 17, 22, 0, 5, tzinfo=UTC)
ENDPOINT = UUID("44444444-4444-4444-4444-444444444444")
EVENT = UUID("55555555-5555-5555-5555-555555555555")
EVENT_AT_ENDPOINT_ID = "msg_8f7bbd9a766e556a81b396cd0d01a92d"
"""The webhook-id of EVENT at ENDPOINT, pinned: receivers deduplicate by it across attempts and releases."""


class Capture:
    def __init__(self) -> None:
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        return httpx.Response(204)


@pytest.fixture
def capture() -> Capture:
    return Capture()


@pytest.fixture
def sender(capture: Capture) -> WebhookSender:
    settings = DeliverySettings(allow_private_targets=True)
    client = httpx.AsyncClient(transport=httpx.MockTransport(capture))
    return WebhookSender(client, settings, clock=lambda: SENT_AT)


async def test_request_carries_json_content_type_and_three_webhook_headers(
    sender: WebhookSender, capture: Capture, secret: str
) -> None:
    await sender.send(URL, secret, "msg_abc", PAYLOAD, attempt=1)

    headers = capture.requests[0].headers
    assert headers["content-type"] == "application/json"
    assert headers["webhook-id"] == "msg_abc"
    assert headers["webhook-timestamp"] == str(int(SENT_AT.timestamp()))
    assert headers["webhook-signature"].startswith("v1,")


async def test_request_body_is_the_compact_json_payload(
    sender: WebhookSender, capture: Capture, secret: str
) -> None:
    await sender.send(URL, secret, "msg_abc", PAYLOAD, attempt=1)

    assert capture.requests[0].content == encode_body(PAYLOAD).encode()
    assert json.loads(capture.requests[0].content) == PAYLOAD


async def test_webhook_id_is_the_same_on_every_attempt(
    sender: WebhookSender, capture: Capture, secret: str
) -> None:
    # Each attempt derives the id afresh, as a delivery stored for (endpoint, event) does.
    for attempt in (1, 2, 3):
        await sender.send(URL, secret, webhook_id(ENDPOINT, EVENT), PAYLOAD, attempt=attempt)

    assert [r.headers["webhook-id"] for r in capture.requests] == [EVENT_AT_ENDPOINT_ID] * 3


async def test_undecodable_secret_fails_without_sending(sender: WebhookSender, capture: Capture) -> None:
    result = await sender.send(URL, "whsec_", "msg_abc", PAYLOAD, attempt=1)

    assert capture.requests == []
    assert (result.ok, result.retryable, result.failure) == (False, False, FailureKind.INVALID_SECRET)


async def test_secret_never_appears_in_logs(
    sender: WebhookSender, secret: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)

    await sender.send(URL, secret, "msg_abc", PAYLOAD, attempt=1)

    assert caplog.records
    assert secret.removeprefix("whsec_") not in caplog.text


def test_generated_secret_signs_a_body_the_library_verifies() -> None:
    secret = generate_secret()
    now = datetime.now(UTC)

    headers = signed_headers(secret, "msg_1", now, '{"a":1}')

    assert Webhook(secret).verify('{"a":1}', headers) == {"a": 1}


def test_generated_secrets_differ() -> None:
    assert generate_secret() != generate_secret()
