"""Why a handler failed: the message's own fault (dead-letter it) or an outage (retry it until it works).

An outage must delay work, never dead-letter it: database, NATS and network failures are transient and
retried with backoff for as long as they last. A message that is undecodable, invalid or refused by the
domain is permanent and dead-lettered at once. Anything else (a bug) is retried a few times, then
dead-lettered, where an operator can replay it once the cause is fixed.
"""

from __future__ import annotations

import enum

import nats.errors
import nats.js.errors
import psycopg
import sqlalchemy.exc
from pydantic import ValidationError


class Failure(enum.StrEnum):
    TRANSIENT = "transient"
    PERMANENT = "permanent"
    UNKNOWN = "unknown"


class TransientError(Exception):
    """Raise, or subclass, for a failure that passes by itself (retried until the handler succeeds)."""


class PermanentError(Exception):
    """Raise, or subclass, for a message the domain refuses (dead-lettered at once, with this reason)."""


_TRANSIENT: tuple[type[BaseException], ...] = (
    TransientError,
    ConnectionError,
    TimeoutError,
    sqlalchemy.exc.OperationalError,
    sqlalchemy.exc.InterfaceError,
    sqlalchemy.exc.DisconnectionError,
    sqlalchemy.exc.TimeoutError,
    psycopg.OperationalError,
    psycopg.InterfaceError,
    nats.errors.TimeoutError,
    nats.errors.ConnectionClosedError,
    nats.errors.ConnectionReconnectingError,
    nats.errors.ConnectionDrainingError,
    nats.errors.FlushTimeoutError,
    nats.errors.NoServersError,
    nats.errors.NoRespondersError,
    nats.errors.OutboundBufferLimitError,
    nats.errors.StaleConnectionError,
    nats.errors.UnexpectedEOF,
    nats.js.errors.ServiceUnavailableError,
    nats.js.errors.ServerError,
    nats.js.errors.NoStreamResponseError,
    nats.js.errors.FetchTimeoutError,
)
_PERMANENT: tuple[type[BaseException], ...] = (PermanentError, ValidationError)
_MAX_CHAIN = 16


def classify(exc: BaseException) -> Failure:
    """Transient when the failure, or any failure that caused it, is an outage; permanent when the
    failure itself says the message is bad; unknown otherwise."""
    if isinstance(exc, _PERMANENT):
        return Failure.PERMANENT
    if any(_is_transient(cause) for cause in _chain(exc)):
        return Failure.TRANSIENT
    return Failure.UNKNOWN


def _is_transient(exc: BaseException) -> bool:
    if isinstance(exc, _TRANSIENT):
        return True
    # A statement that failed because its connection dropped (the server restarted under it).
    return isinstance(exc, sqlalchemy.exc.DBAPIError) and exc.connection_invalidated


def _chain(exc: BaseException) -> list[BaseException]:
    seen: list[BaseException] = []
    current: BaseException | None = exc
    while current is not None and len(seen) < _MAX_CHAIN and all(current is not s for s in seen):
        seen.append(current)
        current = current.__cause__ or current.__context__
    return seen
