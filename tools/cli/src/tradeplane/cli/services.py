"""The service processes of a stack: which to run, with what command, port and environment."""

from __future__ import annotations

import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

from tradeplane.contracts import permissions

from . import devsecrets
from .settings import StackSettings

SERVICES: tuple[str, ...] = (
    "risk",
    "marketdata",
    "execution",
    "pnl",
    "notifier",
    "bots",
    "backtests",
    "compliance",
    "gateway",
)
"""Every service, in start order: the gateway last, so it opens to users when the rest is up."""

Command = Callable[[str], list[str]]
"""Service kind (`gateway`, `execution`, ...) to the argv that runs it."""


def module_command(kind: str) -> list[str]:
    return [sys.executable, "-m", f"tradeplane.{kind}"]


@dataclass(frozen=True)
class ServiceSpec:
    """One process to run: `name` is unique (`execution-1`), `kind` is the service it runs."""

    name: str
    kind: str
    argv: tuple[str, ...]
    port: int
    env: Mapping[str, str] = field(default_factory=dict)
    host: str = "127.0.0.1"

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def ready_url(self) -> str:
        return f"{self.base_url}/readyz"


def owned_partitions(ordinal: int, executors: int, partitions: int) -> list[int]:
    """Partitions executor `ordinal` of `executors` owns: every p with p % executors == ordinal."""
    return [p for p in range(partitions) if p % executors == ordinal]


def format_partitions(owned: Sequence[int]) -> str:
    """`0-15` for a contiguous run, else a comma list."""
    if len(owned) > 1 and list(owned) == list(range(owned[0], owned[-1] + 1)):
        return f"{owned[0]}-{owned[-1]}"
    return ",".join(str(p) for p in owned)


def service_specs(
    kinds: Sequence[str],
    *,
    port_of: Callable[[str], int],
    env: Mapping[str, str],
    executors: int = 1,
    partitions: int = 16,
    command: Command = module_command,
) -> list[ServiceSpec]:
    """Specs for `kinds` in the standard start order; `execution` becomes `executors` processes."""
    unknown = set(kinds) - set(SERVICES)
    if unknown:
        raise ValueError(f"unknown services: {sorted(unknown)}; known: {SERVICES}")
    specs = []
    for kind in (k for k in SERVICES if k in kinds):
        instances = range(executors) if kind == "execution" else [None]
        for ordinal in instances:
            name = kind if ordinal is None else f"{kind}-{ordinal}"
            port = port_of(name)
            own = {"TP_HTTP_HOST": "127.0.0.1", "TP_HTTP_PORT": str(port), "TP_INSTANCE_ID": name}
            if ordinal is not None:
                owned = owned_partitions(ordinal, executors, partitions)
                own |= {
                    "TP_EXECUTOR_ID": f"exec-{ordinal}",
                    "TP_EXECUTOR_PARTITIONS": format_partitions(owned),
                }
            own |= own_credentials(kind, env)
            specs.append(ServiceSpec(name, kind, tuple(command(kind)), port, {**shared(env), **own}))
    return specs


def shared(env: Mapping[str, str]) -> dict[str, str]:
    """`env` without the secrets that belong to one service only (NATS passwords, execution's key)."""
    private = {devsecrets.nats_password_name(user) for user in permissions.ALL_USERS}
    private.add(devsecrets.EXECUTION_PRIVATE_KEY)
    return {name: value for name, value in env.items() if name not in private}


def own_credentials(user: str, env: Mapping[str, str]) -> dict[str, str]:
    """A service's (or the operator's) NATS user and password from `env`; execution also gets its key."""
    own: dict[str, str] = {}
    if password := env.get(devsecrets.nats_password_name(user)):
        own |= {"TP_NATS_USER": user, "TP_NATS_PASSWORD": password}
    if user == "execution" and (key := env.get(devsecrets.EXECUTION_PRIVATE_KEY)):
        own[devsecrets.EXECUTION_PRIVATE_KEY] = key
    return own


def stack_env(
    *,
    nats_url: str,
    database_url: str,
    secrets: Mapping[str, str],
    admin_email: str,
    partitions: int,
    log_level: str,
) -> dict[str, str]:
    """Environment every service of a development stack shares."""
    return {
        "TP_ENV": "development",
        "TP_NATS_URL": nats_url,
        "TP_DATABASE_URL": database_url,
        "TP_PARTITIONS": str(partitions),
        "TP_LOG_LEVEL": log_level,
        "TP_ADMIN_EMAIL": admin_email,
        "TP_NOTIFIER_ALLOW_PRIVATE_TARGETS": "true",
        "PYTHONUNBUFFERED": "1",
        **secrets,
    }


def settings_ports(settings: StackSettings) -> Callable[[str], int]:
    """Ports from the settings: `execution-<i>` gets TP_EXECUTION_PORT + i."""
    fixed = {
        "gateway": settings.gateway_port,
        "risk": settings.risk_port,
        "pnl": settings.pnl_port,
        "notifier": settings.notifier_port,
        "bots": settings.bots_port,
        "marketdata": settings.marketdata_port,
        "backtests": settings.backtests_port,
        "compliance": settings.compliance_port,
    }

    def port_of(name: str) -> int:
        kind, _, ordinal = name.partition("-")
        return settings.execution_port + int(ordinal) if kind == "execution" else fixed[kind]

    return port_of
