"""`tradeplane up` end to end with stand-in services: ready banner, clean Ctrl-C, stop on a crash."""

from __future__ import annotations

import contextlib
import os
import queue
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import psutil
import pytest
from tradeplane.cli.probe import free_port

pytestmark = pytest.mark.integration
WaitGone = Callable[[Iterable[int]], list[int]]
UP = Path(__file__).with_name("up_with_fakes.py")
PORT_SETTINGS = ["NATS_PORT", "NATS_MONITOR_PORT", "POSTGRES_PORT", "GATEWAY_PORT", "RISK_PORT", "PNL_PORT"]
PORT_SETTINGS += ["NOTIFIER_PORT", "EXECUTION_PORT"]


@dataclass
class Up:
    process: subprocess.Popen[str]
    lines: queue.Queue[str] = field(default_factory=queue.Queue)
    seen: list[str] = field(default_factory=list)

    def wait_for(self, text: str, timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        while not any(text in line for line in self.seen):
            remaining = deadline - time.monotonic()
            if remaining <= 0 or (self.process.poll() is not None and self.lines.empty()):
                raise AssertionError(f"never printed {text!r}:\n" + "\n".join(self.seen))
            with contextlib.suppress(queue.Empty):
                self.seen.append(self.lines.get(timeout=min(remaining, 0.2)))

    def pump(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.lines.put(line.rstrip("\n"))

    def descendants(self) -> list[int]:
        return [child.pid for child in psutil.Process(self.process.pid).children(recursive=True)]


EXTERNAL = {"TP_NATS_URL": "nats://127.0.0.1:1", "TP_DATABASE_URL": "postgresql://nobody@127.0.0.1:1/x"}
"""Servers the stand-in services never contact: skips the embedded ones where a test is not about them."""


def _env(data_dir: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TP_")}
    env |= {f"TP_{name}": str(free_port()) for name in PORT_SETTINGS}
    env |= {"TP_DATA_DIR": str(data_dir), "COLUMNS": "200"}
    return env | extra


@pytest.fixture
def start_up(tmp_path: Path) -> Iterator[Callable[..., Up]]:
    started: list[Up] = []

    def start(**extra: str) -> Up:
        process = subprocess.Popen(
            [sys.executable, str(UP)],
            env=_env(tmp_path / ".data", **extra),
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        up = Up(process)
        threading.Thread(target=up.pump, daemon=True).start()
        started.append(up)
        return up

    yield start
    for up in started:
        if up.process.poll() is None:
            up.process.send_signal(signal.SIGINT)
            up.process.wait(30)


def test_up_prints_the_gateway_url_and_admin_login_when_ready(start_up: Callable[..., Up]) -> None:
    up = start_up(**EXTERNAL)

    up.wait_for("Tradeplane is up: http://127.0.0.1:")

    up.wait_for("Admin login: admin@tradeplane.local / ")


def test_service_logs_are_prefixed_with_the_service_name(start_up: Callable[..., Up]) -> None:
    up = start_up(**EXTERNAL)

    up.wait_for('gateway     | {"event": "listening"')


def test_ctrl_c_stops_servers_and_services_and_exits_zero(
    start_up: Callable[..., Up], wait_gone: WaitGone
) -> None:
    up = start_up()
    up.wait_for("Ctrl-C to stop")
    children = up.descendants()
    assert {psutil.Process(pid).name() for pid in children} >= {"nats-server", "postgres"}

    up.process.send_signal(signal.SIGINT)

    assert (up.process.wait(30), wait_gone(children)) == (0, [])


def test_sigterm_stops_every_child_too(start_up: Callable[..., Up], wait_gone: WaitGone) -> None:
    up = start_up(**EXTERNAL)
    up.wait_for("Ctrl-C to stop")
    children = up.descendants()

    up.process.send_signal(signal.SIGTERM)

    assert (up.process.wait(30), wait_gone(children)) == (0, [])


def test_crashing_service_stops_everything_with_a_failure_code(
    start_up: Callable[..., Up], wait_gone: WaitGone
) -> None:
    up = start_up(FAKE_EXIT_AFTER="2", **EXTERNAL)
    up.wait_for("Ctrl-C to stop")
    children = up.descendants()

    code = up.process.wait(30)

    assert (code, wait_gone(children)) == (1, [])


def test_second_start_reuses_the_stored_admin_password(start_up: Callable[..., Up]) -> None:
    first = start_up(**EXTERNAL)
    first.wait_for("Ctrl-C to stop")
    first.process.send_signal(signal.SIGINT)
    first.process.wait(30)
    second = start_up(**EXTERNAL)

    second.wait_for("Ctrl-C to stop")

    logins = [line for up in (first, second) for line in up.seen if line.startswith("Admin login")]
    assert logins[0] == logins[1]


def test_taken_service_port_fails_naming_its_setting(start_up: Callable[..., Up]) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        up = start_up(TP_GATEWAY_PORT=str(taken.getsockname()[1]), **EXTERNAL)

        up.wait_for("set TP_GATEWAY_PORT to another port")

        assert up.process.wait(30) == 1
