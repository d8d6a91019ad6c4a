"""Query parameters and URL refusals, before anything reaches the database."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, cast
from uuid import uuid4

import pytest
from pydantic import ValidationError
from tradeplane.contracts import Role
from tradeplane.contracts.queries import Caller, Query, QueryError
from tradeplane.notifier import queries
from tradeplane.notifier.adapters.settings import DeliverySettings
from tradeplane.runtime.crypto import Keyring


async def private_resolver(host: str, port: int) -> Sequence[str]:
    return ["10.0.0.7"]


def context(**settings: Any) -> queries.Context:
    # The engine is never reached: every case here is refused before any SQL.
    return queries.Context(
        engine=cast(Any, None),
        keyring=Keyring.parse(Keyring.generate_key()),
        delivery=DeliverySettings(**settings),
        wake=lambda: None,
        resolver=private_resolver,
    )


def query(params: dict[str, Any]) -> Query:
    return Query(caller=Caller(user_id=uuid4(), role=Role.TRADER), params=params)


async def refusal(ctx: queries.Context, params: dict[str, Any]) -> tuple[str, int]:
    with pytest.raises(QueryError) as caught:
        await queries.create(ctx, query(params))
    error = caught.value.reply.error
    assert error is not None
    return error.code, error.status


async def test_host_resolving_to_a_private_address_is_refused_with_422() -> None:
    params = {"url": "https://hooks.example.com/x", "events": ["trade_exit"]}

    assert await refusal(context(), params) == ("PRIVATE_TARGET", 422)


async def test_plain_http_is_refused_unless_allowed() -> None:
    params = {"url": "http://93.184.215.14/x", "events": ["trade_exit"]}

    assert await refusal(context(allow_http=False), params) == ("SCHEME_NOT_ALLOWED", 422)


def test_unknown_event_type_is_a_validation_error() -> None:
    with pytest.raises(ValidationError):
        queries.CreateParams.model_validate({"url": "https://x.example", "events": ["trade_exit", "lunch"]})


def test_endpoint_needs_at_least_one_event() -> None:
    with pytest.raises(ValidationError):
        queries.CreateParams.model_validate({"url": "https://x.example", "events": []})


def test_page_size_is_read_from_camel_case_and_capped() -> None:
    with pytest.raises(ValidationError):
        queries.PageParams.model_validate({"id": str(uuid4()), "pageSize": 1000})
