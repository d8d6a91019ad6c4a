"""Two-factor authentication: TOTP (RFC 6238, pyotp) and one-time recovery codes.

The TOTP secret is sealed with the gateway's keyring (bound to the user's id) before it is stored;
it is shown once, at setup. Recovery codes are stored as SHA-256 digests (they are random, so a fast
hash is enough) and each works once. A TOTP code works once too: its time step must be later than
the last one accepted.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime
from uuid import UUID

import pyotp
from tradeplane.runtime.crypto import Keyring

ISSUER = "Tradeplane"
RECOVERY_CODES = 10
_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"
STEP_SECONDS = 30
WINDOW = 1
"""Codes of the previous and next 30-second step are accepted too (clock drift)."""


def new_secret() -> str:
    return pyotp.random_base32()


def otpauth_url(secret: str, email: str) -> str:
    return pyotp.TOTP(secret).provisioning_uri(name=email, issuer_name=ISSUER)


def looks_like_totp(code: str) -> bool:
    return len(code) == 6 and code.isdigit()


def matching_step(secret: str, code: str, now: datetime) -> int | None:
    """The time step whose code `code` is (within the drift window), or None when it matches none."""
    code = code.strip().replace(" ", "")
    if not looks_like_totp(code):
        return None
    totp = pyotp.TOTP(secret, interval=STEP_SECONDS)
    step = int(now.timestamp()) // STEP_SECONDS
    for candidate in range(step - WINDOW, step + WINDOW + 1):
        if secrets.compare_digest(totp.generate_otp(candidate), code):
            return candidate
    return None


def seal(keyring: Keyring, user_id: UUID, secret: str) -> bytes:
    return keyring.encrypt(secret.encode(), user_id.bytes)


def unseal(keyring: Keyring, user_id: UUID, sealed: bytes) -> str:
    return keyring.decrypt(bytes(sealed), user_id.bytes).decode()


def new_recovery_codes(count: int = RECOVERY_CODES) -> list[str]:
    """Codes like `k7m2p-q9xw4` (50 bits each), shown to the user once."""
    return [
        "".join(secrets.choice(_ALPHABET) for _ in range(5))
        + "-"
        + "".join(secrets.choice(_ALPHABET) for _ in range(5))
        for _ in range(count)
    ]


def recovery_digest(code: str) -> str:
    normalized = code.strip().lower().replace("-", "").replace(" ", "")
    return hashlib.sha256(normalized.encode()).hexdigest()
