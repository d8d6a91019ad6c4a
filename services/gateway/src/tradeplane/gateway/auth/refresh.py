"""Refresh tokens: random, stored only as SHA-256 digests, rotated on every use.

Each login starts a session (a token family). Presenting a token that was already rotated means
that two parties hold it: the whole family is revoked, the legitimate user logs in again.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum


def new_refresh_token() -> str:
    return secrets.token_urlsafe(32)


def digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class Verdict(StrEnum):
    VALID = "VALID"
    UNKNOWN = "INVALID_TOKEN"
    REVOKED = "TOKEN_REVOKED"
    REUSED = "TOKEN_REUSED"
    EXPIRED = "TOKEN_EXPIRED"

    @property
    def message(self) -> str:
        return _MESSAGES[self]


_MESSAGES = {
    Verdict.VALID: "",
    Verdict.UNKNOWN: "the refresh token is not valid",
    Verdict.REVOKED: "the session has ended; log in again",
    Verdict.REUSED: "the refresh token was already used; the session is revoked, log in again",
    Verdict.EXPIRED: "the refresh token has expired; log in again",
}


@dataclass(frozen=True, slots=True)
class StoredRefresh:
    expires_at: datetime
    used_at: datetime | None
    session_revoked_at: datetime | None


def judge(stored: StoredRefresh | None, now: datetime) -> Verdict:
    """What presenting a refresh token means; `REUSED` obliges the caller to revoke its session."""
    if stored is None:
        return Verdict.UNKNOWN
    if stored.session_revoked_at is not None:
        return Verdict.REVOKED
    if stored.used_at is not None:
        return Verdict.REUSED
    if stored.expires_at <= now:
        return Verdict.EXPIRED
    return Verdict.VALID
