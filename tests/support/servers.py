"""Real servers for integration tests: NATS and PostgreSQL on free ports in temp dirs, and service stacks.

`Stack` runs the real service processes (`python -m tradeplane.<service>`) against a fresh database and,
unless TP_NATS_URL names a shared server, a fresh nats-server. Call it from the main thread: children get
SIGTERM when the thread that started them ends. Its calls block; inside an async test they pause the loop.
"""

from __future__ import annotations

import asyncio
import os
import time
import uuid
from collections.abc import Callable, Coroutine, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Self

import httpx
import pytest
from tradeplane.cli import devsecrets
from tradeplane.cli.database import drop_database, ensure_database, sqlalchemy_url
from tradeplane.cli.nats import EmbeddedNats
from tradeplane.cli.postgres import EmbeddedPostgres
from tradeplane.cli.probe import StartupError, free_port, http_ok, wait_until
from tradeplane.cli.processes import ChildProcess
from tradeplane.cli.services import (
    SERVICES,
    Command,
    module_command,
    own_credentials,
    service_specs,
    stack_env,
)
from tradeplane.cli.supervisor import Supervisor

from . import natsauth

REPO_ROOT = Path(__file__).resolve().parents[2]
ADMIN_EMAIL = "admin@tradeplane.local"
_OWN_STREAM_PREFIXES = ("TP_", "KV_tp")


def start_nats(directory: Path) -> EmbeddedNats:
    """A nats-server with JetStream on free ports, its data and log in `directory`."""
    server = EmbeddedNats(
        directory / "data",
        port=free_port(),
        monitor_port=free_port(),
        log_path=directory / "nats.log",
        passwords=natsauth.passwords(),
    )
    return server.start()


def start_postgres(directory: Path) -> EmbeddedPostgres:
    """A throwaway PostgreSQL (fsync off) on a free port, its cluster and log in `directory`."""
    server = EmbeddedPostgres(
        directory / "pgdata", port=free_port(), log_path=directory / "postgres.log", durable=False
    )
    return server.start()


def create_database(server_url: str, prefix: str = "tp") -> str:
    """A new, empty database on the server `server_url` points at; returns its URL."""
    return ensure_database(server_url, f"{prefix}_{uuid.uuid4().hex[:12]}")


def database_name(url: str) -> str:
    return url.rsplit("/", 1)[-1].split("?", 1)[0]


def remove_database(server_url: str, url: str) -> None:
    """Drop the database `url` names, on the server `server_url` points at."""
    drop_database(server_url, database_name(url))


def run_async(make: Callable[[], Coroutine[Any, Any, Any]]) -> Any:
    """Run a coroutine to completion from sync code, even when an event loop runs in this thread."""
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, make()).result()


async def delete_tradeplane_streams(nats_url: str) -> None:
    """Forget all Tradeplane streams and KV buckets on a shared server, so a stack starts clean."""
    nc = await natsauth.connect_operator(nats_url)
    try:
        js = nc.jetstream()
        for info in await js.streams_info():
            if info.config.name and info.config.name.startswith(_OWN_STREAM_PREFIXES):
                await js.delete_stream(info.config.name)
    finally:
        await nc.close()


RELAXED_RATE_LIMITS = {
    "TP_RATE_LIMIT_PER_MINUTE": "1000000",
    "TP_RATE_LIMIT_TRADING_PER_MINUTE": "1000000",
    "TP_RATE_LIMIT_MARKET_PER_MINUTE": "1000000",
    "TP_RATE_LIMIT_COSTLY_PER_MINUTE": "1000000",
    "TP_RATE_LIMIT_ANONYMOUS_PER_MINUTE": "1000000",
}
"""The gateway's rate limits of a test stack, out of the way of tests that are not about them (they
poll and burst from one address); a test of the limits passes `rate_limits={}` (the defaults)."""
ANONYMOUS_RELAXED = {"TP_RATE_LIMIT_ANONYMOUS_PER_MINUTE": "1000000"}
"""Only registrations and logins from one address unlimited: the bench signs up hundreds of users."""


