"""Exchange credentials reach execution sealed to its key: opened here, refused in clear or under another
key."""

from __future__ import annotations

import json
from uuid import uuid4

import pytest
from tradeplane.contracts.queries import SEALED_CREDENTIALS, QueryError, credentials_context
from tradeplane.execution.queries import opened_credentials
from tradeplane.runtime.crypto import generate_key_pair, seal

PRIVATE, PUBLIC = generate_key_pair()
CREDENTIALS = {"apiKey": "key-1234", "secret": "s3cr3t", "password": "p"}


def sealed_for(user: object, public_key: str = PUBLIC) -> str:
    return seal(public_key, json.dumps(CREDENTIALS).encode(), credentials_context(user))  # type: ignore[arg-type]


def test_sealed_credentials_open_into_the_connect_parameters() -> None:
    user = uuid4()
    params = {"venue": "kraken", SEALED_CREDENTIALS: sealed_for(user)}

    assert opened_credentials(params, PRIVATE, user) == {"venue": "kraken", **CREDENTIALS}


def test_paper_connect_without_credentials_passes_unchanged() -> None:
    params = {"venue": "paper", "initialBalances": {"USDT": "10"}}

    assert opened_credentials(params, PRIVATE, uuid4()) == params


def test_credentials_in_clear_are_refused() -> None:
    with pytest.raises(QueryError) as refused:
        opened_credentials({"venue": "kraken", "apiKey": "k", "secret": "s"}, PRIVATE, uuid4())

    assert refused.value.reply.error is not None
    assert (refused.value.reply.error.code, refused.value.reply.error.status) == (
        "CREDENTIALS_NOT_SEALED",
        422,
    )


def test_credentials_sealed_to_another_key_do_not_open() -> None:
    user = uuid4()
    other_public = generate_key_pair()[1]

    with pytest.raises(QueryError) as refused:
        opened_credentials(
            {"venue": "kraken", SEALED_CREDENTIALS: sealed_for(user, other_public)}, PRIVATE, user
        )

    assert (
        refused.value.reply.error is not None and refused.value.reply.error.code == "CREDENTIALS_UNREADABLE"
    )


def test_credentials_sealed_for_another_user_do_not_open() -> None:
    params = {"venue": "kraken", SEALED_CREDENTIALS: sealed_for(uuid4())}

    with pytest.raises(QueryError) as refused:
        opened_credentials(params, PRIVATE, uuid4())

    assert (
        refused.value.reply.error is not None and refused.value.reply.error.code == "CREDENTIALS_UNREADABLE"
    )
