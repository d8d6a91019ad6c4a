"""Password policy and argon2id hashing (hashing is CPU-bound, so it runs in a worker thread)."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

MIN_LENGTH = 10
MAX_LENGTH = 256

# OWASP's argon2id minimum (19 MiB, 2 passes): a few tens of milliseconds per hash.
HASHER = PasswordHasher(time_cost=2, memory_cost=19456, parallelism=1)


def weakness(password: str, email: str = "") -> str | None:
    """Why `password` is refused, or None when it is acceptable."""
    if len(password) < MIN_LENGTH:
        return f"the password must have at least {MIN_LENGTH} characters"
    if len(password) > MAX_LENGTH:
        return f"the password must have at most {MAX_LENGTH} characters"
    classes = {
        "lower" if c.islower() else "upper" if c.isupper() else "digit" if c.isdigit() else "other"
        for c in password
    }
    if len(classes) < 2:
        return "the password must mix at least two kinds of characters (letters, digits, symbols)"
    if email and password.strip().lower() == email.strip().lower():
        return "the password must not be the email address"
    return None


@dataclass(frozen=True, slots=True)
class Verified:
    ok: bool
    new_hash: str | None = None
    """A fresh hash when the stored one used weaker parameters than today's."""


def _verify(stored_hash: str, password: str) -> Verified:
    try:
        HASHER.verify(stored_hash, password)
    except (VerificationError, InvalidHashError):
        return Verified(False)
    if HASHER.check_needs_rehash(stored_hash):
        return Verified(True, HASHER.hash(password))
    return Verified(True)


@cache
def _dummy_hash() -> str:
    return HASHER.hash("not a real password, only spends the time of a verify")


async def hash_password(password: str) -> str:
    return await asyncio.to_thread(HASHER.hash, password)


async def verify_password(stored_hash: str | None, password: str) -> Verified:
    """Check `password`; without a stored hash, spend the same time and fail (no user enumeration)."""
    if stored_hash is None:
        await asyncio.to_thread(_verify, _dummy_hash(), password)
        return Verified(False)
    return await asyncio.to_thread(_verify, stored_hash, password)
