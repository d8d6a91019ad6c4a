"""Send one signed webhook attempt and report its outcome; safe to share between concurrent tasks."""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import httpx

from ..domain.retry import FailureKind, is_retryable_status, is_success
from .settings import DeliverySettings
from .signing import InvalidSecret, signed_headers
from .ssrf import RefusalCode, Resolver, UrlRefused, check_url, resolve_host

logger = logging.getLogger(__name__)

USER_AGENT = "Tradeplane-Webhooks/1"
_MAX_ERROR_LENGTH = 500


@dataclass(frozen=True, slots=True)
class DeliveryResult:
    """The outcome of one attempt; `retryable` says whether another attempt could succeed."""

    status_code: int | None
    ok: bool
    retryable: bool
    latency_ms: int
    error: str | None = None
    failure: FailureKind | None = None


def encode_body(payload: Mapping[str, Any]) -> str:
    """The exact text that is signed and sent."""
    return json.dumps(payload, separators=(",", ":"), ensure_ascii=False)


def _now() -> datetime:
    return datetime.now(UTC)


class WebhookSender:
    """Checks the target, signs and POSTs one attempt, bounded in total by the delivery timeout.

    Give it the client from `transport.build_client` so connections are pinned to checked
    addresses; with another client only the check just before sending guards against DNS rebinding.
    """

    def __init__(
        self,
        client: httpx.AsyncClient,
        settings: DeliverySettings,
        *,
        resolver: Resolver = resolve_host,
        clock: Callable[[], datetime] = _now,
    ) -> None:
        self._client = client
        self._settings = settings
        self._resolver = resolver
        self._clock = clock

    async def send(
        self, endpoint_url: str, secret: str, webhook_id: str, payload: Mapping[str, Any], attempt: int
    ) -> DeliveryResult:
        started = time.perf_counter()
        status_code: int | None = None
        failure: FailureKind | None = None
        error: str | None = None
        try:
            async with asyncio.timeout(self._settings.timeout_seconds):
                status_code = await self._post(endpoint_url, secret, webhook_id, encode_body(payload))
        except UrlRefused as exc:
            unresolvable = exc.code is RefusalCode.UNRESOLVABLE
            failure, error = (FailureKind.UNRESOLVABLE if unresolvable else FailureKind.REFUSED), str(exc)
        except InvalidSecret as exc:
            failure, error = FailureKind.INVALID_SECRET, str(exc)
        except (TimeoutError, httpx.TimeoutException):
            failure, error = FailureKind.TIMEOUT, f"no response within {self._settings.timeout_seconds}s"
        except httpx.HTTPError as exc:
            failure, error = FailureKind.NETWORK, f"{type(exc).__name__}: {exc}"
        latency_ms = round((time.perf_counter() - started) * 1000)
        result = _result(status_code, failure, error, latency_ms)
        _log(endpoint_url, webhook_id, attempt, result)
        return result

    async def _post(self, url: str, secret: str, webhook_id: str, body: str) -> int:
        settings = self._settings
        target = await check_url(
            url,
            allow_http=settings.allow_http,
            allow_private=settings.allow_private_targets,
            resolver=self._resolver,
        )
        headers = {"content-type": "application/json", "user-agent": USER_AGENT}
        headers |= signed_headers(secret, webhook_id, self._clock(), body)
        request = self._client.stream(
            "POST",
            target.url,
            content=body.encode("utf-8"),
            headers=headers,
            follow_redirects=False,
            timeout=settings.timeout_seconds,
        )
        # The body is never read: only the status matters, and a huge or trickling body costs nothing.
        async with request as response:
            return response.status_code


def _result(
    status_code: int | None, failure: FailureKind | None, error: str | None, latency_ms: int
) -> DeliveryResult:
    if status_code is None:
        kind = failure or FailureKind.NETWORK
        return DeliveryResult(
            None, False, kind.retryable, latency_ms, (error or "")[:_MAX_ERROR_LENGTH], kind
        )
    if is_success(status_code):
        return DeliveryResult(status_code, True, False, latency_ms)
    if 300 <= status_code < 400:
        message = f"redirect {status_code} not followed"
        return DeliveryResult(status_code, False, False, latency_ms, message, FailureKind.REDIRECT)
    retryable = is_retryable_status(status_code)
    return DeliveryResult(
        status_code, False, retryable, latency_ms, f"HTTP {status_code}", FailureKind.HTTP_STATUS
    )


def _log(url: str, webhook_id: str, attempt: int, result: DeliveryResult) -> None:
    # Only the host: paths and queries of webhook URLs often embed tokens.
    try:
        host = httpx.URL(url).host
    except httpx.InvalidURL:
        host = "<invalid>"
    outcome = "ok" if result.ok else f"failed ({result.failure}: {result.error})"
    logger.info(
        "webhook %s attempt %d to %s: %s status=%s in %dms",
        webhook_id, attempt, host, outcome, result.status_code, result.latency_ms,
    )  # fmt: skip
