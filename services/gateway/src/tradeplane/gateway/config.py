"""The gateway's settings: token lifetimes and secret, the bootstrap admin, cookies and CORS."""

from __future__ import annotations

import logging
import secrets
from typing import Self

from pydantic import Field, PrivateAttr, SecretStr, model_validator
from tradeplane.runtime.settings import ServiceSettings

log = logging.getLogger(__name__)

MIN_JWT_SECRET_LENGTH = 32


class Settings(ServiceSettings):
    """`TP_*` variables of the gateway."""

    http_port: int = Field(default=8000, ge=0, le=65535)
    http_workers: int = Field(default=1, ge=1, le=64)
    """Gateway processes sharing the port (uvicorn workers), each with its own broker connection and
    consumers; `TP_HTTP_WORKERS`. More than one needs `TP_JWT_SECRET` (a token must verify in each)."""

    jwt_secret: SecretStr | None = None
    """HS256 key of access tokens; required outside development (a random one per process in it)."""
    access_token_minutes: int = Field(default=15, ge=1, le=24 * 60)
    refresh_token_days: int = Field(default=30, ge=1, le=365)

    admin_email: str | None = None
    admin_password: SecretStr | None = None
    """When both are set, that admin exists (created, or promoted) after every start."""

    allow_registration: bool = True
    cookie_secure: bool = True
    cors_origins: str = ""
    """Comma-separated origins allowed to call the API from a browser (none by default)."""

    execution_public_key: str | None = None
    """Execution's public key (`tradeplane.runtime.crypto.seal`): exchange credentials cross the bus
    sealed to it; required in production (without it, connecting an exchange answers 503)."""

    venue_cache_seconds: float = Field(default=30.0, ge=0)
    query_timeout_seconds: float = Field(default=5.0, gt=0, le=60)

    _jwt_key: str = PrivateAttr(default="")

    def secret_fields(self) -> dict[str, SecretStr | None]:
        return {"jwt_secret": self.jwt_secret}

    @model_validator(mode="after")
    def _resolve_jwt_key(self) -> Self:
        given = self.jwt_secret.get_secret_value() if self.jwt_secret is not None else ""
        if given and self.env != "development" and len(given) < MIN_JWT_SECRET_LENGTH:
            raise ValueError(f"TP_JWT_SECRET must be at least {MIN_JWT_SECRET_LENGTH} characters")
        if not given:
            log.warning(
                "TP_JWT_SECRET is not set: access tokens are signed with a key generated for this "
                "process and stop working after a restart (development only)"
            )
            given = secrets.token_urlsafe(48)
        self._jwt_key = given
        return self

    @model_validator(mode="after")
    def _workers_share_the_jwt_key(self) -> Self:
        if self.http_workers > 1 and self.jwt_secret is None:
            raise ValueError("TP_HTTP_WORKERS above 1 needs TP_JWT_SECRET: every worker must verify tokens")
        return self

    @model_validator(mode="after")
    def _public_key_in_production(self) -> Self:
        if self.is_production and not (self.execution_public_key or "").strip():
            raise ValueError("TP_EXECUTION_PUBLIC_KEY must be set in production")
        return self

    @model_validator(mode="after")
    def _no_wildcard_cors(self) -> Self:
        # The API answers browsers with credentials (cookies), so "*" would let any site act as the user.
        if "*" in self.cors_origin_list:
            raise ValueError(
                "TP_CORS_ORIGINS=* is refused: the API allows credentials, so list the exact origins "
                "(e.g. https://app.example.com) instead"
            )
        return self

    @property
    def jwt_key(self) -> str:
        return self._jwt_key

    @property
    def cors_origin_list(self) -> list[str]:
        return [o.strip() for o in self.cors_origins.split(",") if o.strip()]
