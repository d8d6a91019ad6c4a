"""The `tradeplane` operator command line."""

from __future__ import annotations

from importlib.metadata import version as package_version
from typing import Annotated

import typer
from rich.console import Console

from .settings import StackSettings
from .stack import run_servers, run_up

app = typer.Typer(no_args_is_help=True, add_completion=False, help="Tradeplane operator CLI.")


@app.command()
def up(
    executors: Annotated[
        int | None,
        typer.Option("--executors", "-e", min=1, help="Execution processes (default TP_EXECUTORS)."),
    ] = None,
) -> None:
    """Run the whole stack locally: embedded NATS and PostgreSQL, then every service."""
    settings = StackSettings()
    raise typer.Exit(run_up(settings, Console(), executors=executors or settings.executors))


@app.command()
def servers() -> None:
    """Run only NATS and PostgreSQL and print their URLs (for TP_NATS_URL / TP_DATABASE_URL)."""
    raise typer.Exit(run_servers(StackSettings(), Console()))


@app.command()
def version() -> None:
    """Print the CLI version."""
    typer.echo(package_version("tradeplane-cli"))
