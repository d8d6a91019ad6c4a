"""`tradeplane events`: the platform's event contract for subscribers.

`tradeplane events asyncapi > docs/asyncapi.yaml` regenerates the committed AsyncAPI document;
`--check docs/asyncapi.yaml` fails (exit 1, naming what differs) when the contracts changed without it.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer
import yaml
from tradeplane.contracts import asyncapi

app = typer.Typer(no_args_is_help=True, help="The event streams: the AsyncAPI document of every subject.")

HEADER = (
    "# Generated from tradeplane.contracts.catalog by `tradeplane events asyncapi > docs/asyncapi.yaml`:\n"
    "# do not edit. A test fails when the contracts and this file differ.\n"
)


def render_yaml(document: dict[str, Any]) -> str:
    return HEADER + yaml.safe_dump(document, sort_keys=False, allow_unicode=True, width=100)


def check(path: Path) -> list[str]:
    """What differs between the committed document at `path` and the contracts' (nothing: empty)."""
    committed = yaml.safe_load(path.read_text())
    return asyncapi.differences(committed, asyncapi.document())


@app.command("asyncapi")
def asyncapi_command(
    as_json: Annotated[bool, typer.Option("--json", help="JSON instead of YAML.")] = False,
    against: Annotated[
        Path | None,
        typer.Option("--check", help="Compare with a committed document instead; exit 1 if they differ."),
    ] = None,
) -> None:
    """Print the AsyncAPI 3.0 document of every subject the platform publishes."""
    if against is not None:
        found = check(against)
        for line in found:
            typer.echo(line, err=True)
        if found:
            typer.echo(f"{against} is out of date: run `tradeplane events asyncapi > {against}`", err=True)
            raise typer.Exit(1)
        return
    document = asyncapi.document()
    typer.echo(json.dumps(document, indent=2) if as_json else render_yaml(document), nl=as_json)
