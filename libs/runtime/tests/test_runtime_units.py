"""Pure behaviour of the runtime pieces: settings, logs, query answers."""

from __future__ import annotations

import io
import json
import logging
from uuid import uuid4

import pytest
from pydantic import BaseModel, SecretStr, ValidationError
from tradeplane.contracts import Role
from tradeplane.contracts.queries import Caller, Query, QueryError, Reply
from tradeplane.runtime import ServiceSettings
from tradeplane.runtime.logs import JsonFormatter, correlation_id
from tradeplane.runtime.queries import answer


class SecretSettings(ServiceSettings):
    jwt_secret: SecretStr | None = None

    def secret_fields(self) -> dict[str, SecretStr | None]:
        return {"jwt_secret": self.jwt_secret}


def test_missing_secret_is_a_startup_error_in_production() -> None:
    with pytest.raises(ValidationError, match="TP_JWT_SECRET"):
        SecretSettings(env="production")


def test_placeholder_secret_is_refused_in_production() -> None:
    with pytest.raises(ValidationError, match="TP_JWT_SECRET"):
        SecretSettings(env="production", jwt_secret=SecretStr("changeme"))


def test_development_runs_without_secrets() -> None:
    assert SecretSettings(env="development").jwt_secret is None


def test_settings_read_tp_prefixed_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TP_NATS_URL", "nats://nats.example:4222")
    monkeypatch.setenv("TP_PARTITIONS", "32")
    settings = ServiceSettings()
    assert settings.nats_url == "nats://nats.example:4222"
    assert settings.partitions == 32


@pytest.mark.parametrize("url", ["postgresql://u@h/db", "postgres://u@h/db", "postgresql+psycopg://u@h/db"])
def test_database_url_gets_the_psycopg_driver(url: str) -> None:
    assert ServiceSettings(database_url=url).sqlalchemy_url == "postgresql+psycopg://u@h/db"


def _log_line(**extra: object) -> dict[str, object]:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter("svc"))
    logger = logging.getLogger(f"t{uuid4().hex}")
    logger.addHandler(handler)
    logger.propagate = False
    logger.warning("hello", extra=extra)
    return json.loads(stream.getvalue())  # type: ignore[no-any-return]


def test_log_lines_are_json_with_service_and_correlation_id() -> None:
    token = correlation_id.set("abc")
    try:
        line = _log_line(order_id="o1")
    finally:
        correlation_id.reset(token)
    assert line["service"] == "svc"
    assert line["correlation_id"] == "abc"
    assert line["order_id"] == "o1"


def test_secret_looking_fields_are_redacted_in_logs() -> None:
    line = _log_line(api_secret="s3cr3t", password="hunter22", apiKey="k")
    assert line["api_secret"] == "***"
    assert line["password"] == "***"
    assert "s3cr3t" not in json.dumps(line)


CALLER = Caller(user_id=uuid4(), role=Role.TRADER)


def _query(**params: object) -> bytes:
    return Query(caller=CALLER, params=params).model_dump_json().encode()


async def test_query_result_is_wrapped_in_a_success_reply() -> None:
    async def handler(q: Query) -> dict[str, object]:
        return {"echo": q.params["x"]}

    reply = await answer(handler, _query(x=1))
    assert reply == Reply.success({"echo": 1})


async def test_query_error_becomes_an_error_reply_with_status() -> None:
    async def handler(q: Query) -> None:
        raise QueryError("VENUE_NOT_FOUND", "no such venue", 404)

    reply = await answer(handler, _query())
    assert reply.error is not None
    assert (reply.error.code, reply.error.status) == ("VENUE_NOT_FOUND", 404)


async def test_invalid_parameters_become_a_422_naming_the_field() -> None:
    class Params(BaseModel):
        page: int

    async def handler(q: Query) -> None:
        Params.model_validate(q.params)

    reply = await answer(handler, _query(page="many"))
    assert reply.error is not None
    assert reply.error.status == 422
    assert reply.error.details["fields"][0]["field"] == "page"


async def test_garbage_request_is_answered_not_raised() -> None:
    async def handler(q: Query) -> None:
        raise AssertionError("never called")

    reply = await answer(handler, b"not json")
    assert reply.error is not None
    assert reply.error.code == "VALIDATION_ERROR"


async def test_unexpected_failure_is_a_503_without_details() -> None:
    async def handler(q: Query) -> None:
        raise RuntimeError("db password is hunter22")

    reply = await answer(handler, _query())
    assert reply.error is not None
    assert reply.error.status == 503
    assert "hunter22" not in reply.model_dump_json()


def test_secret_round_trips_and_is_bound_to_its_context() -> None:
    from cryptography.exceptions import InvalidTag
    from tradeplane.runtime.crypto import Keyring

    ring = Keyring.parse(f"k1:{Keyring.generate_key()}")
    blob = ring.encrypt(b"api-secret", b"account-1")
    assert b"api-secret" not in blob
    assert ring.decrypt(blob, b"account-1") == b"api-secret"
    with pytest.raises(InvalidTag):
        ring.decrypt(blob, b"account-2")


def test_rotated_keyring_decrypts_old_secrets_and_encrypts_with_the_new_key() -> None:
    from tradeplane.runtime.crypto import Keyring

    old_key = Keyring.generate_key()
    old = Keyring.parse(f"k1:{old_key}")
    blob = old.encrypt(b"s")
    rotated = Keyring.parse(f"k2:{Keyring.generate_key()},k1:{old_key}")
    assert rotated.decrypt(blob) == b"s"
    assert rotated.key_id(rotated.encrypt(b"s")) == "k2"


def test_sealed_secret_opens_only_with_the_matching_private_key() -> None:
    from tradeplane.runtime.crypto import SealError, generate_key_pair, open_sealed, seal

    private, public = generate_key_pair()
    sealed = seal(public, b"api-secret", b"user-1")

    assert "api-secret" not in sealed
    assert open_sealed(private, sealed, b"user-1") == b"api-secret"
    with pytest.raises(SealError):
        open_sealed(generate_key_pair()[0], sealed, b"user-1")


def test_sealed_secret_is_bound_to_its_context() -> None:
    from tradeplane.runtime.crypto import SealError, generate_key_pair, open_sealed, seal

    private, public = generate_key_pair()

    with pytest.raises(SealError):
        open_sealed(private, seal(public, b"api-secret", b"user-1"), b"user-2")


def test_tampered_sealed_secret_does_not_open() -> None:
    from tradeplane.runtime.crypto import SealError, generate_key_pair, open_sealed, seal

    private, public = generate_key_pair()
    sealed = seal(public, b"api-secret")
    tampered = sealed[:-2] + ("A" if sealed[-2] != "A" else "B") + sealed[-1]

    with pytest.raises(SealError):
        open_sealed(private, tampered)


def test_nats_credentials_are_required_in_production() -> None:
    with pytest.raises(ValidationError, match="TP_NATS_USER and TP_NATS_PASSWORD"):
        ServiceSettings(env="production")


def test_nats_credentials_are_optional_in_development() -> None:
    assert ServiceSettings(env="development").nats_user is None


def test_broker_connects_with_the_services_user_and_own_inbox() -> None:
    from faststream.nats.security import NatsUserPassword
    from tradeplane.runtime.bus import _credentials

    settings = ServiceSettings(nats_user="pnl", nats_password=SecretStr("pw"))

    given = _credentials(settings)
    assert isinstance(given["security"], NatsUserPassword)
    assert (given["security"].username, given["security"].password) == ("pnl", "pw")
    assert given["inbox_prefix"] == "_INBOX_pnl"
