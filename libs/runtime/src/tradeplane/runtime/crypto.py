"""Secrets at rest (AES-256-GCM keyring) and in transit (sealed to the reading service's public key).

At rest: a key id in every ciphertext, so the master key can be rotated.

A keyring is written `kid:base64key[,kid:base64key...]` (or a bare base64 key, id `k1`); the first
key encrypts, every key decrypts. Rotate by putting a new key first and re-encrypting at leisure.
"""

from __future__ import annotations

import base64
import logging
import os

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hpke
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from pydantic import SecretStr

log = logging.getLogger(__name__)

_NONCE = 12


class Keyring:
    def __init__(self, keys: dict[str, bytes], primary: str) -> None:
        if primary not in keys:
            raise ValueError("the primary key id must be in the keyring")
        for kid, key in keys.items():
            if len(key) != 32:
                raise ValueError(f"key {kid!r} must be 32 bytes (base64 of 32 random bytes)")
            if not kid.isalnum() or len(kid) > 16:
                raise ValueError(f"key id {kid!r} must be 1-16 letters or digits")
        self._keys = {kid: AESGCM(key) for kid, key in keys.items()}
        self.primary = primary

    @classmethod
    def parse(cls, text: str) -> Keyring:
        keys: dict[str, bytes] = {}
        order: list[str] = []
        for part in filter(None, (p.strip() for p in text.split(","))):
            kid, _, b64 = part.rpartition(":") if ":" in part else ("k1", "", part)
            keys[kid] = base64.urlsafe_b64decode(b64 + "=" * (-len(b64) % 4))
            order.append(kid)
        if not order:
            raise ValueError("the keyring is empty")
        return cls(keys, order[0])

    @classmethod
    def configured(cls, setting: SecretStr | None, variable: str, sealed: str) -> Keyring:
        """The keyring in the `variable` setting; when it is unset (development), a key that lives as
        long as the process, with a warning that what it seals (`sealed`) is lost on restart."""
        if setting is not None and setting.get_secret_value().strip():
            return cls.parse(setting.get_secret_value())
        log.warning(
            "%s is not set: %s are sealed with a key generated for this process and become unreadable "
            "after a restart (development only)",
            variable,
            sealed,
        )
        return cls.parse(cls.generate_key())

    @staticmethod
    def generate_key() -> str:
        return base64.urlsafe_b64encode(os.urandom(32)).decode().rstrip("=")

    def encrypt(self, plaintext: bytes, context: bytes = b"") -> bytes:
        """`kid.` + nonce + ciphertext; `context` (e.g. the row id) is bound as associated data."""
        nonce = os.urandom(_NONCE)
        sealed = self._keys[self.primary].encrypt(nonce, plaintext, context)
        return self.primary.encode() + b"." + nonce + sealed

    def decrypt(self, blob: bytes, context: bytes = b"") -> bytes:
        kid, _, rest = blob.partition(b".")
        key = self._keys.get(kid.decode())
        if key is None:
            raise KeyError(f"no key {kid.decode()!r} in the keyring")
        return key.decrypt(rest[:_NONCE], rest[_NONCE:], context)

    def key_id(self, blob: bytes) -> str:
        return blob.partition(b".")[0].decode()


# Secrets in transit: sealed to the public key of the only service that may read them (HPKE, RFC 9180:
# X25519, HKDF-SHA256, AES-256-GCM). Keys are written as base64url of their 32 raw bytes.
_SUITE = hpke.Suite(hpke.KEM.X25519, hpke.KDF.HKDF_SHA256, hpke.AEAD.AES_256_GCM)
_SEAL_INFO = b"tradeplane/sealed/v1:"


class SealError(ValueError):
    """A sealed value that this key cannot open (another key, another context, or tampered with)."""


def _b64decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _b64encode(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def generate_key_pair() -> tuple[str, str]:
    """A new (private key, public key) pair for `seal`/`open_sealed`."""
    private = X25519PrivateKey.generate()
    return _b64encode(private.private_bytes_raw()), _b64encode(private.public_key().public_bytes_raw())


def public_key_of(private_key: str) -> str:
    private = X25519PrivateKey.from_private_bytes(_b64decode(private_key))
    return _b64encode(private.public_key().public_bytes_raw())


def seal(public_key: str, plaintext: bytes, context: bytes = b"") -> str:
    """`plaintext` readable only with the matching private key, and only under the same `context`."""
    recipient = X25519PublicKey.from_public_bytes(_b64decode(public_key))
    return _b64encode(_SUITE.encrypt(plaintext, recipient, info=_SEAL_INFO + context))


def open_sealed(private_key: str, sealed: str, context: bytes = b"") -> bytes:
    """The plaintext of `seal(...)`; SealError when this key or `context` does not open it."""
    try:
        private = X25519PrivateKey.from_private_bytes(_b64decode(private_key))
        return _SUITE.decrypt(_b64decode(sealed), private, info=_SEAL_INFO + context)
    except (InvalidTag, ValueError) as exc:
        raise SealError("the sealed value cannot be opened with this key") from exc
