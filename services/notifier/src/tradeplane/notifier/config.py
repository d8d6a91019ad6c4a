"""The notifier's settings: delivery knobs, the worker's pacing and the key that seals endpoint secrets."""

from __future__ import annotations

from typing import Self

from pydantic import Field, PrivateAttr, SecretStr, model_validator
from tradeplane.runtime.crypto import Keyring
from tradeplane.runtime.settings import ServiceSettings

from .adapters.settings import DeliverySettings


class Settings(ServiceSettings):
    """`TP_NOTIFIER_*` variables; the delivery ones default to the production values.

    Each `DeliverySettings` knob is read from `notifier_<knob>` (`TP_NOTIFIER_<KNOB>`)."""

    http_port: int = Field(default=8103, ge=0, le=65535)

    notifier_key: SecretStr | None = None
    """Keyring (`kid:base64key,...`) sealing endpoint secrets; required outside development."""

    notifier_timeout_seconds: float = 5.0
    notifier_max_attempts: int = 3
    notifier_backoff_base_seconds: float = 1.0
    notifier_backoff_factor: float = 2.0
    notifier_backoff_max_seconds: float = 60.0
    notifier_backoff_jitter: float = 0.2
    notifier_disable_after_failures: int = 10
    notifier_allow_http: bool | None = None
    """Plain-http targets; unset means allowed in development only."""
    notifier_allow_private_targets: bool = False
    notifier_max_connections: int = 100

    notifier_max_in_flight: int = Field(default=200, ge=1)
    notifier_per_endpoint_concurrency: int = Field(default=2, ge=1)
    notifier_lease_seconds: float = Field(default=30.0, gt=0)
    """How long a claimed delivery stays with its worker; must outlast one attempt."""
    notifier_poll_seconds: float = Field(default=1.0, gt=0)
    notifier_retention_days: int = Field(default=30, ge=0)
    """Settled deliveries are kept this long in the log; 0 keeps them forever."""

    _delivery: DeliverySettings = PrivateAttr()

    def secret_fields(self) -> dict[str, SecretStr | None]:
        return {"notifier_key": self.notifier_key}

    @model_validator(mode="after")
    def _build_delivery(self) -> Self:
        allow_http = (
            self.env == "development" if self.notifier_allow_http is None else self.notifier_allow_http
        )
        knobs = {
            name: getattr(self, f"notifier_{name}")
            for name in DeliverySettings.model_fields
            if name != "allow_http"
        }
        self._delivery = DeliverySettings(**knobs, allow_http=allow_http)
        if self.notifier_lease_seconds <= self.notifier_timeout_seconds:
            raise ValueError("TP_NOTIFIER_LEASE_SECONDS must be longer than TP_NOTIFIER_TIMEOUT_SECONDS")
        return self

    @property
    def delivery(self) -> DeliverySettings:
        return self._delivery

    def keyring(self) -> Keyring:
        """The configured keyring; in development without one, a key that lives as long as the process."""
        return Keyring.configured(self.notifier_key, "TP_NOTIFIER_KEY", "webhook secrets")
