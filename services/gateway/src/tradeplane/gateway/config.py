"""The gateway's settings: token lifetimes and secret, the bootstrap admin, cookies and CORS."""

from __future__ import annotations

import ipaddress
import logging
import secrets
from typing import Literal, Self

from pydantic import Field, PrivateAttr, SecretStr, model_validator
from tradeplane.runtime.crypto import Keyring
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
    """False closes registration whatever `registration` says (kept for older deployments)."""
    registration: Literal["open", "closed", "invite"] = "open"
    """Who may register: anyone, nobody (admins create accounts), or holders of an admin's invite code."""
    cookie_secure: bool = True
    cors_origins: str = ""
    """Comma-separated origins allowed to call the API from a browser (none by default)."""

    execution_public_key: str | None = None
    """Execution's public key (`tradeplane.runtime.crypto.seal`): exchange credentials cross the bus
    sealed to it; required in production (without it, connecting an exchange answers 503)."""

    venue_cache_seconds: float = Field(default=30.0, ge=0)
    query_timeout_seconds: float = Field(default=5.0, gt=0, le=60)

    gateway_key: SecretStr | None = None
    """Keyring (`kid:base64key,...`) sealing users' TOTP secrets; required outside development."""
    require_admin_2fa: bool = False
    """Admins without two-factor authentication may only set it up (403 TWO_FACTOR_SETUP_REQUIRED)."""

    session_idle_minutes: int = Field(default=30, ge=1, le=7 * 24 * 60)
    """A session with no request for this long ends (seeds/004: 30 minutes)."""
    session_absolute_hours: int = Field(default=24, ge=1, le=365 * 24)
    """A session ends this long after its login, however active it is."""

    rate_limit_per_minute: int = Field(default=100, ge=1)
    """Requests per minute per user (per IP before login) outside the buckets below (seeds/004)."""
    rate_limit_trading_per_minute: int = Field(default=20, ge=1)
    """Order create/cancel and kill switch requests per minute per user (seeds/004)."""
    rate_limit_market_per_minute: int = Field(default=300, ge=1)
    """Market data requests per minute per user (seeds/004)."""
    rate_limit_costly_per_minute: int = Field(default=10, ge=1)
    """Webhook tests and venue syncs (each reaches out to a third party) per minute per user."""
    rate_limit_ws_messages_per_second: int = Field(default=10, ge=1)
    """Messages a client may send per second on one WebSocket (seeds/004); more are refused one by one
    with the error `RATE_LIMITED` (the connection stays open)."""
    rate_limit_anonymous_per_minute: int = Field(default=100, ge=1)
    """Requests per minute per IP without a login (register, login, refresh)."""

    login_backoff_after: int = Field(default=3, ge=1)
    """Failed logins (per account and per IP) before each further attempt must wait."""
    login_backoff_seconds: float = Field(default=1.0, ge=0)
    """The first wait; it doubles with each further failure (capped at the lock duration)."""
    login_lock_failures: int = Field(default=10, ge=1)
    """Failed logins that lock an account (seeds/004) for `login_lock_minutes`."""
    login_ip_lock_failures: int = Field(default=50, ge=1)
    """Failed logins from one IP (any accounts) that lock that IP out of logging in."""
    login_lock_minutes: float = Field(default=15.0, gt=0)
    """How long a lock lasts; failures older than this are forgotten."""

    max_webhooks_per_user: int = Field(default=20, ge=0)
    """Webhook endpoints a user may have (409 WEBHOOK_LIMIT_REACHED beyond)."""

    # The edge: operator endpoints, proxies, HSTS, the admin allowlist (docs/api.md "The edge").
    metrics_port: int | None = Field(default=None, ge=0, le=65535)
    """Serve `/metrics` on this operator port (on `metrics_host`), not on the public one. Unset: `/metrics`
    is on the public port in development only, and not served at all otherwise."""
    metrics_host: str | None = None
    """The operator port's address (default: `http_host`)."""
    api_docs: bool | None = None
    """`/api/docs` and `/api/openapi.json`; unset: on, except in production."""
    trusted_proxies: str = ""
    """Comma-separated IPs or CIDRs of the reverse proxies in front of the gateway: only from these are
    X-Forwarded-For (the client's IP) and X-Forwarded-Proto (https → HSTS) believed. None by default."""
    admin_allowlist: str = ""
    """Comma-separated IPs or CIDRs allowed to reach `/api/admin/*` and the admin pages (any when empty)."""
    hsts_seconds: int = Field(default=63_072_000, ge=0)
    """Strict-Transport-Security max-age on responses served over TLS (0: no HSTS)."""

    _jwt_key: str = PrivateAttr(default="")

    def secret_fields(self) -> dict[str, SecretStr | None]:
        return {"jwt_secret": self.jwt_secret, "gateway_key": self.gateway_key}

    @property
    def registration_mode(self) -> Literal["open", "closed", "invite"]:
        return self.registration if self.allow_registration else "closed"

    def keyring(self) -> Keyring:
        """The configured keyring; in development without one, a key that lives as long as the process."""
        return Keyring.configured(self.gateway_key, "TP_GATEWAY_KEY", "TOTP secrets")

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

    @model_validator(mode="after")
    def _networks_parse(self) -> Self:
        for name in ("trusted_proxies", "admin_allowlist"):
            for item in _items(getattr(self, name)):
                try:
                    ipaddress.ip_network(item, strict=False)
                except ValueError:
                    raise ValueError(f"TP_{name.upper()}: {item!r} is not an IP address or CIDR") from None
        return self

    @property
    def trusted_proxy_list(self) -> list[str]:
        return _items(self.trusted_proxies)

    @property
    def admin_networks(self) -> list[ipaddress.IPv4Network | ipaddress.IPv6Network]:
        return [ipaddress.ip_network(item, strict=False) for item in _items(self.admin_allowlist)]

    @property
    def docs_enabled(self) -> bool:
        return self.api_docs if self.api_docs is not None else not self.is_production

    @property
    def public_metrics(self) -> bool:
        """`/metrics` on the public port: only in development, when no operator port is set."""
        return self.metrics_port is None and self.env == "development"

    @property
    def jwt_key(self) -> str:
        return self._jwt_key

    @property
    def cors_origin_list(self) -> list[str]:
        return [o.strip() for o in self.cors_origins.split(",") if o.strip()]


def _items(text: str) -> list[str]:
    return [item.strip() for item in text.split(",") if item.strip()]
