"""Which handler failures are retried until they succeed and which dead-letter the message."""

from __future__ import annotations

from datetime import timedelta

import nats.errors
import psycopg
import pytest
import sqlalchemy.exc
from pydantic import BaseModel, ValidationError
from tradeplane.contracts import streams
from tradeplane.runtime import Failure, PermanentError, ServiceSettings, TransientError, classify
from tradeplane.runtime.bus import RETRY_MAX_DELAY, process_durable, retry_delay, stream_config
from tradeplane.runtime.settings import StreamLimits


def _sqlalchemy_operational() -> Exception:
    orig = psycopg.OperationalError("connection refused")
    return sqlalchemy.exc.OperationalError("SELECT 1", {}, orig)


def _invalid() -> ValidationError:
    class Shape(BaseModel):
        n: int

    try:
        Shape.model_validate({"n": "x"})
    except ValidationError as exc:
        return exc
    raise AssertionError("unreachable")


class DomainRefusal(PermanentError):
    pass


class VenueBusy(TransientError):
    pass


@pytest.mark.parametrize(
    "exc",
    [
        _sqlalchemy_operational(),
        psycopg.OperationalError("the database system is starting up"),
        sqlalchemy.exc.InterfaceError("SELECT 1", {}, Exception("closed")),
        ConnectionRefusedError(111, "refused"),
        TimeoutError(),
        nats.errors.TimeoutError(),
        nats.errors.NoServersError(),
        nats.errors.ConnectionClosedError(),
        VenueBusy("rate limited"),
    ],
    ids=lambda exc: type(exc).__name__,
)
def test_outages_are_transient(exc: Exception) -> None:
    assert classify(exc) is Failure.TRANSIENT


def test_a_dropped_connection_under_a_statement_is_transient() -> None:
    exc = sqlalchemy.exc.DBAPIError("SELECT 1", {}, Exception("server closed"), connection_invalidated=True)

    assert classify(exc) is Failure.TRANSIENT


def test_an_error_caused_by_an_outage_is_transient() -> None:
    try:
        try:
            raise _sqlalchemy_operational()
        except sqlalchemy.exc.OperationalError as exc:
            raise RuntimeError("could not book the fill") from exc
    except RuntimeError as wrapped:
        assert classify(wrapped) is Failure.TRANSIENT


@pytest.mark.parametrize("exc", [DomainRefusal("order is closed"), _invalid()], ids=["domain", "invalid"])
def test_bad_messages_are_permanent(exc: Exception) -> None:
    assert classify(exc) is Failure.PERMANENT


def test_a_refusal_is_permanent_even_when_raised_during_an_outage() -> None:
    try:
        try:
            raise _sqlalchemy_operational()
        except sqlalchemy.exc.OperationalError:
            raise DomainRefusal("no such account") from None
    except DomainRefusal as exc:
        assert classify(exc) is Failure.PERMANENT


@pytest.mark.parametrize(
    "exc",
    [ValueError("bug"), KeyError("x"), sqlalchemy.exc.IntegrityError("INSERT", {}, Exception("dup"))],
    ids=lambda exc: type(exc).__name__,
)
def test_other_failures_are_unknown(exc: Exception) -> None:
    assert classify(exc) is Failure.UNKNOWN


def test_outage_backoff_grows_to_its_cap_and_stays_there() -> None:
    delays = [retry_delay(n, Failure.TRANSIENT) for n in range(1, 40)]

    assert delays[0] <= 1.0
    assert max(delays) <= RETRY_MAX_DELAY
    assert min(delays[-5:]) >= RETRY_MAX_DELAY * 0.75


def test_a_process_consumer_name_is_valid_and_unique_to_its_subject() -> None:
    first = process_durable("execution", "tp.halt.engaged.>")
    second = process_durable("execution", "tp.halt.released.>")

    assert first != second
    assert all(c.isalnum() or c == "-" for c in first)


def test_every_stream_has_age_and_size_limits_by_default() -> None:
    for spec in streams.ALL_STREAMS:
        config = stream_config(spec, replicas=1)
        assert config.max_age and config.max_age > 0, spec.name
        assert config.max_bytes and config.max_bytes > 0, spec.name


def test_settings_replace_one_streams_limits(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TP_STREAM_LIMITS__ORDERS__MAX_AGE", "P7D")
    monkeypatch.setenv("TP_STREAM_LIMITS__ORDERS__MAX_BYTES", "1048576")
    limits = ServiceSettings().stream_limits

    orders = stream_config(streams.ORDERS, 1, limits.get("orders"))
    market = stream_config(streams.MARKET, 1, limits.get("market"))

    assert (orders.max_age, orders.max_bytes) == (timedelta(days=7).total_seconds(), 1048576)
    assert market.max_age == streams.MARKET.max_age.total_seconds()


def test_a_short_max_age_shortens_the_duplicate_window() -> None:
    config = stream_config(streams.ORDERS, 1, StreamLimits(max_age=timedelta(minutes=1)))

    assert config.duplicate_window == 60


def test_limits_for_an_unknown_stream_are_refused() -> None:
    with pytest.raises(ValidationError, match="unknown streams"):
        ServiceSettings(stream_limits={"ordres": StreamLimits(max_age=timedelta(days=1))})
