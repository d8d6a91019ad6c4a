"""Child processes that cannot outlive their parent: own process group, parent-death signal, bounded stop."""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal
import subprocess
import sys
import threading
from collections import deque
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import IO, Self

LineSink = Callable[[str], None]
"""Receives one line of a child's output, without its newline."""

_PR_SET_PDEATHSIG = 1
_TAIL_LINES = 60


@dataclass(frozen=True)
class RunAs:
    """An unprivileged user to run a child as (PostgreSQL refuses to run as root)."""

    uid: int
    gid: int


def _death_signal_hook(death_signal: int) -> Callable[[], None] | None:
    """A preexec hook making the kernel signal the child when the spawning thread dies.

    The parent-death signal fires when the *thread* that forked exits, so spawn from a thread that lives as
    long as the children (the main thread). Resolved in the parent so the forked child only makes one call.
    """
    if not sys.platform.startswith("linux"):
        return None
    prctl = ctypes.CDLL(None, use_errno=True).prctl
    parent = os.getpid()

    def hook() -> None:
        prctl(_PR_SET_PDEATHSIG, death_signal)
        if os.getppid() != parent:  # the parent died before prctl took effect
            os.kill(os.getpid(), death_signal)

    return hook


class ChildProcess:
    """One spawned program; its output goes to a log file or, line by line, to a sink."""

    def __init__(
        self,
        name: str,
        argv: Sequence[str],
        *,
        output: Path | LineSink,
        env: Mapping[str, str] | None = None,
        cwd: Path | None = None,
        run_as: RunAs | None = None,
        stop_signal: int = signal.SIGTERM,
        death_signal: int = signal.SIGTERM,
    ) -> None:
        self.name = name
        self.argv = list(argv)
        self.stop_signal = stop_signal
        self._tail: deque[str] = deque(maxlen=_TAIL_LINES)
        self._log_path = output if isinstance(output, Path) else None
        self._pump: threading.Thread | None = None
        stdout: int | IO[bytes]
        if self._log_path is not None:
            self._log_path.parent.mkdir(parents=True, exist_ok=True)
            stdout = self._log_path.open("ab")
        else:
            stdout = subprocess.PIPE
        user_args: dict[str, object] = {}
        if run_as is not None:
            user_args = {"user": run_as.uid, "group": run_as.gid, "extra_groups": []}
        try:
            self.popen: subprocess.Popen[bytes] = subprocess.Popen(
                self.argv,
                stdin=subprocess.DEVNULL,
                stdout=stdout,
                stderr=subprocess.STDOUT,
                env=dict(env) if env is not None else None,
                cwd=cwd,
                start_new_session=True,
                preexec_fn=_death_signal_hook(death_signal),
                **user_args,  # type: ignore[call-overload]
            )
        finally:
            if not isinstance(stdout, int):
                stdout.close()
        if not isinstance(output, Path):
            self._pump = threading.Thread(target=self._pump_lines, args=(output,), daemon=True)
            self._pump.start()

    @property
    def pid(self) -> int:
        return self.popen.pid

    @property
    def returncode(self) -> int | None:
        return self.popen.poll()

    @property
    def alive(self) -> bool:
        return self.popen.poll() is None

    def tail(self) -> str:
        """The last lines the child wrote, for error messages."""
        if self._log_path is not None and self._log_path.exists():
            lines = self._log_path.read_text(errors="replace").splitlines()
            return "\n".join(lines[-_TAIL_LINES:])
        return "\n".join(self._tail)

    def stop(self, timeout: float) -> int:
        """Ask the child to stop, kill its whole group if it has not within `timeout` seconds."""
        if self.alive:
            with contextlib.suppress(ProcessLookupError):
                self.popen.send_signal(self.stop_signal)
            try:
                self.popen.wait(timeout)
            except subprocess.TimeoutExpired:
                self._kill_group()
                self.popen.wait()
        return self._finish()

    def wait(self, timeout: float | None = None) -> int:
        """Wait for the child to exit by itself and for its last output line to be delivered."""
        self.popen.wait(timeout)
        return self._finish()

    def kill(self) -> int:
        """SIGKILL the child and everything in its process group, as a crash would."""
        self._kill_group()
        self.popen.wait()
        return self._finish()

    def _finish(self) -> int:
        self._kill_group()  # stragglers the child left in its group
        if self._pump is not None:
            self._pump.join(timeout=2)
        return self.popen.wait()

    def _kill_group(self) -> None:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.popen.pid, signal.SIGKILL)

    def _pump_lines(self, sink: LineSink) -> None:
        assert self.popen.stdout is not None
        with self.popen.stdout as stream:
            for raw in stream:
                line = raw.decode("utf-8", errors="replace").rstrip("\r\n")
                self._tail.append(line)
                with contextlib.suppress(Exception):
                    sink(line)


class EmbeddedServer:
    """A server run as one child process (`process`, set by `start`): stopped on leaving a `with`."""

    process: ChildProcess | None = None

    def start(self) -> Self:
        """Start the server and wait until it serves."""
        raise NotImplementedError

    def stop(self, timeout: float = 10.0) -> None:
        if self.process is not None:
            self.process.stop(timeout)

    def _exit_reason(self) -> str | None:
        """Why the process is gone (its exit code and last output); None while it runs."""
        assert self.process is not None
        if self.process.alive:
            return None
        return f"exited with {self.process.returncode}:\n{self.process.tail()}"

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()
