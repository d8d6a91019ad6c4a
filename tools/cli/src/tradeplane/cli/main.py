"""The `tradeplane` operator command line."""

from __future__ import annotations

import asyncio
import os
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from importlib.metadata import version as package_version
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, TypeVar
from uuid import UUID

import typer

from . import delegate, events, operator
from .delegate import KillswitchAction
from .services import SERVICES, format_partitions, owned_partitions
from .settings import StackSettings

if TYPE_CHECKING:
    from nats.js import JetStreamContext
    from tradeplane.contracts.queries import Reply

    from .dlq import LetterFilter

T = TypeVar("T")

app = typer.Typer(no_args_is_help=True, add_completion=False, help="Tradeplane operator CLI.")
user_app = typer.Typer(no_args_is_help=True, help="Platform users.")
app.add_typer(user_app, name="user")
dlq_app = typer.Typer(no_args_is_help=True, help="Dead letters: messages a consumer refused, and why.")
app.add_typer(dlq_app, name="dlq")
data_app = typer.Typer(no_args_is_help=True, help="Candle datasets for backtests.")
app.add_typer(data_app, name="data")
bot_app = typer.Typer(no_args_is_help=True, help="Every user's bots (as an admin): list, start, stop.")
app.add_typer(bot_app, name="bot")
app.add_typer(events.app, name="events")


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
    """Print a new key pair: TP_EXECUTION_PRIVATE_KEY (execution only) and TP_EXECUTION_PUBLIC_KEY
    (gateway)."""
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


ConsumerOption = Annotated[str | None, typer.Option("--consumer", help="Only letters of this consumer.")]
SubjectOption = Annotated[
    str | None, typer.Option("--subject", help="Only letters from subjects under this prefix, e.g. tp.order.")
]
SinceOption = Annotated[
    datetime | None, typer.Option("--since", help="Only letters from this UTC time on (ISO 8601).")
]
ReasonOption = Annotated[
    str | None, typer.Option("--reason", help="Only letters whose reason contains this.")
]


def _letter_filter(
    consumer: str | None, subject: str | None, since: datetime | None, reason: str | None
) -> LetterFilter:
    from .dlq import LetterFilter

    when = since.replace(tzinfo=UTC) if since is not None and since.tzinfo is None else since
    return LetterFilter(consumer=consumer, subject=subject, since=when, reason=reason)


def _on_jetstream(work: Callable[[JetStreamContext], Awaitable[T]]) -> T:
    from nats.errors import NoServersError

    from . import dlq

    settings = StackSettings()
    url = operator.nats_url(settings, os.environ)
    credentials = operator.nats_credentials(settings, os.environ)
    try:
        return asyncio.run(dlq.with_jetstream(url, work, credentials))
    except (OSError, NoServersError) as exc:
        typer.echo(f"cannot reach NATS at {url}: {exc}", err=True)
        raise typer.Exit(1) from exc


@dlq_app.command("list")
def dlq_list(
    consumer: ConsumerOption = None,
    subject: SubjectOption = None,
    since: SinceOption = None,
    reason: ReasonOption = None,
    limit: Annotated[int, typer.Option("--limit", min=1, help="At most this many letters.")] = 100,
) -> None:
    """List dead letters, oldest first: sequence, time, consumer, original subject and reason."""
    from rich.console import Console

    from . import dlq

    accept = _letter_filter(consumer, subject, since, reason)
    found = _on_jetstream(lambda js: dlq.collect(js, accept, limit))
    dlq.print_table(Console(), found)


@dlq_app.command("replay")
def dlq_replay(
    seqs: Annotated[list[int] | None, typer.Argument(help="Sequences of the letters to replay.")] = None,
    everything: Annotated[
        bool, typer.Option("--all", help="Replay every letter the filters keep (all, without filters).")
    ] = False,
    consumer: ConsumerOption = None,
    subject: SubjectOption = None,
    since: SinceOption = None,
    reason: ReasonOption = None,
) -> None:
    """Republish letters to their original subject, then delete them (each is replayed once)."""
    from . import dlq

    accept = _letter_filter(consumer, subject, since, reason)
    if not seqs and not everything:
        raise typer.BadParameter("name the letters' sequences, or pass --all (with filters to narrow it)")
    if seqs and everything:
        raise typer.BadParameter("either sequences or --all, not both")
    done, missing = _on_jetstream(lambda js: dlq.replay_matching(js, seqs or [], accept))
    for letter in done:
        typer.echo(f"replayed {letter.seq} to {letter.letter.original_subject}")
    typer.echo(f"{len(done)} letters replayed")
    if missing:
        typer.echo(f"no such letter (or filtered out): {', '.join(map(str, missing))}", err=True)
        raise typer.Exit(1)


