"""Shared helpers for the CLI tests: the fake service command, a check that processes are gone, and a
real nats-server."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

import psutil
import pytest
from tradeplane.cli.nats import EmbeddedNats
from tradeplane.cli.probe import free_port

FAKE_SERVICE = Path(__file__).with_name("fake_service.py")
WaitGone = Callable[[Iterable[int]], list[int]]


def _fake_command(kind: str) -> list[str]:
    return [sys.executable, str(FAKE_SERVICE)]


def _running(pid: int) -> bool:
    try:
        return bool(psutil.Process(pid).status() != psutil.STATUS_ZOMBIE)
    except psutil.NoSuchProcess:
        return False


def _wait_gone(pids: Iterable[int], timeout: float = 5.0) -> list[int]:
    """The pids still running once all have exited or `timeout` has passed (zombies count as gone)."""
    pids = list(pids)
    deadline = time.monotonic() + timeout
    while True:
        alive = [pid for pid in pids if _running(pid)]
        if not alive or time.monotonic() > deadline:
            return alive
        time.sleep(0.05)


@pytest.fixture
def fake_command() -> Callable[[str], list[str]]:
    """Command running the stand-in service for any service kind."""
    return _fake_command


@pytest.fixture
def wait_gone() -> WaitGone:
    return _wait_gone


def embedded_nats(tmp_path: Path, port: int | None = None, **options: Any) -> EmbeddedNats:
    """A nats-server (not started yet) keeping its data and log under `tmp_path`, on free ports."""
    return EmbeddedNats(
        tmp_path / "nats",
        port=port or free_port(),
        monitor_port=free_port(),
        log_path=tmp_path / "nats.log",
        **options,
    )


@pytest.fixture
def nats_server(tmp_path: Path) -> Iterator[EmbeddedNats]:
    """A nats-server of the test's own, without auth, stopped after it."""
    with embedded_nats(tmp_path) as server:
        yield server
