"""`tradeplane bot list|start|stop`: an operator asks the running bots service over NATS, as an admin.

The bots service owns the rules (who may start what, what a stop cancels); the CLI sends its queries
(`tradeplane.contracts.queries.BOTS_QUERIES`) as the admin caller "cli" and prints the answer.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any
from uuid import UUID

import psycopg
from nats.errors import NoRespondersError
from nats.errors import TimeoutError as NatsTimeout
from rich.console import Console
from rich.table import Table
from rich.text import Text
from tradeplane.contracts import Role, subjects
from tradeplane.contracts.queries import BOTS, Caller, Query, Reply

from .database import libpq_url
from .tail import _connect as connect

CLI_ACTOR = "cli"
CLI_CALLER = Caller(user_id=UUID(int=0), role=Role.ADMIN, email=CLI_ACTOR)
"""Who the bots service sees asking: an admin, not any real user."""
COLUMNS = (
    "id",
    "userId",
    "name",
    "strategy",
    "status",
    "venue",
    "environment",
    "dryRun",
    "lastRunAt",
    "error",
)


class UnknownUser(LookupError):
    """No user has this email."""


async def ask(
    url: str, credentials: tuple[str, str] | None, name: str, params: Mapping[str, Any], timeout: float
) -> Reply:
    """Send one bots query as the CLI's admin; SERVICE_UNAVAILABLE (503) when no bots process answers."""
    body = Query(caller=CLI_CALLER, params=dict(params)).model_dump_json().encode()
    client = await connect(url, credentials)
    try:
        msg = await client.request(subjects.query(BOTS, name), body, timeout=timeout)
    except (NoRespondersError, NatsTimeout, TimeoutError):
        return Reply.failure("SERVICE_UNAVAILABLE", f"the {BOTS} service did not answer", 503)
    finally:
        await client.close()
    return Reply.model_validate_json(msg.data)


def user_id_by_email(database_url: str, email: str) -> UUID:
    """The id of the user who logs in with `email` (the gateway's users table)."""
    with psycopg.connect(libpq_url(database_url), connect_timeout=5) as conn:
        row = conn.execute(
            "SELECT id FROM gateway.users WHERE email = %s", (email.strip().lower(),)
        ).fetchone()
    if row is None:
        raise UnknownUser(email)
    return UUID(str(row[0]))


def resolve_user(user: str, by_email: Callable[[str], UUID]) -> UUID:
    """`--user` as given: a user id, or an email looked up with `by_email`."""
    try:
        return UUID(user)
    except ValueError:
        return by_email(user)


def list_params(user_id: UUID | None) -> dict[str, str]:
    return {} if user_id is None else {"userId": str(user_id)}


def stop_params(bot_id: UUID, keep_orders: bool) -> dict[str, Any]:
    """Stopping cancels the bot's open orders unless they are kept; positions are never closed here."""
    return {"id": str(bot_id), "cancelOpenOrders": not keep_orders, "closePositions": False}


def _cell(value: Any) -> Text:
    """Plain text: a bot's name is never read as console markup."""
    if value is None:
        return Text("")
    if isinstance(value, bool):
        return Text("yes" if value else "no")
    return Text(str(value))


def print_bots(console: Console, answer: Any) -> None:
    """The bot (or list of bots) the service answered, one row a bot; columns it did not send stay out."""
    found = answer if isinstance(answer, list) else [answer]
    bots: Sequence[Mapping[str, Any]] = [bot for bot in found if isinstance(bot, Mapping)]
    shown = [c for c in COLUMNS if any(c in bot for bot in bots)] or list(COLUMNS[:5])
    table = Table(*shown, title=f"{len(bots)} bots", title_justify="left")
    for bot in bots:
        table.add_row(*(_cell(bot.get(column)) for column in shown))
    console.print(table)


def print_error(console: Console, reply: Reply) -> None:
    err = reply.error
    text = f"{err.code}: {err.message}" if err is not None else "the bots service answered without a result"
    console.print(text, markup=False, highlight=False)