BotsTimeout = Annotated[
    float, typer.Option("--timeout", min=0.1, help="Seconds to wait for the bots service.")
]


def _ask_bots(name: str, params: dict[str, Any], timeout: float) -> Any:
    """The data of the bots service's answer; exit 1 with its error (or NATS's) on stderr."""
    from nats.errors import NoServersError
    from rich.console import Console

    from . import bots

    settings = StackSettings()
    url = operator.nats_url(settings, os.environ)
    credentials = operator.nats_credentials(settings, os.environ)
    try:
        reply: Reply = asyncio.run(bots.ask(url, credentials, name, params, timeout))
    except (OSError, NoServersError) as exc:
        typer.echo(f"cannot reach NATS at {url}: {exc}", err=True)
        raise typer.Exit(1) from exc
    if not reply.ok:
        bots.print_error(Console(stderr=True), reply)
        raise typer.Exit(1)
    return reply.data


def _bot_user(user: str) -> UUID:
    import psycopg

    from . import bots

    def by_email(email: str) -> UUID:
        return bots.user_id_by_email(operator.database_url(StackSettings(), os.environ), email)

    try:
        return bots.resolve_user(user, by_email)
    except bots.UnknownUser as exc:
        typer.echo(f"no user has the email {user}", err=True)
        raise typer.Exit(1) from exc
    except psycopg.OperationalError as exc:
        typer.echo(f"cannot reach the database to look up {user}: {exc}", err=True)
        raise typer.Exit(1) from exc


@bot_app.command("list")
def bot_list(
    user: Annotated[
        str | None, typer.Option("--user", help="Only this user's bots: their email or user id.")
    ] = None,
    timeout: BotsTimeout = 5.0,
) -> None:
    """Every user's bots (or one user's): id, user, name, strategy, status, venue, last run, error."""
    from rich.console import Console

    from . import bots

    found = _ask_bots("bots.admin_list", bots.list_params(_bot_user(user) if user else None), timeout)
    bots.print_bots(Console(), found)


@bot_app.command("start")
def bot_start(
    bot_id: Annotated[UUID, typer.Argument(help="The bot's id (from `tradeplane bot list`).")],
    timeout: BotsTimeout = 5.0,
) -> None:
    """Start a bot, whoever owns it."""
    from rich.console import Console

    from . import bots

    bots.print_bots(Console(), _ask_bots("bots.start", {"id": str(bot_id)}, timeout))


