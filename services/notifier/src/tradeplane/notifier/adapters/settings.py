"""Knobs of webhook delivery (timeout, retries, target rules), meant to be nested in the service Settings."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from ..domain.retry import RetryPolicy


class DeliverySettings(BaseModel):
    """How webhooks are sent; the defaults are the production values."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    timeout_seconds: float = Field(default=5.0, gt=0, le=60)
    max_attempts: int = Field(default=3, ge=1, le=10)
    backoff_base_seconds: float = Field(default=1.0, ge=0)
    backoff_factor: float = Field(default=2.0, ge=1)
    backoff_max_seconds: float = Field(default=60.0, ge=0)
    backoff_jitter: float = Field(default=0.2, ge=0, le=1)
    disable_after_failures: int = Field(default=10, ge=0)
    """Whole deliveries failed in a row before an endpoint is switched off; 0 never switches off."""
    allow_http: bool = False
    """Plain-http targets; for development only, deliveries then travel unencrypted."""
    allow_private_targets: bool = False
    """Loopback, private and link-local targets; for development only (SSRF otherwise)."""
    max_connections: int = Field(default=100, ge=1)

    @property
    def retry_policy(self) -> RetryPolicy:
        return RetryPolicy(
            max_attempts=self.max_attempts,
            base_delay=self.backoff_base_seconds,
            factor=self.backoff_factor,
            max_delay=self.backoff_max_seconds,
            jitter=self.backoff_jitter,
        )
