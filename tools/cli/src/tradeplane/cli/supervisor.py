"""Runs a stack's service processes: start, wait until ready, watch, and stop in reverse order."""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from types import TracebackType
from typing import Self

import httpx

from .probe import StartupError, http_ok
from .processes import ChildProcess, LineSink
from .services import ServiceSpec

OutputFor = Callable[[ServiceSpec], Path | LineSink]
"""Where a service's output goes: a log file, or a sink that receives each line."""


class Supervisor:
    """Owns one child process per spec; the parent must outlive them (they get SIGTERM when it dies)."""

    def __init__(
        self,
        specs: Sequence[ServiceSpec],
        *,
        output_for: OutputFor,
        base_env: Mapping[str, str] | None = None,
        stop_timeout: float = 10.0,
        cwd: Path | None = None,
    ) -> None:
        self.specs = {spec.name: spec for spec in specs}
        self.output_for = output_for
        self.base_env = dict(os.environ if base_env is None else base_env)
        self.stop_timeout = stop_timeout
        self.cwd = cwd
        self.processes: dict[str, ChildProcess] = {}

    def start(self, names: Iterable[str] | None = None) -> None:
        for name in self.specs if names is None else names:
            spec = self.specs[name]
            env = {**self.base_env, **spec.env}
            self.processes[name] = ChildProcess(
                name, spec.argv, output=self.output_for(spec), env=env, cwd=self.cwd
            )

    def wait_ready(self, timeout: float, names: Iterable[str] | None = None) -> None:
        """Poll each service's /readyz until all answer 200; fail fast when one exits."""
        pending = list(self.specs if names is None else names)
        deadline = time.monotonic() + timeout
        with httpx.Client(timeout=2.0) as client:
            while pending:
                self._raise_if_exited(pending)
                pending = [name for name in pending if not http_ok(client, self.specs[name].ready_url)]
                if pending and time.monotonic() > deadline:
                    raise StartupError(f"not ready after {timeout:.0f} s: {', '.join(pending)}")
                if pending:
                    time.sleep(0.1)

    def exited(self) -> ChildProcess | None:
        """The first service that is no longer running, if any."""
        return next((proc for proc in self.processes.values() if not proc.alive), None)

    def stop(self, names: Iterable[str] | None = None) -> None:
        """Stop the named services, or all of them in reverse start order."""
        chosen = list(self.processes) if names is None else list(names)
        for name in reversed(chosen):
            proc = self.processes.get(name)
            if proc is not None:
                proc.stop(self.stop_timeout)

    def kill(self, name: str) -> None:
        self.processes[name].kill()

    def restart(self, name: str, timeout: float) -> None:
        self.stop([name])
        self.start([name])
        self.wait_ready(timeout, [name])

    def _raise_if_exited(self, names: Iterable[str]) -> None:
        for name in names:
            proc = self.processes[name]
            if not proc.alive:
                raise StartupError(f"{name} exited with {proc.returncode} while starting:\n{proc.tail()}")

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()
