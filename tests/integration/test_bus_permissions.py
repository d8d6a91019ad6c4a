"""The bus is not open: no anonymous client, and a service's credentials reach only its own subjects.

Run against the session's real nats-server, started (like `tradeplane up`'s) from the generated config
that carries every service's user and permissions.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import nats
import pytest
from nats.aio.client import Client
from nats.aio.msg import Msg
from tradeplane.contracts import Role, subjects
from tradeplane.contracts.permissions import GATEWAY, inbox_prefix
from tradeplane.contracts.queries import EXECUTION, PNL, RISK, Caller, Query

from tests.support import natsauth
from tests.support.client import eventually

pytestmark = [pytest.mark.integration, pytest.mark.timeout(60)]

ADMIN = Caller(user_id="00000000-0000-0000-0000-000000000001", role=Role.ADMIN, email="attacker")
RELEASE_HALT = subjects.query(RISK, "killswitch.deactivate")
VENUE_CONNECT = subjects.query(EXECUTION, "venues.connect")


class Listener:
    """An operator's subscription that records what arrives on a subject."""

    def __init__(self) -> None:
        self.received: list[Msg] = []

    async def keep(self, msg: Msg) -> None:
        self.received.append(msg)


@asynccontextmanager
async def as_user(url: str, user: str) -> AsyncIterator[tuple[Client, list[Exception]]]:
    """A connection with `user`'s own credentials, and the errors the server sends it."""
    errors: list[Exception] = []

    async def keep(error: Exception) -> None:
        errors.append(error)

    nc = await nats.connect(
        url,
        user=user,
        password=natsauth.passwords()[user],
        inbox_prefix=inbox_prefix(user),
        error_cb=keep,
        allow_reconnect=False,
    )
    try:
        yield nc, errors
    finally:
        await nc.close()


@asynccontextmanager
async def listening(url: str, subject: str) -> AsyncIterator[Listener]:
    listener = Listener()
    nc = await natsauth.connect_operator(url)
    try:
        await nc.subscribe(subject, cb=listener.keep)
        await nc.flush()
        yield listener
    finally:
        await nc.close()


def admin_query() -> bytes:
    return Query(caller=ADMIN, params={"scope": "global", "reason": "forged"}).model_dump_json().encode()


def violations(errors: list[Exception], kind: str, subject: str) -> list[Exception]:
    wanted = f'permissions violation for {kind} to "{subject}"'.lower()
    return [e for e in errors if wanted in str(e).lower()]


async def test_a_client_without_credentials_is_refused(nats_url: str) -> None:
    with pytest.raises(nats.errors.Error, match="Authorization Violation"):
        await nats.connect(nats_url, allow_reconnect=False, max_reconnect_attempts=0, connect_timeout=5)


async def test_a_client_with_a_wrong_password_is_refused(nats_url: str) -> None:
    with pytest.raises(nats.errors.Error, match="Authorization Violation"):
        await nats.connect(
            nats_url, user=GATEWAY, password="guessed", allow_reconnect=False, max_reconnect_attempts=0
        )


async def test_another_services_credentials_cannot_send_an_admin_query(nats_url: str) -> None:
    async with listening(nats_url, RELEASE_HALT) as risk, as_user(nats_url, PNL) as (pnl, errors):
        await pnl.publish(RELEASE_HALT, admin_query())
        await pnl.flush()
        await eventually(lambda: bool(violations(errors, "publish", RELEASE_HALT)), bool)

        assert violations(errors, "publish", RELEASE_HALT)
        assert risk.received == []


async def test_another_services_credentials_cannot_read_venue_connects(nats_url: str) -> None:
    async with as_user(nats_url, PNL) as (pnl, errors):
        eavesdrop = await pnl.subscribe(VENUE_CONNECT)
        await pnl.flush()
        await eventually(lambda: bool(violations(errors, "subscription", VENUE_CONNECT)), bool)
        operator = await natsauth.connect_operator(nats_url)
        try:
            await operator.publish(VENUE_CONNECT, b'{"params": {"sealedCredentials": "x"}}')
            await operator.flush()
        finally:
            await operator.close()

        with pytest.raises(TimeoutError):
            await eavesdrop.next_msg(timeout=1)
        assert violations(errors, "subscription", VENUE_CONNECT)


async def test_another_services_credentials_cannot_read_the_gateways_replies(nats_url: str) -> None:
    inbox = f"{inbox_prefix(GATEWAY)}.webhook-secret-reply"
    async with as_user(nats_url, PNL) as (pnl, errors):
        await pnl.subscribe(inbox)
        await pnl.flush()
        await eventually(lambda: bool(violations(errors, "subscription", inbox)), bool)

        assert violations(errors, "subscription", inbox)


async def test_the_gateways_credentials_send_queries(nats_url: str) -> None:
    async with listening(nats_url, RELEASE_HALT) as risk, as_user(nats_url, GATEWAY) as (gateway, errors):
        await gateway.publish(RELEASE_HALT, admin_query())
        await gateway.flush()
        await eventually(lambda: bool(risk.received), bool)

        assert len(risk.received) == 1 and errors == []


async def test_a_services_credentials_cannot_delete_a_stream(nats_url: str) -> None:
    operator = await natsauth.connect_operator(nats_url)
    try:
        await operator.jetstream().add_stream(name="WIPE_CHECK", subjects=["wipe.check.>"])
        async with as_user(nats_url, PNL) as (pnl, errors):
            with pytest.raises(TimeoutError):
                await pnl.jetstream(timeout=1).delete_stream("WIPE_CHECK")

        assert violations(errors, "publish", "$JS.API.STREAM.DELETE.WIPE_CHECK")
        assert (await operator.jetstream().stream_info("WIPE_CHECK")).config.name == "WIPE_CHECK"
    finally:
        await operator.jetstream().delete_stream("WIPE_CHECK")
        await operator.close()


GATEWAY_AUDIT = subjects.audit(GATEWAY, "user.role")


async def test_another_service_cannot_publish_the_gateways_audit_entries(nats_url: str) -> None:
    async with listening(nats_url, GATEWAY_AUDIT) as audit, as_user(nats_url, RISK) as (risk, errors):
        await risk.publish(GATEWAY_AUDIT, b'{"actor": "forged"}')
        await risk.flush()
        await eventually(lambda: bool(violations(errors, "publish", GATEWAY_AUDIT)), bool)
        assert audit.received == []


async def test_each_service_publishes_its_own_audit_entries(nats_url: str) -> None:
    own = subjects.audit(RISK, "killswitch.activate")
    async with listening(nats_url, own) as audit, as_user(nats_url, RISK) as (risk, errors):
        await risk.publish(own, b"{}")
        await risk.flush()
        await eventually(lambda: len(audit.received), lambda n: n == 1)
        assert errors == []
