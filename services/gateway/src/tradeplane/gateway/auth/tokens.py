"""Access tokens: short-lived HS256 JWTs naming the user, their role and their session."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

import jwt
from tradeplane.contracts import Role, utcnow

ALGORITHM = "HS256"
ACCESS = "access"
_REQUIRED = ["exp", "iat", "sub", "jti", "typ", "role", "sid"]


class TokenError(Exception):
    """A token that does not authenticate; `code` is the API error code."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass(frozen=True, slots=True)
class AccessClaims:
    user_id: UUID
    role: Role
    session_id: UUID
    expires_at: datetime
    token_id: str


class AccessTokens:
    """Issues and checks access tokens with one secret; the algorithm is pinned, never read from a token."""

    def __init__(self, secret: str, ttl: timedelta) -> None:
        self._secret = secret
        self.ttl = ttl

    def issue(
        self, user_id: UUID, role: Role, session_id: UUID, now: datetime | None = None
    ) -> tuple[str, datetime]:
        issued = (now or utcnow()).replace(microsecond=0)
        expires = issued + self.ttl
        claims: dict[str, Any] = {
            "sub": str(user_id),
            "role": role.value,
            "sid": str(session_id),
            "iat": issued,
            "exp": expires,
            "jti": uuid.uuid4().hex,
            "typ": ACCESS,
        }
        return jwt.encode(claims, self._secret, algorithm=ALGORITHM), expires

    def decode(self, token: str) -> AccessClaims:
        try:
            claims = jwt.decode(token, self._secret, algorithms=[ALGORITHM], options={"require": _REQUIRED})
        except jwt.ExpiredSignatureError as exc:
            raise TokenError("TOKEN_EXPIRED", "the access token has expired") from exc
        except jwt.InvalidTokenError as exc:
            raise TokenError("INVALID_TOKEN", "the access token is not valid") from exc
        if claims.get("typ") != ACCESS:
            raise TokenError("INVALID_TOKEN", "not an access token")
        try:
            return AccessClaims(
                user_id=UUID(str(claims["sub"])),
                role=Role(claims["role"]),
                session_id=UUID(str(claims["sid"])),
                expires_at=datetime.fromtimestamp(int(claims["exp"]), tz=UTC),
                token_id=str(claims["jti"]),
            )
        except (ValueError, TypeError) as exc:
            raise TokenError("INVALID_TOKEN", "the access token is not valid") from exc
