"""The gateway seals exchange credentials to execution's public key before they cross the bus."""

from __future__ import annotations

import json
from uuid import uuid4

import pytest
from tradeplane.contracts.queries import SEALED_CREDENTIALS, credentials_context
from tradeplane.gateway.envelope import ApiError
from tradeplane.gateway.routes.venues import sealed_credentials
from tradeplane.runtime.crypto import generate_key_pair, open_sealed

PRIVATE, PUBLIC = generate_key_pair()


def test_credentials_leave_the_gateway_only_sealed() -> None:
    user = uuid4()
    params = {"venue": "kraken", "apiKey": "key-1234", "secret": "s3cr3t", "sandbox": True}

    sent = sealed_credentials(dict(params), PUBLIC, user)

    assert set(sent) == {"venue", "sandbox", SEALED_CREDENTIALS}
    assert "s3cr3t" not in json.dumps(sent) and "key-1234" not in json.dumps(sent)
    opened = json.loads(open_sealed(PRIVATE, sent[SEALED_CREDENTIALS], credentials_context(user)))
    assert opened == {"apiKey": "key-1234", "secret": "s3cr3t"}


def test_a_paper_connect_is_sent_as_it_is() -> None:
    params = {"venue": "paper", "initialBalances": {"USDT": "10"}}

    assert sealed_credentials(dict(params), None, uuid4()) == params


def test_without_executions_key_credentials_are_not_sent_at_all() -> None:
    with pytest.raises(ApiError) as refused:
        sealed_credentials({"venue": "kraken", "apiKey": "k", "secret": "s"}, None, uuid4())

    assert (refused.value.status, refused.value.code) == (503, "SEALING_KEY_MISSING")
