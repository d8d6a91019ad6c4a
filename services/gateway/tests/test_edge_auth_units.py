"""Login backoff and locks, TOTP codes and recovery codes, rate limit buckets and overrides, the
session cache (the parts of issue 16 that need no database)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace
from typing import Any

import pyotp
import pytest
from tradeplane.gateway.auth import lockout, totp
from tradeplane.gateway.auth.cache import Entry, SessionCache
from tradeplane.gateway.auth.sessions import Lifetime
from tradeplane.gateway.config import Settings
from tradeplane.gateway.ratelimit import Bucket, Limits, bucket_of
from tradeplane.runtime.crypto import Keyring

NOW = datetime(2026, 12, 7, 12, 0, tzinfo=UTC)
POLICY = lockout.Policy(backoff_after=3, backoff_seconds=1.0, lock_failures=10, lock=timedelta(minutes=15))


def state(failures: int, ago: float, locked_for: float | None = None) -> Any:
    locked = NOW + timedelta(seconds=locked_for) if locked_for is not None else None
    return SimpleNamespace(
        failures=failures, last_failure_at=NOW - timedelta(seconds=ago), locked_until=locked
    )


def test_the_first_failures_cost_no_wait_then_each_doubles_up_to_the_lock() -> None:
    waits = [POLICY.wait(n).total_seconds() for n in range(1, 8)]

    assert waits == [0, 0, 1, 2, 4, 8, 16]
    assert POLICY.wait(60) == POLICY.lock


def test_an_attempt_inside_the_backoff_is_refused_and_one_after_it_is_checked() -> None:
    refused = lockout.refusal(state(4, ago=1), "account:a@x", POLICY, NOW)

    assert refused is not None and refused.code == "RATE_LIMITED" and refused.retry_after == 1
    assert refused.counts
    assert lockout.refusal(state(4, ago=3), "account:a@x", POLICY, NOW) is None
    assert lockout.refusal(state(2, ago=0), "account:a@x", POLICY, NOW) is None


def test_a_locked_key_is_refused_until_the_lock_ends_without_counting() -> None:
    refused = lockout.refusal(state(0, ago=5, locked_for=600), "ip:10.0.0.1", POLICY, NOW)

    assert refused is not None and refused.code == "LOGIN_LOCKED" and refused.retry_after == 600
    assert not refused.counts
    assert lockout.refusal(state(0, ago=5, locked_for=-1), "ip:10.0.0.1", POLICY, NOW) is None


def test_failures_older_than_the_lock_are_forgotten() -> None:
    assert lockout.refusal(state(9, ago=15 * 60), "account:a@x", POLICY, NOW) is None


def test_the_ip_policy_locks_later_and_backs_off_later_than_the_account() -> None:
    account, ip = lockout.policies(Settings())

    assert (account.lock_failures, ip.lock_failures) == (10, 50)
    assert ip.backoff_after > account.backoff_after
    assert lockout.keys_of(" A@X.io ", "10.0.0.1", (account, ip)).keys() == {"account:a@x.io", "ip:10.0.0.1"}


def test_a_totp_code_matches_its_own_step_and_the_neighbours_only() -> None:
    secret = totp.new_secret()
    code = pyotp.TOTP(secret).at(NOW)
    step = int(NOW.timestamp()) // 30

    assert totp.matching_step(secret, code, NOW) == step
    assert totp.matching_step(secret, code, NOW + timedelta(seconds=30)) == step
    assert totp.matching_step(secret, code, NOW + timedelta(seconds=90)) is None
    assert totp.matching_step(secret, "12345", NOW) is None
    assert totp.matching_step(secret, "abcdef", NOW) is None


def test_the_totp_secret_is_sealed_to_its_user() -> None:
    keyring = Keyring.parse(Keyring.generate_key())
    user, other = uuid.uuid4(), uuid.uuid4()
    sealed = totp.seal(keyring, user, "JBSWY3DPEHPK3PXP")

    assert b"JBSWY3DPEHPK3PXP" not in sealed
    assert totp.unseal(keyring, user, sealed) == "JBSWY3DPEHPK3PXP"
    with pytest.raises(Exception):  # noqa: B017 - AES-GCM refuses another user's context
        totp.unseal(keyring, other, sealed)


def test_recovery_codes_are_distinct_and_their_digest_ignores_case_and_dashes() -> None:
    codes = totp.new_recovery_codes()

    assert len(set(codes)) == len(codes) == 10
    assert totp.recovery_digest(codes[0]) == totp.recovery_digest(codes[0].upper().replace("-", " "))
    assert totp.recovery_digest(codes[0]) != totp.recovery_digest(codes[1])
    assert not totp.looks_like_totp(codes[0])


def test_otpauth_url_names_the_issuer_and_the_account() -> None:
    url = totp.otpauth_url(totp.new_secret(), "trader@example.com")

    assert url.startswith("otpauth://totp/Tradeplane:trader%40example.com?") and "issuer=Tradeplane" in url


@pytest.mark.parametrize(
    ("method", "path", "bucket"),
    [
        ("POST", "/api/orders", Bucket.TRADING),
        ("DELETE", "/api/orders/5a0f1d2e-1111-4222-8333-444455556666", Bucket.TRADING),
        ("POST", "/api/killswitch/activate", Bucket.TRADING),
        ("POST", "/api/killswitch/deactivate", Bucket.TRADING),
        ("GET", "/api/orders", Bucket.GENERAL),
        ("GET", "/api/killswitch/status", Bucket.GENERAL),
        ("GET", "/api/market/prices", Bucket.MARKET),
        ("POST", "/api/webhooks/5a0f1d2e-1111-4222-8333-444455556666/test", Bucket.COSTLY),
        ("POST", "/api/venues/5a0f1d2e-1111-4222-8333-444455556666/sync", Bucket.COSTLY),
        ("GET", "/api/portfolio", Bucket.GENERAL),
    ],
)
def test_each_request_counts_in_one_bucket(method: str, path: str, bucket: Bucket) -> None:
    assert bucket_of(method, path) is bucket


def test_the_seeds_limits_are_the_defaults_and_an_admin_override_raises_one_user() -> None:
    defaults = Limits.of(Settings())
    raised = defaults.for_user({"tradingPerMinute": 500, "marketPerMinute": None, "requestsPerMinute": 0})

    assert defaults.per_minute[Bucket.GENERAL] == 100
    assert defaults.per_minute[Bucket.TRADING] == 20
    assert defaults.per_minute[Bucket.MARKET] == 300
    assert raised.per_minute[Bucket.TRADING] == 500
    assert raised.per_minute[Bucket.GENERAL] == 100 and raised.per_minute[Bucket.MARKET] == 300
    assert defaults.for_user(None) is defaults


def _entry(user: uuid.UUID, expires: datetime = NOW + timedelta(minutes=15)) -> Entry:
    return Entry(SimpleNamespace(), user, expires, NOW)  # type: ignore[arg-type]


def test_the_cache_drops_a_users_sessions_or_one_session_when_told() -> None:
    cache = SessionCache()
    alice, bob = uuid.uuid4(), uuid.uuid4()
    a1, a2, b1 = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    for sid, user in ((a1, alice), (a2, alice), (b1, bob)):
        cache.put(sid, _entry(user))

    cache.forget({"userId": str(alice), "sessionId": str(a1)})
    assert cache.get(a1, NOW) is None and cache.get(a2, NOW) is not None

    cache.forget({"userId": str(alice)})
    assert cache.get(a2, NOW) is None and cache.get(b1, NOW) is not None

    cache.forget({"userId": "not-a-uuid"})
    assert len(cache) == 0


def test_a_cached_check_ends_with_its_token() -> None:
    cache = SessionCache()
    sid = uuid.uuid4()
    cache.put(sid, _entry(uuid.uuid4(), expires=NOW + timedelta(seconds=1)))

    assert cache.get(sid, NOW) is not None
    assert cache.get(sid, NOW + timedelta(seconds=1)) is None
    assert len(cache) == 0


def test_a_session_ends_when_idle_or_past_its_lifetime() -> None:
    lifetime = Lifetime(idle=timedelta(minutes=30), absolute=timedelta(hours=24))

    assert lifetime.ended(NOW - timedelta(hours=1), NOW - timedelta(minutes=29), NOW) is None
    assert lifetime.ended(NOW - timedelta(hours=1), NOW - timedelta(minutes=30), NOW) == "idle"
    assert lifetime.ended(NOW - timedelta(hours=24), NOW, NOW) == "expired"
