"""Serving and asking request/reply queries (`tradeplane.contracts.queries`) over core NATS."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping
from typing import Any, TypeVar

from faststream.nats import NatsBroker, NatsMessage, NatsRouter
from pydantic import ValidationError
from tradeplane.contracts import subjects
from tradeplane.contracts.queries import Caller, Query, QueryError, Reply

log = logging.getLogger(__name__)

QueryHandler = Callable[[Query], Awaitable[Any]]
C = TypeVar("C")


def bound(ctx: C, handlers: Mapping[str, Callable[[C, Query], Awaitable[Any]]]) -> dict[str, QueryHandler]:
    """Handlers written as `fn(ctx, query)`, each bound to `ctx` (for `query_router`)."""

    def bind(fn: Callable[[C, Query], Awaitable[Any]]) -> QueryHandler:
        async def handler(q: Query) -> Any:
            return await fn(ctx, q)

        return handler

    return {name: bind(fn) for name, fn in handlers.items()}


def _validation_details(exc: ValidationError) -> dict[str, Any]:
    return {
        "fields": [
            {"field": ".".join(str(p) for p in err["loc"]), "message": err["msg"]} for err in exc.errors()
        ]
    }


async def answer(handler: QueryHandler, body: bytes) -> Reply:
    """Run one query handler, turning every failure into an error reply (never an exception)."""
    try:
        query = Query.model_validate_json(body)
        result = await handler(query)
    except QueryError as exc:
        return exc.reply
    except ValidationError as exc:
        return Reply.failure("VALIDATION_ERROR", "invalid parameters", 422, **_validation_details(exc))
    except Exception:
        log.exception("query failed")
        return Reply.failure("INTERNAL", "the service could not answer", 503)
    return result if isinstance(result, Reply) else Reply.success(result)


def query_router(service: str, handlers: dict[str, QueryHandler], max_workers: int = 1) -> NatsRouter:
    """Serve `tp.query.<service>.<name>` for each handler, load-balanced across replicas; up to
    `max_workers` queries of one name at once in a replica (one slow answer then holds up no other)."""
    router = NatsRouter()
    for name, handler in handlers.items():
        router.subscriber(
            subjects.query(service, name), queue=f"{service}-queries", title=name, max_workers=max_workers
        )(_serving(handler))
    return router


def _serving(handler: QueryHandler) -> Callable[[NatsMessage], Awaitable[bytes]]:
    # A closure, not a default argument: FastStream would read a defaulted parameter from the message.
    async def serve(msg: NatsMessage) -> bytes:
        reply = await answer(handler, msg.body)
        return reply.model_dump_json().encode()

    return serve


async def ask(
    broker: NatsBroker,
    service: str,
    name: str,
    caller: Caller,
    params: dict[str, Any] | None = None,
    timeout: float = 5.0,
) -> Reply:
    """Send a query and wait for the reply; a missing service answers SERVICE_UNAVAILABLE (503)."""
    body = Query(caller=caller, params=params or {}).model_dump_json().encode()
    nc = broker.config.connection_state.connection
    try:
        msg = await nc.request(subjects.query(service, name), body, timeout=timeout)
    except Exception as exc:
        log.warning("query unanswered", extra={"query": f"{service}.{name}", "error": type(exc).__name__})
        return Reply.failure("SERVICE_UNAVAILABLE", f"the {service} service did not answer", 503)
    return Reply.model_validate_json(msg.data)