class Stack:
    """Service processes on free ports, with their own database and NATS state; stopped by `stop()`."""

    def __init__(
        self, workdir: Path, *, postgres_server_url: str, shared_nats_url: str | None = None
    ) -> None:
        self.workdir = workdir
        self.postgres_server_url = postgres_server_url
        self.shared_nats_url = shared_nats_url
        self.secrets = devsecrets.generate() | natsauth.secrets_env()
        self.admin_email = ADMIN_EMAIL
        self.admin_password = self.secrets["TP_ADMIN_PASSWORD"]
        self.env: dict[str, str] = {}
        self.nats_url = ""
        self.database_url = ""
        self.supervisor: Supervisor | None = None
        self.extra: dict[str, ChildProcess] = {}
        self._nats: EmbeddedNats | None = None

    def start(
        self,
        services: Sequence[str] = SERVICES,
        *,
        executors: int = 1,
        env: Mapping[str, str] | None = None,
        partitions: int = 16,
        command: Command = module_command,
        timeout: float = 60.0,
        rate_limits: Mapping[str, str] = RELAXED_RATE_LIMITS,
    ) -> Self:
        """Start `services` (`execution` as `executors` processes) and wait until each answers /readyz;
        `env` wins over `rate_limits` (the gateway's, relaxed unless a test says otherwise)."""
        if self.supervisor is not None:
            raise RuntimeError("this stack is already started")
        self.nats_url = self._fresh_nats()
        self.database_url = sqlalchemy_url(create_database(self.postgres_server_url))
        self.env = (
            stack_env(
                nats_url=self.nats_url,
                database_url=self.database_url,
                secrets=self.secrets,
                admin_email=self.admin_email,
                partitions=partitions,
                log_level="INFO",
            )
            | dict(rate_limits)
            | dict(env or {})
        )
        specs = service_specs(
            services,
            port_of=lambda _: free_port(),
            env=self.env,
            executors=executors,
            partitions=partitions,
            command=command,
        )
        logs = self.workdir / "logs"
        self.supervisor = Supervisor(specs, output_for=lambda spec: logs / f"{spec.name}.log", cwd=REPO_ROOT)
        self.supervisor.start()
        self._wait_ready(timeout)
        return self

    def url(self, name: str) -> str:
        """Base URL of a service, e.g. `http://127.0.0.1:40123`; `execution` means `execution-0`."""
        return self._supervisor.specs[self._resolve(name)].base_url

    def process(self, name: str) -> ChildProcess:
        name = self._resolve(name)
        return self.extra[name] if name in self.extra else self._supervisor.processes[name]

    def kill(self, name: str) -> None:
        """SIGKILL a service, as a crash would."""
        self._supervisor.kill(self._resolve(name))

    def restart(self, name: str, timeout: float = 60.0) -> None:
        """Stop (if running) and start a service again, waiting until it is ready."""
        name = self._resolve(name)
        try:
            self._supervisor.restart(name, timeout)
        except StartupError as exc:
            raise StartupError(f"{exc}\n{self.logs(name)}") from None

    def spawn(self, name: str, argv: Sequence[str], env: Mapping[str, str] | None = None) -> ChildProcess:
        """Run another process (a probe, a load generator) with the stack's environment; stopped with it."""
        proc = ChildProcess(
            name,
            argv,
            output=self.workdir / "logs" / f"{name}.log",
            env={**os.environ, **self.env, **natsauth.operator_env(), **(env or {})},
            cwd=REPO_ROOT,
        )
        self.extra[name] = proc
        return proc

    def spawn_serving(self, name: str, argv: Sequence[str], env: Mapping[str, str] | None = None) -> str:
        """`spawn` a process serving HTTP (on a free port it gets as TP_HTTP_PORT) and wait until its
        /readyz answers 200; its base URL."""
        port = free_port()
        proc = self.spawn(name, argv, {"TP_HTTP_PORT": str(port), **(env or {})})
        base_url = f"http://127.0.0.1:{port}"
        with httpx.Client() as client:
            wait_until(
                lambda: http_ok(client, f"{base_url}/readyz"),
                timeout=60,
                what=name,
                failed=lambda: None if proc.alive else proc.tail(),
            )
        return base_url

    def credentials(self, user: str) -> dict[str, str]:
        """`TP_NATS_USER`/`TP_NATS_PASSWORD` (and execution's key) of one service, for a process of it."""
        return own_credentials(user, self.env)

    def logs(self, name: str) -> str:
        return self.process(name).tail()

    def stop(self) -> None:
        """Stop every process, then drop the database and the stack's own nats-server."""
        for proc in reversed(self.extra.values()):
            proc.stop(10)
        if self.supervisor is not None:
            self.supervisor.stop()
        if self.database_url:
            remove_database(self.postgres_server_url, self.database_url)
        if self._nats is not None:
            self._nats.stop()

    @property
    def nats_server(self) -> EmbeddedNats:
        """The stack's own nats-server (not one shared through TP_NATS_URL), e.g. to stop it for a while."""
        if self._nats is None:
            raise RuntimeError("this stack uses a shared nats-server: create it with shared_nats_url=None")
        return self._nats

    def _fresh_nats(self) -> str:
        if self.shared_nats_url:
            run_async(lambda: delete_tradeplane_streams(str(self.shared_nats_url)))
            return self.shared_nats_url
        self._nats = start_nats(self.workdir / "nats")
        return self._nats.url

    def _wait_ready(self, timeout: float) -> None:
        try:
            self._supervisor.wait_ready(timeout)
        except StartupError as exc:
            running = self._supervisor.processes.items()
            tails = "\n".join(f"--- {name}\n{proc.tail()}" for name, proc in running if proc.alive)
            raise StartupError(f"{exc}\n{tails}") from None

    def _resolve(self, name: str) -> str:
        if name == "execution" and self.supervisor is not None and "execution" not in self.supervisor.specs:
            return "execution-0"
        return name

    @property
    def _supervisor(self) -> Supervisor:
        if self.supervisor is None:
            raise RuntimeError("call stack.start() first")
        return self.supervisor


