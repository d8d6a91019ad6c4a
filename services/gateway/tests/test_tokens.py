"""Access tokens: HS256 pinned, expiry, required claims."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import jwt
import pytest
from tradeplane.contracts import Role
from tradeplane.gateway.auth.tokens import AccessTokens, TokenError

SECRET = "a-test-secret-long-enough-for-any-hmac-algorithm-0123456789abcdef"


@pytest.fixture
def tokens() -> AccessTokens:
    return AccessTokens(SECRET, timedelta(minutes=15))


def _claims(**over: object) -> dict[str, object]:
    now = datetime.now(UTC)
    claims: dict[str, object] = {
        "sub": str(uuid.uuid4()),
        "role": "trader",
        "sid": str(uuid.uuid4()),
        "iat": now,
        "exp": now + timedelta(minutes=5),
        "jti": "x",
        "typ": "access",
    }
    return claims | over


def test_issued_token_decodes_to_its_user_role_and_session(tokens: AccessTokens) -> None:
    user, session = uuid.uuid4(), uuid.uuid4()
    token, expires = tokens.issue(user, Role.ADMIN, session)

    claims = tokens.decode(token)

    assert (claims.user_id, claims.role, claims.session_id, claims.expires_at) == (
        user,
        Role.ADMIN,
        session,
        expires,
    )


def test_token_carries_the_required_claims(tokens: AccessTokens) -> None:
    token, _ = tokens.issue(uuid.uuid4(), Role.TRADER, uuid.uuid4())

    claims = jwt.decode(token, SECRET, algorithms=["HS256"])

    assert {"sub", "role", "exp", "iat", "jti", "typ"} <= set(claims) and claims["typ"] == "access"


def test_token_lives_fifteen_minutes(tokens: AccessTokens) -> None:
    now = datetime(2026, 1, 1, tzinfo=UTC)

    _, expires = tokens.issue(uuid.uuid4(), Role.TRADER, uuid.uuid4(), now=now)

    assert expires - now == timedelta(minutes=15)


def test_expired_token_is_refused_as_expired(tokens: AccessTokens) -> None:
    token, _ = tokens.issue(
        uuid.uuid4(), Role.TRADER, uuid.uuid4(), now=datetime.now(UTC) - timedelta(hours=1)
    )

    with pytest.raises(TokenError) as err:
        tokens.decode(token)

    assert err.value.code == "TOKEN_EXPIRED"


def test_token_signed_with_another_secret_is_refused(tokens: AccessTokens) -> None:
    token = jwt.encode(_claims(), "another-secret-that-is-long-enough-for-hs256", algorithm="HS256")

    with pytest.raises(TokenError) as err:
        tokens.decode(token)

    assert err.value.code == "INVALID_TOKEN"


def test_token_with_another_algorithm_is_refused_even_with_the_right_secret(tokens: AccessTokens) -> None:
    token = jwt.encode(_claims(), SECRET, algorithm="HS512")

    with pytest.raises(TokenError):
        tokens.decode(token)


def test_unsigned_token_is_refused(tokens: AccessTokens) -> None:
    token = jwt.encode(_claims(), "", algorithm="none")

    with pytest.raises(TokenError):
        tokens.decode(token)


def test_token_of_another_type_is_refused(tokens: AccessTokens) -> None:
    token = jwt.encode(_claims(typ="refresh"), SECRET, algorithm="HS256")

    with pytest.raises(TokenError):
        tokens.decode(token)


def test_token_without_a_session_is_refused(tokens: AccessTokens) -> None:
    claims = _claims()
    del claims["sid"]

    with pytest.raises(TokenError):
        tokens.decode(jwt.encode(claims, SECRET, algorithm="HS256"))


def test_token_with_an_unknown_role_is_refused(tokens: AccessTokens) -> None:
    with pytest.raises(TokenError):
        tokens.decode(jwt.encode(_claims(role="root"), SECRET, algorithm="HS256"))


def test_garbage_is_refused(tokens: AccessTokens) -> None:
    with pytest.raises(TokenError):
        tokens.decode("not.a.token")
