"""An app wired to nothing: requests that pass validation never reach a bus or database here."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from tradeplane.contracts import Role
from tradeplane.gateway import deps
from tradeplane.gateway.app import build
from tradeplane.gateway.auth.principal import Principal
from tradeplane.gateway.config import Settings


def principal(role: Role = Role.TRADER) -> Principal:
    now = datetime.now(UTC)
    row = SimpleNamespace(
        id=uuid.uuid4(),
        email=f"{role.value}@example.com",
        name="",
        role=role.value,
        timezone="UTC",
        language="en",
        two_factor_enabled=False,
        created_at=now,
        last_login=now,
    )
    return Principal(row, uuid.uuid4(), now + timedelta(minutes=15))  # type: ignore[arg-type]


@pytest.fixture
def app() -> FastAPI:
    settings = Settings(
        env="development",
        jwt_secret="unit-test-secret-unit-test-secret-unit-test",
        nats_url="nats://127.0.0.1:1",
        database_url="postgresql://nobody@127.0.0.1:1/none",
    )
    return build(settings)


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    yield TestClient(app, raise_server_exceptions=False)


@pytest.fixture
def login_as(app: FastAPI) -> Callable[[Role], Principal]:
    def login(role: Role) -> Principal:
        user = principal(role)
        app.dependency_overrides[deps._principal] = lambda: user
        return user

    return login
