"""The `tradeplane` operator command line."""

from __future__ import annotations

import asyncio
import os
from importlib.metadata import version as package_version
from typing import Annotated
from uuid import UUID

import typer

from . import delegate, operator
from .delegate import KillswitchAction
from .services import SERVICES, format_partitions, owned_partitions
from .settings import StackSettings

app = typer.Typer(no_args_is_help=True, add_completion=False, help="Tradeplane operator CLI.")
user_app = typer.Typer(no_args_is_help=True, help="Platform users.")
app.add_typer(user_app, name="user")


@app.command()
def up(
    executors: Annotated[
        int | None,
        typer.Option("--executors", "-e", min=1, help="Execution processes (default TP_EXECUTORS)."),
    ] = None,
) -> None:
    """Run the whole stack locally: embedded NATS and PostgreSQL, then every service."""
    from rich.console import Console

    from .stack import run_up

    settings = StackSettings()
    raise typer.Exit(run_up(settings, Console(), executors=executors or settings.executors))


@app.command()
def servers() -> None:
    """Run only NATS and PostgreSQL and print their URLs (for TP_NATS_URL / TP_DATABASE_URL)."""
    from rich.console import Console

    from .stack import run_servers

    raise typer.Exit(run_servers(StackSettings(), Console()))


@app.command("nats-config")
def nats_config() -> None:
    """Print the nats-server `authorization` block (every service's user and permissions) for deploy/."""
    from tradeplane.contracts.permissions import deployed_config

    typer.echo(deployed_config(), nl=False)


@app.command("execution-keys")
def execution_keys() -> None:
    """Print a new key pair: TP_EXECUTION_PRIVATE_KEY (execution only) and TP_EXECUTION_PUBLIC_KEY (gateway)."""
    from tradeplane.runtime.crypto import generate_key_pair

    private, public = generate_key_pair()
    typer.echo(f"TP_EXECUTION_PRIVATE_KEY={private}\nTP_EXECUTION_PUBLIC_KEY={public}")


@app.command()
def migrate(
    services: Annotated[
        list[str] | None, typer.Argument(help=f"Services to migrate (default: all of {', '.join(SERVICES)}).")
    ] = None,
) -> None:
    """Apply every service's database migrations (TP_DATABASE_URL, default the embedded PostgreSQL)."""
    from .migrate import run_migrations

    chosen = services or list(SERVICES)
    unknown = sorted(set(chosen) - set(SERVICES))
    if unknown:
        raise typer.BadParameter(f"unknown services {unknown}; known: {', '.join(SERVICES)}")
    env = operator.operator_env(StackSettings())
    raise typer.Exit(run_migrations([s for s in SERVICES if s in chosen], env, typer.echo))


@user_app.command("create")
def user_create(
    email: Annotated[str, typer.Option("--email", help="The new user's email (their login).")],
    name: Annotated[str | None, typer.Option("--name", help="Display name.")] = None,
    admin: Annotated[bool, typer.Option("--admin", help="An admin instead of a trader.")] = False,
) -> None:
    """Create a user; the password is asked for (or read from TP_NEW_USER_PASSWORD), never an argument."""
    password = os.environ.get(delegate.NEW_USER_PASSWORD) or typer.prompt(
        "Password", hide_input=True, confirmation_prompt=True
    )
    env = operator.operator_env(StackSettings()) | {delegate.NEW_USER_PASSWORD: password}
    raise typer.Exit(delegate.run(delegate.user_create_argv(email, name, admin), env))


@app.command()
def killswitch(
    action: Annotated[KillswitchAction, typer.Argument(help="engage, release or status.")],
    user: Annotated[
        UUID | None, typer.Option("--user", help="One user's switch; without it, the global one.")
    ] = None,
    reason: Annotated[
        str | None, typer.Option("--reason", help="Why (required to engage or release).")
    ] = None,
    timeout: Annotated[float, typer.Option("--timeout", min=0.1, help="Seconds to wait for risk.")] = 5.0,
) -> None:
    """Engage, release or show the kill switch, through the running risk service."""
    if delegate.reason_missing(action, reason):
        raise typer.BadParameter("--reason is required to engage or release the kill switch")
    env = operator.operator_env(StackSettings())
    raise typer.Exit(delegate.run(delegate.killswitch_argv(action, user, reason, timeout), env))


@app.command()
def tail(
    user: Annotated[UUID | None, typer.Option("--user", help="Only this user's events.")] = None,
    types: Annotated[
        list[str] | None, typer.Option("--type", help="Event type prefix, e.g. order.filled (repeatable).")
    ] = None,
    everything: Annotated[
        bool, typer.Option("--all", help="Include heartbeats, health, queries and market data.")
    ] = False,
) -> None:
    """Print the platform's events live, one line each, until Ctrl-C."""
    from nats.errors import NoServersError

    from . import tail as tailing

    settings = StackSettings()
    url = operator.nats_url(settings, os.environ)
    credentials = operator.nats_credentials(settings, os.environ)
    accept = tailing.TailFilter(user=user, types=tuple(types or ()), everything=everything)
    try:
        asyncio.run(tailing.tail(url, accept, lambda line: typer.echo(line), credentials=credentials))
    except KeyboardInterrupt:
        return
    except (OSError, NoServersError) as exc:
        typer.echo(f"cannot reach NATS at {url}: {exc}", err=True)
        raise typer.Exit(1) from exc


@app.command()
def partitions(
    ordinal: Annotated[int, typer.Option("--ordinal", min=0, help="This executor's ordinal (0-based).")],
    executors: Annotated[int, typer.Option("--executors", min=1, help="How many executors run.")],
    count: Annotated[int, typer.Option("--partitions", min=1, help="TP_PARTITIONS.")] = 16,
) -> None:
    """Print the user partitions executor ORDINAL of EXECUTORS owns, for TP_EXECUTOR_PARTITIONS."""
    owned = owned_partitions(ordinal, executors, count)
    if ordinal >= executors or not owned:
        typer.echo(
            f"executor {ordinal} of {executors} owns no partition (of {count}): "
            "run at most TP_PARTITIONS executors and ordinals below their count",
            err=True,
        )
        raise typer.Exit(2)
    typer.echo(format_partitions(owned))


@app.command()
def version() -> None:
    """Print the CLI version."""
    typer.echo(package_version("tradeplane-cli"))
