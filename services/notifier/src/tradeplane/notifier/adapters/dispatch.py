"""One attempt of one claimed delivery: send it, record it, and switch off an endpoint that keeps failing."""

from __future__ import annotations

import json
import logging
import random
from dataclasses import dataclass
from datetime import UTC, datetime
from uuid import uuid4

from cryptography.exceptions import InvalidTag
from sqlalchemy.ext.asyncio import AsyncEngine
from tradeplane.contracts import AuditRecorded, new_meta, subjects
from tradeplane.runtime.crypto import Keyring
from tradeplane.runtime.outbox import Outbox, Tx

from .. import metrics
from ..domain import notices
from ..domain.outcome import DeliveryStatus, after_attempt
from ..domain.payloads import NoticeType
from ..domain.retry import FailureKind, RandomSource, should_disable
from . import deliveries, endpoints
from .deliveries import Claimed
from .sender import DeliveryResult, WebhookSender
from .settings import DeliverySettings

log = logging.getLogger(__name__)
ENDPOINT_DISABLED = "webhook.endpoint.disabled"
"""The audit action of an endpoint switched off after failing: compliance raises an alert from it."""


@dataclass(frozen=True, slots=True)
class Followup:
    """What the worker should do next: wake for a retry in `retry_in` seconds, or at once for new work."""

    retry_in: float | None = None
    queued_more: bool = False


class Dispatcher:
    def __init__(
        self,
        engine: AsyncEngine,
        sender: WebhookSender,
        keyring: Keyring,
        settings: DeliverySettings,
        owner: str,
        outbox: Outbox,
        rng: RandomSource | None = None,
    ) -> None:
        self._engine = engine
        self._outbox = outbox
        self._sender = sender
        self._keyring = keyring
        self._settings = settings
        self._policy = settings.retry_policy
        self._owner = owner
        self._rng = rng or random.Random()

    async def __call__(self, claimed: Claimed) -> Followup:
        if not claimed.enabled and claimed.event_type != NoticeType.TEST:
            async with self._engine.begin() as conn:
                await deliveries.abandon(conn, claimed, self._owner, "endpoint disabled before delivery")
            metrics.DELIVERIES.labels("abandoned").inc()
            return Followup()
        attempt = claimed.attempts + 1
        result = await self._send(claimed, attempt)
        outcome = after_attempt(result.ok, result.retryable, attempt, self._policy, self._rng)
        metrics.ATTEMPTS.labels("ok" if result.ok else (result.failure or "failed")).inc()
        metrics.LATENCY.observe(result.latency_ms / 1000)
        queued_more = False
        async with self._outbox.transaction() as tx:
            conn = tx.conn
            if not await deliveries.settle(conn, claimed, self._owner, result, outcome):
                # Deleted with its endpoint meanwhile, or taken over by another worker after the lease ran
                # out.
                log.warning(
                    "a delivery changed hands during its attempt", extra={"delivery": str(claimed.id)}
                )
                return Followup()
            await deliveries.add_attempt(conn, claimed.id, attempt, result, self._owner)
            if outcome.status is not DeliveryStatus.PENDING:
                metrics.DELIVERIES.labels(outcome.status.value).inc()
            if outcome.status is not DeliveryStatus.PENDING and claimed.event_type != NoticeType.TEST:
                queued_more = await self._count(tx, claimed, outcome.status is DeliveryStatus.SUCCEEDED)
        return Followup(retry_in=outcome.retry_in, queued_more=queued_more)

    async def _send(self, claimed: Claimed, attempt: int) -> DeliveryResult:
        try:
            secret = self._keyring.decrypt(claimed.secret_sealed, claimed.endpoint_id.bytes).decode()
        except (KeyError, InvalidTag, UnicodeDecodeError):
            log.error("cannot unseal an endpoint secret", extra={"endpoint": str(claimed.endpoint_id)})
            return DeliveryResult(
                None, False, False, 0, "the endpoint secret cannot be unsealed", FailureKind.INVALID_SECRET
            )
        payload = json.loads(claimed.body)
        return await self._sender.send(claimed.url, secret, claimed.webhook_id, payload, attempt)

    async def _count(self, tx: Tx, claimed: Claimed, delivered: bool) -> bool:
        """Track the failure streak; past the threshold, disable the endpoint, tell the user elsewhere and
        record it in the audit trail (which raises the user's alert)."""
        conn = tx.conn
        endpoint = await endpoints.count_delivery(conn, claimed.endpoint_id, delivered)
        threshold = self._settings.disable_after_failures
        if endpoint is None or delivered or not should_disable(endpoint.consecutive_failures, threshold):
            return False
        failures = endpoint.consecutive_failures
        disabled = await endpoints.disable(
            conn, claimed.endpoint_id, f"{failures} failed deliveries in a row"
        )
        if disabled is None:
            return False
        metrics.DISABLED.inc()
        log.warning("disabled a failing webhook endpoint", extra={"endpoint": str(claimed.endpoint_id)})
        audit = AuditRecorded(
            meta=new_meta("notifier"),
            actor="notifier",
            action=ENDPOINT_DISABLED,
            target=str(claimed.user_id),
            reason=f"{failures} failed deliveries in a row",
            details={"endpointId": str(claimed.endpoint_id), "userId": str(claimed.user_id)},
        )
        tx.emit(subjects.audit("notifier", ENDPOINT_DISABLED), audit)
        others = await endpoints.other_enabled(conn, claimed.user_id, claimed.endpoint_id)
        notice = notices.endpoint_disabled(
            uuid4(), claimed.user_id, claimed.endpoint_id, disabled.url, failures, datetime.now(UTC)
        )
        return bool(await deliveries.enqueue(conn, others, notice))
