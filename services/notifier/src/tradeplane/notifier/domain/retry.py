"""When to retry a webhook delivery, how long to wait, and when to give up on an endpoint."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol

# Past this exponent every realistic schedule is already at its cap; it also keeps `factor ** n` finite.
_MAX_EXPONENT = 64


class RandomSource(Protocol):
    def random(self) -> float: ...


def delay(
    attempt: int, base: float, factor: float, max_delay: float, jitter: float, rng: RandomSource
) -> float:
    """Seconds to wait after failed attempt number `attempt` (1-based).

    The exponential value `base * factor ** (attempt - 1)`, capped at `max_delay`, is spread by up to
    `jitter` (a fraction) either way so that endpoints failing together do not retry in lockstep.
    """
    if attempt < 1:
        raise ValueError("attempt numbers start at 1")
    if not 0 <= jitter <= 1:
        raise ValueError("jitter is a fraction between 0 and 1")
    raw = min(max_delay, base * factor ** min(attempt - 1, _MAX_EXPONENT))
    spread = raw * jitter * (2 * rng.random() - 1)
    return max(0.0, min(max_delay, raw + spread))


class FailureKind(StrEnum):
    """Why one delivery attempt failed."""

    TIMEOUT = "timeout"
    NETWORK = "network"
    UNRESOLVABLE = "unresolvable"
    HTTP_STATUS = "http_status"
    REDIRECT = "redirect"
    REFUSED = "refused"
    INVALID_SECRET = "invalid_secret"

    @property
    def retryable(self) -> bool:
        """Whether the same request may succeed later; HTTP_STATUS depends on the status itself."""
        return self in (FailureKind.TIMEOUT, FailureKind.NETWORK, FailureKind.UNRESOLVABLE)


def is_success(status_code: int) -> bool:
    return 200 <= status_code < 300


def is_retryable_status(status_code: int) -> bool:
    """5xx, 408 and 429 may pass later; other 4xx and any 3xx will not (redirects are never followed)."""
    return status_code >= 500 or status_code in (408, 429)


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """How many attempts one delivery gets and the backoff between them."""

    max_attempts: int = 3
    base_delay: float = 1.0
    factor: float = 2.0
    max_delay: float = 60.0
    jitter: float = 0.2

    def next_delay(self, attempt: int, retryable: bool, rng: RandomSource) -> float | None:
        """Seconds before the next attempt after `attempt` failed, or None when the delivery is over."""
        if not retryable or attempt >= self.max_attempts:
            return None
        return delay(attempt, self.base_delay, self.factor, self.max_delay, self.jitter, rng)


def consecutive_failures(previous: int, delivered: bool) -> int:
    """The endpoint's failed-deliveries-in-a-row count after one more delivery ends."""
    return 0 if delivered else previous + 1


def should_disable(failures_in_a_row: int, threshold: int) -> bool:
    """An endpoint that failed `threshold` whole deliveries in a row is switched off."""
    return threshold > 0 and failures_in_a_row >= threshold
