"""Settings every service shares, read from `TP_*` environment variables (and Kubernetes secret files)."""

from __future__ import annotations

import os
import socket
from datetime import timedelta
from pathlib import Path
from typing import Literal, Self

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict
from tradeplane.contracts import streams

SECRETS_DIR = Path(os.environ.get("TP_SECRETS_DIR", "/run/secrets/tradeplane"))
_PLACEHOLDERS = {"", "changeme", "change-me", "secret", "password", "development", "dev"}


def parse_partitions(text: str, partitions: int) -> tuple[int, ...]:
    """`0-15`, `0,3,5` or `0-3,8` → sorted partition numbers, each below `partitions`."""
    owned: set[int] = set()
    for part in filter(None, (p.strip() for p in text.split(","))):
        low, sep, high = part.partition("-")
        first, last = (int(low), int(high)) if sep else (int(low), int(low))
        if first > last:
            raise ValueError(f"empty partition range {part!r}")
        owned.update(range(first, last + 1))
    if not owned:
        raise ValueError("no partitions given")
    if max(owned) >= partitions or min(owned) < 0:
        raise ValueError(f"partitions must lie in 0-{partitions - 1}")
    return tuple(sorted(owned))


class StreamLimits(BaseModel):
    """One stream's retention: what is older, or beyond the size, is dropped (oldest first)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    max_age: timedelta | None = Field(default=None, gt=timedelta(0))
    max_bytes: int | None = Field(default=None, gt=0)


def _default_instance() -> str:
    return f"{socket.gethostname()}-{os.getpid()}"


class ServiceSettings(BaseSettings):
    """Base of every service's `Settings`; subclasses add their own fields."""

    model_config = SettingsConfigDict(
        env_prefix="TP_",
        env_nested_delimiter="__",
        secrets_dir=SECRETS_DIR if SECRETS_DIR.is_dir() else None,
        extra="ignore",
    )

    env: Literal["development", "test", "production"] = "development"
    nats_url: str = "nats://127.0.0.1:14222"
    nats_user: str | None = None
    """This service's own NATS user (`tradeplane.contracts.permissions`); required in production."""
    nats_password: SecretStr | None = None
    database_url: str = "postgresql+psycopg://postgres@127.0.0.1:15432/tradeplane"
    http_host: str = "127.0.0.1"
    http_port: int = Field(default=8100, ge=0, le=65535)
    log_level: str = "INFO"
    partitions: int = Field(default=16, ge=1, le=1024)
    instance_id: str = Field(default_factory=_default_instance)
    migrate_on_start: bool = True
    db_pool_size: int = Field(default=10, ge=1, le=200)
    outbox_sweep_seconds: float = Field(default=1.0, gt=0)
    stream_replicas: int = Field(default=1, ge=1, le=5)
    """JetStream replicas of every stream and the halt bucket (3 on a production NATS cluster)."""
    stream_limits: dict[str, StreamLimits] = Field(default_factory=dict)
    """Per stream (`orders`, `market`, ...), limits replacing the defaults in `contracts.streams`,
    e.g. `TP_STREAM_LIMITS__ORDERS__MAX_AGE=P7D`, `TP_STREAM_LIMITS__ORDERS__MAX_BYTES=1073741824`."""
    otel_exporter_otlp_endpoint: str | None = None
    otel_export_file: str | None = None
    """Test aid: append every finished span to this file as JSON lines (`%p` becomes the pid)."""
    asyncapi_try_it_out: bool = False

    @field_validator("stream_limits")
    @classmethod
    def _known_streams(cls, limits: dict[str, StreamLimits]) -> dict[str, StreamLimits]:
        known = {spec.key for spec in streams.ALL_STREAMS}
        normalized = {name.lower(): value for name, value in limits.items()}
        if unknown := sorted(set(normalized) - known):
            raise ValueError(f"TP_STREAM_LIMITS names unknown streams {unknown}; known: {sorted(known)}")
        return normalized

    @property
    def is_production(self) -> bool:
        return self.env == "production"

    def secret_fields(self) -> dict[str, SecretStr | None]:
        """The service's secrets, checked for placeholders outside development."""
        return {}

    @model_validator(mode="after")
    def _no_placeholder_secrets(self) -> Self:
        if self.env == "development":
            return self
        for name, value in self.secret_fields().items():
            if value is None or value.get_secret_value().strip().lower() in _PLACEHOLDERS:
                raise ValueError(f"TP_{name.upper()} must be set to a real secret outside development")
        return self

    @model_validator(mode="after")
    def _nats_credentials_in_production(self) -> Self:
        if not self.is_production:
            return self
        password = self.nats_password.get_secret_value().strip() if self.nats_password else ""
        if not self.nats_user or password.lower() in _PLACEHOLDERS:
            raise ValueError("TP_NATS_USER and TP_NATS_PASSWORD must be set in production")
        return self

    @property
    def sqlalchemy_url(self) -> str:
        """The database URL with the psycopg 3 driver, whatever scheme the operator wrote."""
        url = self.database_url
        for prefix in ("postgresql+psycopg://", "postgresql://", "postgres://"):
            if url.startswith(prefix):
                return "postgresql+psycopg://" + url[len(prefix) :]
        return url
