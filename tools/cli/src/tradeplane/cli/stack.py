"""`tradeplane up` and `tradeplane servers`: embedded servers and service processes, stopped cleanly."""

from __future__ import annotations

import signal
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from types import FrameType

from rich.console import Console
from rich.text import Text

from . import devsecrets
from .database import sqlalchemy_url
from .nats import EmbeddedNats
from .output import PrefixedOutput
from .postgres import EmbeddedPostgres
from .probe import StartupError, ensure_port_free
from .processes import ChildProcess
from .services import (
    SERVICES,
    Command,
    ServiceSpec,
    module_command,
    service_specs,
    settings_ports,
    stack_env,
)
from .settings import StackSettings
from .supervisor import Supervisor

_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)


@dataclass
class Servers:
    nats_url: str
    database_url: str
    processes: list[ChildProcess] = field(default_factory=list)


def start_servers(
    settings: StackSettings, resources: ExitStack, console: Console, secrets: Mapping[str, str]
) -> Servers:
    """Embedded NATS and PostgreSQL under the data dir, unless TP_NATS_URL / TP_DATABASE_URL name servers.

    The embedded nats-server admits only the users whose passwords are in `secrets`.
    """
    data, logs = settings.data_path, settings.data_path / "logs"
    servers = Servers(settings.nats_url or "", settings.database_url or "")
    if not settings.nats_url:
        console.print(f"Starting nats-server (JetStream) on port {settings.nats_port}")
        nats = EmbeddedNats(
            data / "nats",
            port=settings.nats_port,
            monitor_port=settings.nats_monitor_port,
            log_path=logs / "nats.log",
            passwords=devsecrets.nats_passwords(secrets),
        )
        resources.callback(nats.stop)
        nats.start()
        servers.nats_url = nats.url
        servers.processes.append(_started(nats.process))
    if not settings.database_url:
        console.print(f"Starting PostgreSQL on port {settings.postgres_port}")
        postgres = EmbeddedPostgres(
            data / "postgres", port=settings.postgres_port, log_path=logs / "postgres.log"
        )
        resources.callback(postgres.stop)
        postgres.start()
        servers.database_url = postgres.create_database(settings.database_name)
        servers.processes.append(_started(postgres.process))
    return servers


def run_up(
    settings: StackSettings,
    console: Console,
    *,
    executors: int,
    kinds: Sequence[str] = SERVICES,
    command: Command = module_command,
) -> int:
    """Start everything, wait until every service is ready, then stream logs until Ctrl-C or a crash."""

    def body(resources: ExitStack) -> int:
        settings.data_path.mkdir(parents=True, exist_ok=True)
        secrets = devsecrets.load_or_create(settings.data_path / "secrets.env")
        servers = start_servers(settings, resources, console, secrets)
        env = stack_env(
            nats_url=servers.nats_url,
            database_url=sqlalchemy_url(servers.database_url),
            secrets=secrets,
            admin_email=settings.admin_email,
            partitions=settings.partitions,
            log_level=settings.log_level,
        )
        specs = service_specs(
            kinds,
            port_of=settings_ports(settings),
            env=env,
            executors=executors,
            partitions=settings.partitions,
            command=command,
        )
        output = PrefixedOutput(console, [spec.name for spec in specs])
        supervisor = resources.enter_context(
            Supervisor(
                specs, output_for=lambda spec: output.sink(spec.name), stop_timeout=settings.stop_timeout
            )
        )
        for spec in specs:
            ensure_port_free(spec.host, spec.port, f"TP_{spec.kind.upper()}_PORT")
        supervisor.start()
        supervisor.wait_ready(settings.startup_timeout)
        _print_banner(console, settings, supervisor.specs.get("gateway", specs[-1]), secrets)
        return _watch([*servers.processes, *supervisor.processes.values()], console)

    return _run_guarded(body, console)


def run_servers(settings: StackSettings, console: Console) -> int:
    """Only NATS and PostgreSQL, for tests and tools pointed at them through TP_NATS_URL / TP_DATABASE_URL."""

    def body(resources: ExitStack) -> int:
        settings.data_path.mkdir(parents=True, exist_ok=True)
        secrets = devsecrets.load_or_create(settings.data_path / "secrets.env")
        servers = start_servers(settings, resources, console, secrets)
        console.print(f"TP_NATS_URL={servers.nats_url}", markup=False, highlight=False)
        console.print(
            f"TP_DATABASE_URL={sqlalchemy_url(servers.database_url)}", markup=False, highlight=False
        )
        console.print(
            f"NATS users' passwords (TP_NATS_PASSWORD_<USER>): {settings.data_path / 'secrets.env'}",
            markup=False,
            highlight=False,
        )
        console.print("Ctrl-C to stop")
        return _watch(servers.processes, console)

    return _run_guarded(body, console)


def _print_banner(
    console: Console, settings: StackSettings, gateway: ServiceSpec, secrets: Mapping[str, str]
) -> None:
    console.print(f"[bold green]Tradeplane is up: {gateway.base_url} (API docs: /api/docs)")
    console.print(f"Admin login: {settings.admin_email} / {secrets['TP_ADMIN_PASSWORD']}", markup=False)
    console.print(f"  (POST {gateway.base_url}/api/auth/login, or Authorize in the API docs)", markup=False)
    console.print(f"Data and secrets: {settings.data_path} (NATS/PostgreSQL logs in logs/)", markup=False)
    console.print("Ctrl-C to stop")


def _watch(processes: Sequence[ChildProcess], console: Console) -> int:
    while True:
        for proc in processes:
            if not proc.alive:
                console.print(f"[red]{proc.name} exited with code {proc.returncode}; stopping everything")
                return 1
        time.sleep(0.3)


def _run_guarded(body: Callable[[ExitStack], int], console: Console) -> int:
    """Run `body` until it returns or Ctrl-C/SIGTERM; then stop what it started, without interruption."""
    resources = ExitStack()
    with _signals_interrupt():
        try:
            return body(resources)
        except KeyboardInterrupt:
            return 0
        except StartupError as exc:
            console.print(Text(str(exc), style="red"))
            return 1
        finally:
            for sig in _SIGNALS:
                signal.signal(sig, signal.SIG_IGN)
            console.print("Stopping…")
            resources.close()
            console.print("Stopped.")


@contextmanager
def _signals_interrupt() -> Iterator[None]:
    """SIGTERM and SIGHUP (terminal closed) behave like Ctrl-C inside the block; old handlers return after."""

    def interrupt(signum: int, frame: FrameType | None) -> None:
        raise KeyboardInterrupt

    previous = {sig: signal.getsignal(sig) for sig in _SIGNALS}
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, interrupt)
    signal.signal(signal.SIGHUP, interrupt)
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def _started(process: ChildProcess | None) -> ChildProcess:
    assert process is not None
    return process
