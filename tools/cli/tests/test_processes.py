"""Child processes: output reaches its sink, stop escalates, nothing of the group or of an orphan survives."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterable
from pathlib import Path

import psutil
import pytest
from tradeplane.cli.processes import ChildProcess

WaitGone = Callable[[Iterable[int]], list[int]]
_PY = sys.executable


def _children_of(pid: int, count: int, timeout: float = 5.0) -> list[int]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = [child.pid for child in psutil.Process(pid).children(recursive=True)]
        if len(found) >= count:
            return found
        time.sleep(0.02)
    raise AssertionError(f"{pid} did not start {count} children")


def test_each_output_line_reaches_the_sink_in_order() -> None:
    lines: list[str] = []
    child = ChildProcess("echo", [_PY, "-c", "print('one'); print('two [x]')"], output=lines.append)

    child.wait(5)

    assert lines == ["one", "two [x]"]


def test_output_to_file_is_kept_for_the_tail(tmp_path: Path) -> None:
    child = ChildProcess("echo", [_PY, "-c", "print('in the log')"], output=tmp_path / "echo.log")
    child.wait(5)

    assert child.tail() == "in the log"


def test_child_ignoring_sigterm_is_killed_after_the_timeout() -> None:
    code = (
        "import signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); "
        "print('ready', flush=True); time.sleep(60)"
    )
    lines: list[str] = []
    child = ChildProcess("stubborn", [_PY, "-c", code], output=lines.append)
    while not lines:
        time.sleep(0.01)

    assert child.stop(0.2) == -signal.SIGKILL


def test_stop_also_ends_what_the_child_started(wait_gone: WaitGone) -> None:
    child = ChildProcess("shell", ["sh", "-c", "sleep 60 & sleep 60 & wait"], output=lambda _: None)
    grandchildren = _children_of(child.pid, 2)

    child.stop(5)

    assert wait_gone(grandchildren) == []


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="parent-death signal is Linux only")
def test_child_gets_the_death_signal_when_its_parent_is_killed(wait_gone: WaitGone) -> None:
    spawner = (
        "import sys, time; from tradeplane.cli.processes import ChildProcess; "
        "c = ChildProcess('sleep', ['sleep', '60'], output=lambda _: None); "
        "print(c.pid, flush=True); time.sleep(60)"
    )
    parent = subprocess.Popen([_PY, "-c", spawner], stdout=subprocess.PIPE, text=True)
    assert parent.stdout is not None
    orphan = int(parent.stdout.readline())

    parent.kill()
    parent.wait()

    assert wait_gone([orphan]) == []


def test_child_runs_in_its_own_process_group() -> None:
    child = ChildProcess("sleep", ["sleep", "60"], output=lambda _: None)
    try:
        assert os.getpgid(child.pid) == child.pid
    finally:
        child.kill()
