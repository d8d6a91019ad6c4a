"""Standard Webhooks signing: the secret format and the three `webhook-*` headers."""

from __future__ import annotations

import base64
import math
import secrets
from datetime import UTC, datetime

from standardwebhooks.webhooks import EmptyWebhookSecretError, Webhook

SECRET_PREFIX = "whsec_"


class InvalidSecret(ValueError):
    """The endpoint secret is not a `whsec_` base64 value; the message never contains it."""


def generate_secret() -> str:
    """A new endpoint secret, `whsec_` and 32 random bytes in base64, as the spec recommends."""
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(32)).decode("ascii")


def signed_headers(secret: str, webhook_id: str, sent_at: datetime, body: str) -> dict[str, str]:
    """`webhook-id`, `webhook-timestamp` and a v1 `webhook-signature` over exactly `body`.

    Raises InvalidSecret when the secret cannot be decoded.
    """
    moment = sent_at.astimezone(UTC)
    try:
        signature = Webhook(secret).sign(msg_id=webhook_id, timestamp=moment, data=body)
    except (ValueError, EmptyWebhookSecretError):
        # Not chained: the decoder's message could quote part of the secret.
        raise InvalidSecret("webhook secret is not a valid whsec_ base64 value") from None
    return {
        "webhook-id": webhook_id,
        "webhook-timestamp": str(math.floor(moment.timestamp())),
        "webhook-signature": signature,
    }
