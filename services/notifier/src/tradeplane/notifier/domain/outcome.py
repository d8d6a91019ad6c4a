"""What one attempt means for its delivery, and the success-rate figure of the statistics."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, Decimal
from enum import StrEnum

from .retry import RandomSource, RetryPolicy


class DeliveryStatus(StrEnum):
    PENDING = "pending"
    SUCCEEDED = "succeeded"
    FAILED = "failed"


@dataclass(frozen=True, slots=True)
class Outcome:
    """The delivery's status after an attempt; `retry_in` seconds when another attempt is due."""

    status: DeliveryStatus
    retry_in: float | None = None


def after_attempt(ok: bool, retryable: bool, attempt: int, policy: RetryPolicy, rng: RandomSource) -> Outcome:
    if ok:
        return Outcome(DeliveryStatus.SUCCEEDED)
    wait = policy.next_delay(attempt, retryable, rng)
    if wait is None:
        return Outcome(DeliveryStatus.FAILED)
    return Outcome(DeliveryStatus.PENDING, wait)


_RATE_PLACES = Decimal("0.0001")


def success_rate(succeeded: int, failed: int) -> Decimal | None:
    """Share of finished deliveries that succeeded (0..1, four places), None before any finished."""
    finished = succeeded + failed
    if finished == 0:
        return None
    return (Decimal(succeeded) / Decimal(finished)).quantize(_RATE_PLACES, ROUND_HALF_EVEN)
