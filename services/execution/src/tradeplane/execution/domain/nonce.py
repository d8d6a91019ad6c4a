"""Per-account nonce policy: strictly increasing nonces that heal themselves after repeated nonce errors."""

from __future__ import annotations

from dataclasses import asdict, dataclass, replace

MICROS = 1_000_000


@dataclass(frozen=True, slots=True)
class NonceState:
    high_water: int = 0
    """The highest nonce handed out (microseconds since the epoch, or beyond after a jump)."""
    consecutive_errors: int = 0
    total_errors: int = 0
    jumps: int = 0
    last_error_at: int | None = None
    """When the last nonce error happened, in microseconds since the epoch."""


def next_nonce(state: NonceState, now_us: int) -> tuple[int, NonceState]:
    """The clock in microseconds, or one past the last nonce if the clock went back or stood still."""
    nonce = max(now_us, state.high_water + 1)
    return nonce, replace(state, high_water=nonce)


def on_nonce_error(state: NonceState, now_us: int, jump_after: int = 2, jump_seconds: int = 60) -> NonceState:
    """Count a nonce error; the `jump_after`-th in a row moves the mark `jump_seconds` ahead of clock and
    mark.

    The venue has seen a nonce we have not (another client on the key, or a restored backup), so
    counting up from our mark would keep failing; jumping past it recovers without a human.
    """
    errors = state.consecutive_errors + 1
    state = replace(
        state, consecutive_errors=errors, total_errors=state.total_errors + 1, last_error_at=now_us
    )
    if errors < jump_after:
        return state
    return replace(
        state,
        high_water=max(state.high_water, now_us) + jump_seconds * MICROS,
        consecutive_errors=0,
        jumps=state.jumps + 1,
    )


def on_success(state: NonceState) -> NonceState:
    return replace(state, consecutive_errors=0)


def reset(state: NonceState, now_us: int, *, forget_high_water: bool = False) -> NonceState:
    """Clear the counters. The mark is kept (a venue never accepts a lower nonce on the same key)
    unless `forget_high_water`, which is right only for a new API key, whose nonces start afresh."""
    high_water = now_us if forget_high_water else max(state.high_water, now_us)
    return NonceState(high_water=high_water)


def stats(state: NonceState) -> dict[str, int | None]:
    return asdict(state)
