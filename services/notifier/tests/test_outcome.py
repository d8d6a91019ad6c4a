"""What one attempt means for its delivery, and the success rate of the statistics."""

from __future__ import annotations

from decimal import Decimal

from tradeplane.notifier.domain.outcome import DeliveryStatus, Outcome, after_attempt, success_rate
from tradeplane.notifier.domain.retry import RetryPolicy

POLICY = RetryPolicy(max_attempts=3, base_delay=1.0, factor=2.0, max_delay=60.0, jitter=0.0)


class Middle:
    def random(self) -> float:
        return 0.5


def test_successful_attempt_settles_the_delivery() -> None:
    assert after_attempt(True, False, 1, POLICY, Middle()) == Outcome(DeliveryStatus.SUCCEEDED)


def test_retryable_failure_before_the_last_attempt_stays_pending_with_backoff() -> None:
    assert after_attempt(False, True, 2, POLICY, Middle()) == Outcome(DeliveryStatus.PENDING, 2.0)


def test_retryable_failure_of_the_last_attempt_fails_the_delivery() -> None:
    assert after_attempt(False, True, 3, POLICY, Middle()).status is DeliveryStatus.FAILED


def test_non_retryable_failure_fails_at_once() -> None:
    assert after_attempt(False, False, 1, POLICY, Middle()).status is DeliveryStatus.FAILED


def test_success_rate_is_unknown_before_any_delivery_finished() -> None:
    assert success_rate(0, 0) is None


def test_success_rate_is_a_four_place_fraction_of_finished_deliveries() -> None:
    assert success_rate(2, 1) == Decimal("0.6667")