@bot_app.command("stop")
def bot_stop(
    bot_id: Annotated[UUID, typer.Argument(help="The bot's id (from `tradeplane bot list`).")],
    keep_orders: Annotated[
        bool, typer.Option("--keep-orders", help="Leave the bot's open orders resting (default: cancel).")
    ] = False,
    timeout: BotsTimeout = 5.0,
) -> None:
    """Stop a bot, whoever owns it; its open orders are cancelled unless --keep-orders."""
    from rich.console import Console

    from . import bots

    bots.print_bots(Console(), _ask_bots("bots.stop", bots.stop_params(bot_id, keep_orders), timeout))


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
def backtest(
    strategy: Annotated[
        str, typer.Option("--strategy", help="Strategy id, e.g. grid (GET /api/strategies).")
    ],
    config: Annotated[Path, typer.Option("--config", help="The strategy's config, a JSON file.")],
    timeframe: Annotated[str, typer.Option("--timeframe", help="1m, 5m, 15m, 1h, 4h or 1d.")],
    start: Annotated[str, typer.Option("--start", help="UTC start, ISO 8601 (e.g. 2024-01-01T00:00:00Z).")],
    end: Annotated[str, typer.Option("--end", help="UTC end (exclusive), ISO 8601.")],
    balances: Annotated[
        list[str], typer.Option("--balances", help="Starting balances ASSET=AMOUNT (repeatable or a,b).")
    ],
    symbol: Annotated[
        list[str] | None,
        typer.Option("--symbol", help="Market to replay (repeatable); default the config's."),
    ] = None,
    dataset: Annotated[
        str, typer.Option("--dataset", help="synthetic:<uptrend|downtrend|range|crash>:<seed> or csv:<path>.")
    ] = "synthetic:range:42",
    limits: Annotated[
        Path | None, typer.Option("--limits", help="Risk limits JSON (fields of PUT /api/settings/trading).")
    ] = None,
    intrabar: Annotated[str, typer.Option("--intrabar", help="adaptive or ohlc.")] = "adaptive",
    seed: Annotated[int, typer.Option("--seed", min=0, help="The strategy's random seed.")] = 0,
    as_json: Annotated[bool, typer.Option("--json", help="Print the result as canonical JSON.")] = False,
    output: Annotated[Path | None, typer.Option("--output", help="Also write the result JSON here.")] = None,
) -> None:
    """Backtest a strategy offline and print its report (metrics, trades, rejections, hashes)."""
    from rich.console import Console

    from . import backtest as backtesting

    console = Console()
    try:
        fields = {
            "strategy": strategy,
            "config": backtesting.read_json(config, "config"),
            "symbols": symbol or None,
            "timeframe": timeframe,
            "start": start,
            "end": end,
            "initialBalances": backtesting.parse_balances(balances),
            "dataset": dataset,
            "limits": None if limits is None else backtesting.read_json(limits, "limits"),
            "intrabar": intrabar,
            "seed": seed,
        }
        backtesting.run(fields, console, as_json=as_json, output=output)
    except backtesting.UsageError as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(2) from exc


@data_app.command("import")
def data_import(
    file: Annotated[Path, typer.Argument(help="CSV with the header t,open,high,low,close,volume.")],
    symbol: Annotated[str, typer.Option("--symbol", help="The market the candles are of.")] = "BTC/USDT",
    timeframe: Annotated[str, typer.Option("--timeframe", help="1m, 5m, 15m, 1h, 4h or 1d.")] = "1m",
) -> None:
    """Check a candle CSV (errors name the line) and print its range and sha256."""
    from rich.console import Console
    from tradeplane.strategies.candles import Timeframe

    from . import backtest as backtesting

    if timeframe not in {t.value for t in Timeframe}:
        raise typer.BadParameter(
            f"unknown timeframe {timeframe!r}; one of {', '.join(t.value for t in Timeframe)}"
        )
    try:
        backtesting.import_csv(file, symbol, Timeframe(timeframe), Console())
    except backtesting.UsageError as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(2) from exc


@app.command("export")
def export_command(
    user: Annotated[str | None, typer.Option("--user", help="One user: their id or email.")] = None,
    all_users: Annotated[bool, typer.Option("--all", help="Every user.")] = False,
    start: Annotated[str, typer.Option("--from", help="From this time (ISO 8601; UTC unless given).")] = "",
    end: Annotated[str | None, typer.Option("--to", help="Until this time, excluded (default: now).")] = None,
    fmt: Annotated[str, typer.Option("--format", help="csv or parquet.")] = "csv",
    out: Annotated[Path, typer.Option("--out", help="Folder for <dataset>.<format> files.")] = Path("export"),
) -> None:
    """Export orders, fills, closed trades and equity (TP_DATABASE_URL, read-only) as CSV or Parquet."""
    from . import export

    if (user is None) == (not all_users):
        raise typer.BadParameter("give --user ID|EMAIL or --all")
    if fmt not in {f.value for f in export.Format}:
        raise typer.BadParameter(f"--format is csv or parquet, not {fmt!r}")
    try:
        counts = export.export(
            operator.database_url(StackSettings(), os.environ),
            out,
            user=_bot_user(user) if user else None,
            start=export.parse_time(start) if start else datetime.min.replace(tzinfo=UTC),
            end=export.parse_time(end) if end else datetime.now(UTC),
            fmt=export.Format(fmt),
        )
    except export.ExportError as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(2) from exc
    for name, rows in counts.items():
        typer.echo(f"{out / f'{name}.{fmt}'}: {rows} rows")


@app.command()
def version() -> None:
    """Print the CLI version."""
    typer.echo(package_version("tradeplane-cli"))
