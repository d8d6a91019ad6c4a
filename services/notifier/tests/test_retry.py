"""Backoff schedule, retryable outcomes and the rule that switches failing endpoints off."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from tradeplane.notifier.domain.retry import (
    FailureKind,
    RetryPolicy,
    consecutive_failures,
    delay,
    is_retryable_status,
    should_disable,
)


class Fixed:
    """An rng that always draws the same value in [0, 1)."""

    def __init__(self, value: float) -> None:
        self.value = value

    def random(self) -> float:
        return self.value


MIDDLE = Fixed(0.5)  # no jitter either way
draws = st.floats(min_value=0.0, max_value=1.0, exclude_max=True)


def test_delay_without_jitter_doubles_each_attempt() -> None:
    assert [delay(n, 1.0, 2.0, 60.0, 0.2, MIDDLE) for n in range(1, 5)] == [1.0, 2.0, 4.0, 8.0]


def test_delay_is_capped_at_max_delay() -> None:
    assert delay(10, 1.0, 2.0, 30.0, 0.0, MIDDLE) == 30.0


def test_delay_of_huge_attempt_number_is_max_delay_without_overflow() -> None:
    assert delay(100_000, 1.0, 10.0, 30.0, 0.0, MIDDLE) == 30.0


@given(attempt=st.integers(min_value=1, max_value=12), draw=draws)
def test_jitter_stays_within_its_fraction_of_the_exponential_value(attempt: int, draw: float) -> None:
    exponential = 0.5 * 2.0 ** (attempt - 1)

    waited = delay(attempt, 0.5, 2.0, 10_000.0, 0.25, Fixed(draw))

    assert exponential * 0.75 <= waited <= exponential * 1.25


@given(attempt=st.integers(min_value=1, max_value=10), first=draws, second=draws)
def test_delay_grows_with_each_attempt_whatever_the_jitter(attempt: int, first: float, second: float) -> None:
    before = delay(attempt, 1.0, 2.0, 10_000.0, 0.2, Fixed(first))
    after = delay(attempt + 1, 1.0, 2.0, 10_000.0, 0.2, Fixed(second))

    assert after > before


@given(draw=draws)
def test_jittered_delay_never_exceeds_max_delay(draw: float) -> None:
    assert delay(20, 1.0, 2.0, 30.0, 0.5, Fixed(draw)) <= 30.0


def test_delay_rejects_attempt_zero() -> None:
    with pytest.raises(ValueError, match="start at 1"):
        delay(0, 1.0, 2.0, 60.0, 0.2, MIDDLE)


@pytest.mark.parametrize("status", [500, 502, 503, 504, 408, 429])
def test_server_errors_timeouts_and_throttling_are_retryable(status: int) -> None:
    assert is_retryable_status(status)


@pytest.mark.parametrize("status", [301, 302, 307, 400, 401, 403, 404, 410, 422])
def test_redirects_and_other_client_errors_are_not_retryable(status: int) -> None:
    assert not is_retryable_status(status)


@pytest.mark.parametrize("kind", [FailureKind.TIMEOUT, FailureKind.NETWORK, FailureKind.UNRESOLVABLE])
def test_transport_failures_are_retryable(kind: FailureKind) -> None:
    assert kind.retryable


@pytest.mark.parametrize("kind", [FailureKind.REDIRECT, FailureKind.REFUSED, FailureKind.INVALID_SECRET])
def test_refusals_and_redirects_are_not_retryable(kind: FailureKind) -> None:
    assert not kind.retryable


def test_policy_gives_a_delay_after_a_retryable_failure_with_attempts_left() -> None:
    assert RetryPolicy(max_attempts=3, jitter=0.0).next_delay(1, True, MIDDLE) == 1.0


def test_policy_stops_after_the_last_attempt() -> None:
    assert RetryPolicy(max_attempts=3).next_delay(3, True, MIDDLE) is None


def test_policy_stops_after_a_non_retryable_failure() -> None:
    assert RetryPolicy(max_attempts=3).next_delay(1, False, MIDDLE) is None


def test_failed_delivery_increments_consecutive_failures() -> None:
    assert consecutive_failures(4, delivered=False) == 5


def test_successful_delivery_resets_consecutive_failures() -> None:
    assert consecutive_failures(4, delivered=True) == 0


def test_endpoint_is_disabled_when_failures_reach_threshold() -> None:
    assert should_disable(10, threshold=10)


def test_endpoint_below_threshold_stays_enabled() -> None:
    assert not should_disable(9, threshold=10)


def test_threshold_zero_never_disables() -> None:
    assert not should_disable(1_000, threshold=0)
