"""Notifier settings: delivery knobs from TP_NOTIFIER_*, the keyring, and production safety."""

from __future__ import annotations

import pytest
from pydantic import ValidationError
from tradeplane.notifier.config import Settings
from tradeplane.runtime.crypto import Keyring


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("TP_ENV", raising=False)
    monkeypatch.delenv("TP_NOTIFIER_KEY", raising=False)
    monkeypatch.delenv("TP_NOTIFIER_ALLOW_PRIVATE_TARGETS", raising=False)
    monkeypatch.delenv("TP_NOTIFIER_ALLOW_HTTP", raising=False)


def test_delivery_settings_come_from_notifier_variables(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TP_NOTIFIER_MAX_ATTEMPTS", "5")
    monkeypatch.setenv("TP_NOTIFIER_ALLOW_PRIVATE_TARGETS", "true")

    delivery = Settings().delivery

    assert (delivery.max_attempts, delivery.allow_private_targets) == (5, True)


def test_defaults_are_the_production_delivery_values() -> None:
    delivery = Settings().delivery

    assert (delivery.timeout_seconds, delivery.max_attempts, delivery.allow_private_targets) == (
        5.0,
        3,
        False,
    )


def test_plain_http_is_allowed_by_default_only_in_development() -> None:
    key = Keyring.generate_key()

    assert Settings(env="development").delivery.allow_http is True
    production = Settings(
        env="production", notifier_key=key, nats_user="notifier", nats_password="a-real-one"
    )
    assert production.delivery.allow_http is False


def test_production_without_a_notifier_key_is_refused() -> None:
    with pytest.raises(ValidationError, match="TP_NOTIFIER_KEY"):
        Settings(env="production")


def test_out_of_range_delivery_setting_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TP_NOTIFIER_MAX_ATTEMPTS", "0")

    with pytest.raises(ValidationError):
        Settings()


def test_lease_shorter_than_the_timeout_is_refused() -> None:
    with pytest.raises(ValidationError, match="LEASE"):
        Settings(notifier_timeout_seconds=10, notifier_lease_seconds=5)


def test_configured_keyring_opens_what_it_sealed() -> None:
    keyring = Settings(notifier_key=f"k7:{Keyring.generate_key()}").keyring()

    assert (keyring.primary, keyring.decrypt(keyring.encrypt(b"whsec_x"))) == ("k7", b"whsec_x")


def test_development_without_a_key_generates_one_for_the_process() -> None:
    keyring = Settings(env="development").keyring()

    assert keyring.decrypt(keyring.encrypt(b"s")) == b"s"