def outage(server: EmbeddedNats | EmbeddedPostgres, seconds: float) -> None:
    """Stop `server` (its clients get connection refused), then start it again on the same port and data."""
    server.stop()
    time.sleep(seconds)
    server.start()


QUIET_ENV = {"TP_FEED_ENABLED": "false", "TP_RISK_HEARTBEAT_TIMEOUT_SECONDS": "0"}
"""No synthetic feed (tests set prices) and no self-halt when risk's heartbeat pauses."""
LIVE_PRICES_ENV = QUIET_ENV | {
    "TP_FEED_ENABLED": "true",
    "TP_PNL_SNAPSHOT_SECONDS": "1",
    "TP_PNL_ACCOUNT_REFRESH_SECONDS": "1",
}
"""Prices from the paper feed, and pnl quick to find a new account and snapshot its equity (so the
dashboard's overview shows a value and draws its chart)."""


@contextmanager
def running_stack(
    workdir: Path, postgres_server_url: str, services: Sequence[str] = SERVICES, **options: Any
) -> Iterator[Stack]:
    """`services` running against a fresh database (on the shared NATS server when TP_NATS_URL is set),
    stopped afterwards; `options` as `Stack.start` takes them."""
    stack = Stack(
        workdir, postgres_server_url=postgres_server_url, shared_nats_url=os.environ.get("TP_NATS_URL")
    )
    try:
        stack.start(services, **options)
        yield stack
    finally:
        stack.stop()


@contextmanager
def module_stack(
    workdir: Path,
    postgres_server_url: str,
    *,
    executors: int = 1,
    env: Mapping[str, str] | None = None,
    services: Sequence[str] = SERVICES,
) -> Iterator[Stack]:
    """Every service (or `services`) running against a fresh database; starting one takes seconds, so
    share it."""
    with running_stack(
        workdir, postgres_server_url, services, executors=executors, env={**QUIET_ENV, **(env or {})}
    ) as stack:
        yield stack


def shared_stack(
    name: str,
    *,
    executors: int = 1,
    env: Mapping[str, str] | None = None,
    services: Sequence[str] = SERVICES,
) -> Callable[..., Iterator[Stack]]:
    """A module-scoped `stack` fixture: every service (or `services`) running for all of a module's tests
    (`stack = shared_stack("risk-acceptance", env=...)` in the module)."""

    @pytest.fixture(scope="module")
    def stack(postgres_server_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
        workdir = tmp_path_factory.mktemp(name)
        with module_stack(
            workdir, postgres_server_url, executors=executors, env=env, services=services
        ) as running:
            yield running

    return stack


def gateway_client(timeout: float = 30) -> Callable[..., Iterator[httpx.Client]]:
    """A module-scoped `api` fixture: an HTTP client of the module's `stack`'s gateway
    (`api = gateway_client()` in the module)."""

    @pytest.fixture(scope="module")
    def api(stack: Stack) -> Iterator[httpx.Client]:
        with httpx.Client(base_url=stack.url("gateway"), timeout=timeout) as client:
            yield client

    return api
