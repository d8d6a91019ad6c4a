"""The nonce policy: strictly increasing under a clock that goes back, and a jump after repeated errors."""

from __future__ import annotations

from itertools import pairwise

from hypothesis import given
from hypothesis import strategies as st
from tradeplane.execution.domain.nonce import (
    MICROS,
    NonceState,
    next_nonce,
    on_nonce_error,
    on_success,
    reset,
    stats,
)

NOW = 1_736_164_800 * MICROS


def test_first_nonce_is_the_clock_in_microseconds() -> None:
    nonce, state = next_nonce(NonceState(), NOW)

    assert (nonce, state.high_water) == (NOW, NOW)


def test_nonce_keeps_increasing_when_the_clock_goes_back() -> None:
    first, state = next_nonce(NonceState(), NOW)

    second, _ = next_nonce(state, NOW - 5 * MICROS)

    assert second == first + 1


def test_nonce_keeps_increasing_when_the_clock_stands_still() -> None:
    first, state = next_nonce(NonceState(), NOW)

    second, _ = next_nonce(state, NOW)

    assert second == first + 1


@given(st.lists(st.integers(min_value=0, max_value=2**53), min_size=1, max_size=50))
def test_nonces_strictly_increase_whatever_the_clock_does(clock: list[int]) -> None:
    state = NonceState()
    nonces = []
    for now in clock:
        nonce, state = next_nonce(state, now)
        nonces.append(nonce)

    assert all(a < b for a, b in pairwise(nonces))


def test_one_nonce_error_is_counted_without_a_jump() -> None:
    state = on_nonce_error(NonceState(high_water=NOW), NOW)

    assert (state.high_water, state.consecutive_errors, state.total_errors) == (NOW, 1, 1)
    assert state.last_error_at == NOW


def test_second_consecutive_nonce_error_jumps_sixty_seconds_ahead() -> None:
    state = on_nonce_error(on_nonce_error(NonceState(high_water=NOW), NOW), NOW + 10)

    nonce, _ = next_nonce(state, NOW + 20)

    assert nonce == NOW + 10 + 60 * MICROS + 1
    assert (state.jumps, state.consecutive_errors, state.total_errors) == (1, 0, 2)


def test_jump_starts_from_the_high_water_mark_when_it_is_ahead_of_the_clock() -> None:
    ahead = NOW + 300 * MICROS
    state = on_nonce_error(on_nonce_error(NonceState(high_water=ahead), NOW), NOW)

    assert state.high_water == ahead + 60 * MICROS


def test_jump_threshold_and_size_are_settable() -> None:
    state = NonceState(high_water=NOW)
    for _ in range(3):
        state = on_nonce_error(state, NOW, jump_after=3, jump_seconds=5)

    assert (state.high_water, state.jumps) == (NOW + 5 * MICROS, 1)


def test_success_between_errors_prevents_the_jump() -> None:
    state = on_success(on_nonce_error(NonceState(high_water=NOW), NOW))

    state = on_nonce_error(state, NOW)

    assert (state.jumps, state.high_water, state.total_errors) == (0, NOW, 2)


def test_reset_clears_the_counters_but_keeps_the_high_water_mark() -> None:
    ahead = NOW + 60 * MICROS
    state = on_nonce_error(NonceState(high_water=ahead, jumps=3, total_errors=7), NOW)

    state = reset(state, NOW)

    assert state == NonceState(high_water=ahead)


def test_reset_for_a_new_key_returns_the_mark_to_the_clock() -> None:
    state = reset(NonceState(high_water=NOW + 600 * MICROS, jumps=2), NOW, forget_high_water=True)

    assert next_nonce(state, NOW + 1)[0] == NOW + 1


def test_stats_report_every_counter() -> None:
    state = on_nonce_error(NonceState(high_water=NOW), NOW)

    assert stats(state) == {
        "high_water": NOW,
        "consecutive_errors": 1,
        "total_errors": 1,
        "jumps": 0,
        "last_error_at": NOW,
    }
