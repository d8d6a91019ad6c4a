"""NATS credentials of the test servers, and the `operator` connection tests use to publish raw messages.

Every nats-server a test starts admits the users of `tradeplane.contracts.permissions`, with passwords
generated once per test process; with TP_NATS_URL (a shared server) they come from the environment
(`TP_NATS_PASSWORD_<USER>`, as `tradeplane servers` writes them to `.data/secrets.env`).
"""

from __future__ import annotations

import asyncio
import functools
import os
import secrets
from collections.abc import Callable
from typing import Any, TypeVar

import nats
from nats.aio.client import Client
from nats.aio.msg import Msg
from tradeplane.cli import devsecrets
from tradeplane.contracts.permissions import ALL_USERS, OPERATOR

T = TypeVar("T")


@functools.cache
def passwords() -> dict[str, str]:
    """Every NATS user's password, by user name."""
    if os.environ.get("TP_NATS_URL"):
        return devsecrets.nats_passwords(os.environ)
    return {user: secrets.token_urlsafe(24) for user in ALL_USERS}


def secrets_env() -> dict[str, str]:
    """The passwords as the development secrets name them (`TP_NATS_PASSWORD_<USER>`)."""
    return {devsecrets.nats_password_name(user): password for user, password in passwords().items()}


def operator_env() -> dict[str, str]:
    """`TP_NATS_USER`/`TP_NATS_PASSWORD` of the operator, for a CLI command or a probe process."""
    password = passwords().get(OPERATOR)
    return {"TP_NATS_USER": OPERATOR, "TP_NATS_PASSWORD": password} if password else {}


def operator_settings() -> dict[str, Any]:
    """`nats_user`/`nats_password` of the operator, for a `ServiceSettings` a test builds in process."""
    password = passwords().get(OPERATOR)
    return {"nats_user": OPERATOR, "nats_password": password} if password else {}


async def connect_operator(url: str, **options: Any) -> Client:
    """A raw NATS connection as the operator (allowed every subject, like the CLI)."""
    password = passwords().get(OPERATOR)
    credentials = {"user": OPERATOR, "password": password} if password else {}
    return await nats.connect(url, **credentials, **options)


async def recorded_while(url: str, subject: str, action: Callable[[], T]) -> tuple[T, list[bytes]]:
    """Run the blocking `action` while the operator records every message on `subject`."""
    seen: list[bytes] = []

    async def keep(msg: Msg) -> None:
        seen.append(msg.data)

    nc = await connect_operator(url)
    try:
        await nc.subscribe(subject, cb=keep)
        await nc.flush()
        result = await asyncio.to_thread(action)
        await nc.flush()
    finally:
        await nc.close()
    return result, seen
