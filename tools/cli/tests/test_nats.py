"""The embedded nats-server: JetStream on, no process left after stop, clear error on a taken port."""

from __future__ import annotations

import socket
import stat
from collections.abc import Callable, Iterable
from pathlib import Path

import nats
import pytest
from tradeplane.cli.nats import EmbeddedNats
from tradeplane.cli.probe import StartupError
from tradeplane.contracts.permissions import ALL_USERS

from .conftest import embedded_nats

pytestmark = pytest.mark.integration
WaitGone = Callable[[Iterable[int]], list[int]]


async def test_client_publishes_to_a_jetstream_stream(nats_server: EmbeddedNats) -> None:
    nc = await nats.connect(nats_server.url)
    try:
        js = nc.jetstream()
        await js.add_stream(name="CHECK", subjects=["check.>"])
        ack = await js.publish("check.one", b"hello")
    finally:
        await nc.close()

    assert (ack.stream, ack.seq) == ("CHECK", 1)


def test_stop_leaves_no_nats_process(tmp_path: Path, wait_gone: WaitGone) -> None:
    server = embedded_nats(tmp_path).start()
    assert server.process is not None
    pid = server.process.pid

    server.stop()

    assert wait_gone([pid]) == []


def test_taken_port_fails_naming_the_setting(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        server = embedded_nats(tmp_path, port=taken.getsockname()[1])

        with pytest.raises(StartupError, match="TP_NATS_PORT"):
            server.start()


async def test_server_with_passwords_admits_only_its_users(tmp_path: Path) -> None:
    passwords = {user: f"pw-{user}" for user in ALL_USERS}
    server = embedded_nats(tmp_path, passwords=passwords)
    with server:
        with pytest.raises(nats.errors.Error, match="Authorization Violation"):
            await nats.connect(server.url, allow_reconnect=False, max_reconnect_attempts=0)
        nc = await nats.connect(server.url, user="gateway", password="pw-gateway")
        await nc.close()

    assert stat.S_IMODE(server.config_path.stat().st_mode) == 0o600
