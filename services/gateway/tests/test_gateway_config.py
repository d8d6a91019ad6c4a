"""Gateway settings: the JWT secret, CORS origins, the edge (docs, metrics port, proxies, allowlist)."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError
from tradeplane.gateway.config import Settings
from tradeplane.runtime.crypto import Keyring, generate_key_pair

PUBLIC_KEY = generate_key_pair()[1]
PRODUCTION: dict[str, Any] = {
    "env": "production",
    "nats_user": "gateway",
    "nats_password": "a-real-nats-password",
    "execution_public_key": PUBLIC_KEY,
    "gateway_key": Keyring.generate_key(),
}


def test_jwt_secret_is_required_outside_development() -> None:
    with pytest.raises(ValidationError, match="TP_JWT_SECRET"):
        Settings(env="production", jwt_secret=None)


def test_short_jwt_secret_is_refused_outside_development() -> None:
    with pytest.raises(ValidationError, match="at least 32"):
        Settings(**PRODUCTION, jwt_secret="short-but-not-a-placeholder")


def test_development_without_a_secret_signs_with_a_random_key_per_process() -> None:
    first, second = Settings(env="development", jwt_secret=None), Settings(env="development", jwt_secret=None)

    assert len(first.jwt_key) >= 32 and first.jwt_key != second.jwt_key


def test_given_secret_is_the_signing_key() -> None:
    secret = "x" * 40

    assert Settings(**PRODUCTION, jwt_secret=secret).jwt_key == secret


def test_cors_origins_are_comma_separated() -> None:
    settings = Settings(cors_origins=" https://a.example , https://b.example,")

    assert settings.cors_origin_list == ["https://a.example", "https://b.example"]


def test_execution_public_key_is_required_in_production() -> None:
    without_key = PRODUCTION | {"execution_public_key": None}

    with pytest.raises(ValidationError, match="TP_EXECUTION_PUBLIC_KEY"):
        Settings(**without_key, jwt_secret="x" * 40)


@pytest.mark.parametrize("origins", ["*", "https://app.example.com, *"])
def test_wildcard_cors_origin_is_refused_at_start(origins: str) -> None:
    with pytest.raises(ValidationError, match=r"TP_CORS_ORIGINS=\* is refused"):
        Settings(cors_origins=origins)


def test_exact_cors_origins_are_accepted() -> None:
    settings = Settings(cors_origins="https://app.example.com,http://localhost:5173")

    assert settings.cors_origin_list == ["https://app.example.com", "http://localhost:5173"]


def test_several_workers_need_a_shared_jwt_secret() -> None:
    with pytest.raises(ValidationError, match="TP_HTTP_WORKERS"):
        Settings(env="development", jwt_secret=None, http_workers=2)

    assert Settings(env="development", jwt_secret="y" * 40, http_workers=2).http_workers == 2


def test_gateway_key_is_required_outside_development() -> None:
    with pytest.raises(ValidationError, match="TP_GATEWAY_KEY"):
        Settings(**(PRODUCTION | {"gateway_key": None}), jwt_secret="x" * 40)


def test_the_gateway_key_seals_and_opens_with_the_same_keyring() -> None:
    keyring = Settings(**PRODUCTION, jwt_secret="x" * 40).keyring()

    assert keyring.decrypt(keyring.encrypt(b"totp", b"ctx"), b"ctx") == b"totp"


@pytest.mark.parametrize(
    ("allow", "mode", "effective"),
    [
        (True, "open", "open"),
        (True, "invite", "invite"),
        (False, "open", "closed"),
        (True, "closed", "closed"),
    ],
)
def test_registration_mode(allow: bool, mode: str, effective: str) -> None:
    assert Settings(allow_registration=allow, registration=mode).registration_mode == effective


SECRET = "s" * 40


def test_docs_are_off_in_production_unless_asked_for() -> None:
    assert Settings(env="development").docs_enabled
    assert not Settings(**PRODUCTION, jwt_secret=SECRET).docs_enabled
    assert Settings(**PRODUCTION, jwt_secret=SECRET, api_docs=True).docs_enabled
    assert not Settings(env="development", api_docs=False).docs_enabled


def test_metrics_are_on_the_public_port_only_in_development_without_an_operator_port() -> None:
    assert Settings(env="development").public_metrics
    assert not Settings(env="development", metrics_port=9100).public_metrics
    assert not Settings(**PRODUCTION, jwt_secret=SECRET).public_metrics


def test_proxies_and_the_admin_allowlist_are_addresses_or_networks() -> None:
    config = Settings(trusted_proxies="127.0.0.1, 10.0.0.0/8", admin_allowlist="192.0.2.7,2001:db8::/32")
    assert config.trusted_proxy_list == ["127.0.0.1", "10.0.0.0/8"]
    assert [str(n) for n in config.admin_networks] == ["192.0.2.7/32", "2001:db8::/32"]
    with pytest.raises(ValidationError, match="TP_TRUSTED_PROXIES"):
        Settings(trusted_proxies="*")
    with pytest.raises(ValidationError, match="TP_ADMIN_ALLOWLIST"):
        Settings(admin_allowlist="the office")
