"""The embedded PostgreSQL: runs unprivileged, accepts connections, stops cleanly, survives stale locks."""

from __future__ import annotations

import os
import signal
import subprocess
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

import psutil
import psycopg
import pytest
from tradeplane.cli.database import can_connect, libpq_url
from tradeplane.cli.postgres import EmbeddedPostgres
from tradeplane.cli.probe import free_port

pytestmark = pytest.mark.integration
WaitGone = Callable[[Iterable[int]], list[int]]


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One initialised cluster for the module; each test runs its own server on it, one at a time."""
    root = tmp_path_factory.mktemp("pg")
    EmbeddedPostgres(root / "data", port=free_port(), log_path=root / "pg.log", durable=False).start().stop()
    return root / "data"


def _server(cluster: Path) -> EmbeddedPostgres:
    return EmbeddedPostgres(cluster, port=free_port(), log_path=cluster.parent / "pg.log", durable=False)


@pytest.fixture
def running(cluster: Path) -> Iterator[EmbeddedPostgres]:
    with _server(cluster) as server:
        yield server


def test_created_database_accepts_a_psycopg_connection(running: EmbeddedPostgres) -> None:
    url = running.create_database("app")

    with psycopg.connect(libpq_url(url)) as conn:
        row = conn.execute("SELECT current_database()").fetchone()

    assert row == ("app",)


@pytest.mark.skipif(os.geteuid() != 0, reason="only root needs the unprivileged account")
def test_started_by_root_the_server_runs_as_an_unprivileged_user(running: EmbeddedPostgres) -> None:
    assert running.process is not None

    assert psutil.Process(running.process.pid).uids().effective != 0


def test_stop_leaves_no_postgres_process(cluster: Path, wait_gone: WaitGone) -> None:
    server = _server(cluster).start()
    assert server.process is not None
    postmaster = psutil.Process(server.process.pid)
    pids = [postmaster.pid, *(child.pid for child in postmaster.children(recursive=True))]

    server.stop()

    assert wait_gone(pids) == []


def test_stale_postmaster_pid_after_sigkill_does_not_block_the_next_start(cluster: Path) -> None:
    crashed = _server(cluster).start()
    assert crashed.process is not None
    os.kill(crashed.process.pid, signal.SIGKILL)
    crashed.process.popen.wait()
    assert (cluster / "postmaster.pid").exists()

    try:
        with _server(cluster) as restarted:
            assert can_connect(restarted.url())
    finally:
        crashed.stop()


def test_lock_naming_an_unrelated_live_process_does_not_block_the_start(cluster: Path) -> None:
    unrelated = subprocess.Popen(["sleep", "60"])
    try:
        (cluster / "postmaster.pid").write_text(f"{unrelated.pid}\n{cluster}\n")
        with _server(cluster) as server:
            assert can_connect(server.url())
    finally:
        unrelated.kill()
        unrelated.wait()


def test_first_start_creates_missing_parent_directories(tmp_path: Path) -> None:
    data = tmp_path / "not" / "yet" / "there"

    with EmbeddedPostgres(data, port=free_port(), log_path=tmp_path / "pg.log", durable=False) as server:
        assert can_connect(server.url())
