"""Deliver one event to one endpoint: attempts with backoff until success or the policy gives up."""

from __future__ import annotations

import asyncio
import random
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from tradeplane.notifier.adapters.sender import DeliveryResult, WebhookSender
from tradeplane.notifier.domain.retry import RandomSource, RetryPolicy

_RNG = random.Random()


async def deliver(
    sender: WebhookSender,
    endpoint_url: str,
    secret: str,
    webhook_id: str,
    payload: Mapping[str, Any],
    policy: RetryPolicy,
    *,
    rng: RandomSource = _RNG,
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
) -> list[DeliveryResult]:
    """Every attempt's result, in order; the delivery succeeded when the last one is `ok`."""
    results: list[DeliveryResult] = []
    attempt = 1
    while True:
        result = await sender.send(endpoint_url, secret, webhook_id, payload, attempt)
        results.append(result)
        wait = None if result.ok else policy.next_delay(attempt, result.retryable, rng)
        if wait is None:
            return results
        await sleep(wait)
        attempt += 1
