"""Refresh-token rotation decisions."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta

from tradeplane.gateway.auth.refresh import StoredRefresh, Verdict, digest, judge, new_refresh_token

NOW = datetime(2026, 1, 1, 12, tzinfo=UTC)
LATER = NOW + timedelta(days=30)


def test_unused_unexpired_token_of_a_live_session_is_valid() -> None:
    assert judge(StoredRefresh(LATER, None, None), NOW) is Verdict.VALID


def test_unknown_token_is_invalid() -> None:
    assert judge(None, NOW) is Verdict.UNKNOWN


def test_token_used_before_is_a_reuse() -> None:
    assert judge(StoredRefresh(LATER, NOW - timedelta(minutes=1), None), NOW) is Verdict.REUSED


def test_token_of_a_revoked_session_is_revoked_even_if_reused() -> None:
    stored = StoredRefresh(LATER, NOW - timedelta(minutes=1), NOW - timedelta(seconds=5))

    assert judge(stored, NOW) is Verdict.REVOKED


def test_expired_token_is_expired() -> None:
    assert judge(StoredRefresh(NOW, None, None), NOW) is Verdict.EXPIRED


def test_verdict_values_are_the_api_error_codes() -> None:
    assert [v.value for v in (Verdict.REUSED, Verdict.EXPIRED, Verdict.UNKNOWN)] == [
        "TOKEN_REUSED",
        "TOKEN_EXPIRED",
        "INVALID_TOKEN",
    ]


def test_tokens_are_stored_as_sha256_digests() -> None:
    token = new_refresh_token()

    assert digest(token) == hashlib.sha256(token.encode()).hexdigest() != token


def test_new_tokens_are_long_and_distinct() -> None:
    tokens = {new_refresh_token() for _ in range(100)}

    assert len(tokens) == 100 and min(len(t) for t in tokens) >= 43
