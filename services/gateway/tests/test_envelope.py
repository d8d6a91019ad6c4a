"""Envelope shapes of docs/api.md."""

from __future__ import annotations

import json
from decimal import Decimal

from tradeplane.contracts.queries import Reply
from tradeplane.gateway.envelope import error, field_errors, from_reply, ok, paged, pagination


def body(response: object) -> dict[str, object]:
    return json.loads(response.body)  # type: ignore[attr-defined,no-any-return]


def test_success_envelope_has_data_and_a_utc_timestamp() -> None:
    b = body(ok({"x": 1}))

    assert (b["success"], b["data"]) == (True, {"x": 1}) and str(b["timestamp"]).endswith("Z")


def test_decimals_are_serialized_as_strings() -> None:
    assert body(ok({"price": Decimal("0.015")}))["data"] == {"price": "0.015"}


def test_list_envelope_carries_pagination() -> None:
    b = body(paged([1, 2], pagination(2, 2, 5)))

    assert b["pagination"] == {"page": 2, "pageSize": 2, "totalPages": 3, "totalItems": 5}


def test_empty_list_has_one_page() -> None:
    assert pagination(1, 20, 0)["totalPages"] == 1


def test_error_envelope_has_code_message_and_details() -> None:
    response = error(409, "EMAIL_TAKEN", "taken", {"field": "email"})

    assert response.status_code == 409
    assert body(response)["error"] == {
        "code": "EMAIL_TAKEN",
        "message": "taken",
        "details": {"field": "email"},
    }


def test_failed_reply_keeps_its_status_and_code() -> None:
    response = from_reply(Reply.failure("VENUE_NOT_FOUND", "no such venue", 404))

    assert (response.status_code, body(response)["error"]["code"]) == (404, "VENUE_NOT_FOUND")  # type: ignore[index]


def test_paginated_reply_becomes_a_list_envelope() -> None:
    reply = Reply.success([{"a": 1}], {"page": 1, "pageSize": 20, "totalPages": 1, "totalItems": 1})

    assert body(from_reply(reply))["pagination"] == reply.pagination


def test_field_errors_name_the_field_without_the_body_prefix_and_never_echo_input() -> None:
    errors = [{"loc": ("body", "quantity"), "msg": "bad", "type": "value_error", "input": "secret"}]

    assert field_errors(errors) == {
        "fields": [{"field": "quantity", "location": "body", "message": "bad", "type": "value_error"}]
    }
