"""The integration fixtures themselves: real servers, fresh state per stack, nothing left running."""

from __future__ import annotations

import importlib.util
import os
import signal
import subprocess
import sys
from pathlib import Path

import httpx
import psutil
import psycopg
import pytest
from tradeplane.cli.database import libpq_url
from tradeplane.cli.probe import free_port
from tradeplane.cli.services import SERVICES

from tests.support.client import eventually_sync
from tests.support.natsauth import connect_operator
from tests.support.servers import REPO_ROOT, Stack

pytestmark = pytest.mark.integration

FAKE_SERVICE = REPO_ROOT / "tools" / "cli" / "tests" / "fake_service.py"
SERVICES_RUNNABLE = all(importlib.util.find_spec(f"tradeplane.{kind}.__main__") for kind in SERVICES)
needs_services = pytest.mark.skipif(not SERVICES_RUNNABLE, reason="not every service has a __main__ yet")


def fake(kind: str) -> list[str]:
    return [sys.executable, str(FAKE_SERVICE)]


def _alive(pids: list[int]) -> list[int]:
    return [pid for pid in pids if psutil.pid_exists(pid) and psutil.Process(pid).status() != "zombie"]


def _gone(pids: list[int]) -> list[int]:
    """The processes of `pids` still alive once they are all gone: [] (fails the test after 5 s)."""
    return eventually_sync(lambda: _alive(pids), lambda alive: alive == [], timeout=5)


async def test_session_nats_stores_published_messages_in_a_stream(nats_url: str) -> None:
    nc = await connect_operator(nats_url)
    try:
        js = nc.jetstream()
        await js.add_stream(name="FIXTURE_CHECK", subjects=["fixture.check.>"])
        ack = await js.publish("fixture.check.one", b"x")
        await js.delete_stream("FIXTURE_CHECK")
    finally:
        await nc.close()

    assert ack.stream == "FIXTURE_CHECK"


def test_session_database_accepts_a_connection(database_url: str) -> None:
    with psycopg.connect(libpq_url(database_url)) as conn:
        assert conn.execute("SELECT 1").fetchone() == (1,)


def test_fresh_database_starts_without_tables(fresh_database_url: str) -> None:
    with psycopg.connect(libpq_url(fresh_database_url)) as conn:
        row = conn.execute(
            "SELECT count(*) FROM pg_tables WHERE schemaname NOT IN ('pg_catalog', 'information_schema')"
        ).fetchone()

    assert row == (0,)


def test_stack_services_answer_on_their_urls(stack: Stack) -> None:
    stack.start(["risk", "execution", "gateway"], executors=2, command=fake)

    codes = [
        httpx.get(f"{stack.url(name)}/readyz").status_code for name in ("risk", "execution-1", "gateway")
    ]

    assert codes == [200, 200, 200]


def test_stack_restart_brings_a_killed_service_back(stack: Stack) -> None:
    stack.start(["risk", "gateway"], command=fake)
    stack.kill("risk")

    stack.restart("risk")

    assert httpx.get(f"{stack.url('risk')}/readyz").status_code == 200


def test_two_stacks_get_different_databases_and_nats_servers(
    postgres_server_url: str, tmp_path: Path
) -> None:
    stacks = [Stack(tmp_path / str(i), postgres_server_url=postgres_server_url) for i in range(2)]
    try:
        for each in stacks:
            each.start(["risk"], command=fake)
        urls = {(each.database_url, each.nats_url) for each in stacks}
    finally:
        for each in stacks:
            each.stop()

    assert len({db for db, _ in urls}) == 2 and (
        len({n for _, n in urls}) == 2 or os.environ.get("TP_NATS_URL")
    )


def test_stopped_stack_leaves_no_process_and_drops_its_database(
    postgres_server_url: str, tmp_path: Path
) -> None:
    running = Stack(tmp_path, postgres_server_url=postgres_server_url).start(["risk", "pnl"], command=fake)
    pids = [running.process(name).pid for name in ("risk", "pnl")]

    running.stop()

    with psycopg.connect(libpq_url(postgres_server_url)) as conn:
        left = conn.execute(
            "SELECT 1 FROM pg_database WHERE datname = %s", (running.database_url.rsplit("/", 1)[1],)
        )
        assert (_gone(pids), left.fetchone()) == ([], None)


@needs_services
def test_stack_runs_every_real_service_until_ready(stack: Stack) -> None:
    stack.start(executors=2)

    assert httpx.get(f"{stack.url('gateway')}/readyz").status_code == 200


@needs_services
def test_tradeplane_up_serves_readyz_and_ctrl_c_leaves_nothing_running(tmp_path: Path) -> None:
    ports = {f"TP_{name}_PORT": str(free_port()) for name in ("NATS", "NATS_MONITOR", "POSTGRES", "GATEWAY")}
    ports |= {
        f"TP_{name}_PORT": str(free_port()) for name in ("RISK", "PNL", "NOTIFIER", "EXECUTION", "MARKETDATA")
    }
    env = (
        {k: v for k, v in os.environ.items() if not k.startswith("TP_")}
        | ports
        | {"TP_DATA_DIR": str(tmp_path)}
    )
    up = subprocess.Popen(
        [sys.executable, "-m", "tradeplane.cli", "up"],
        env=env | {"COLUMNS": "200"},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        assert up.stdout is not None
        printed = []
        for line in up.stdout:
            printed.append(line)
            if "Tradeplane is up" in line:
                break
        else:
            raise AssertionError("".join(printed))
        children = [child.pid for child in psutil.Process(up.pid).children(recursive=True)]
        ready = httpx.get(f"http://127.0.0.1:{ports['TP_GATEWAY_PORT']}/readyz").status_code
    finally:
        up.send_signal(signal.SIGINT)
        up.communicate(timeout=60)

    assert (ready, up.returncode, _gone(children)) == (200, 0, [])
