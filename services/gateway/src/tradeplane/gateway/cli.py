"""`python -m tradeplane.gateway user-create --email E [--name N] [--admin]`: the operator's way to add users;
`... audit-verify` checks the audit log's hash chains.

The password comes from TP_NEW_USER_PASSWORD, else from stdin (first line), never from argv, so it
does not show in the process list or the shell history.
"""

from __future__ import annotations

import argparse
import asyncio
import getpass
import json
import logging
import os
import sys

from pydantic import TypeAdapter, ValidationError
from tradeplane.contracts import Role
from tradeplane.runtime import Outbox, make_engine
from tradeplane.runtime.migrations import upgrade

from . import audit_chain
from .adapters import audit_store
from .adapters.tables import metadata
from .app import MIGRATIONS
from .auth.passwords import weakness
from .config import Settings
from .schemas import Email
from .users import create_user
from .views import user_json

EXIT_TAKEN = 1
EXIT_INVALID = 2


class _Deferred(Exception):
    """The CLI has no broker: the running gateway's outbox sweeper publishes the audit event."""


async def _defer(subject: str, payload: bytes, headers: dict[str, str]) -> None:
    raise _Deferred(subject)


def _password() -> str:
    if from_env := os.environ.get("TP_NEW_USER_PASSWORD"):
        return from_env
    if sys.stdin.isatty():
        return getpass.getpass("Password: ")
    return sys.stdin.readline().rstrip("\r\n")


async def _create(settings: Settings, email: str, name: str, role: Role, password: str) -> int:
    await asyncio.to_thread(upgrade, settings.sqlalchemy_url, MIGRATIONS)
    engine = make_engine(settings)
    try:
        outbox = Outbox(engine, metadata, _defer)
        row = await create_user(outbox, email=email, password=password, role=role, actor="cli", name=name)
    finally:
        await engine.dispose()
    if row is None:
        print(f"error: a user with email {email} exists", file=sys.stderr)
        return EXIT_TAKEN
    print(json.dumps(user_json(row)))
    return 0


def user_create(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m tradeplane.gateway user-create")
    parser.add_argument("--email", required=True)
    parser.add_argument("--name", default="")
    parser.add_argument("--admin", action="store_true", help="an admin instead of a trader")
    args = parser.parse_args(argv)
    try:
        email = TypeAdapter(Email).validate_python(args.email)
    except ValidationError:
        print(f"error: {args.email!r} is not a valid email address", file=sys.stderr)
        return EXIT_INVALID
    password = _password()
    if reason := weakness(password, email):
        print(f"error: weak password: {reason}", file=sys.stderr)
        return EXIT_INVALID
    logging.basicConfig(level=logging.ERROR)
    role = Role.ADMIN if args.admin else Role.TRADER
    return asyncio.run(_create(Settings(), email, args.name.strip()[:200], role, password))


EXIT_TAMPERED = 1


async def _verify(settings: Settings) -> int:
    engine = make_engine(settings)
    try:
        async with engine.connect() as conn:
            entries = [entry async for entry in audit_store.chain_entries(conn)]
            heads = await audit_store.heads(conn)
    finally:
        await engine.dispose()
    problems = audit_chain.verify(entries, heads)
    for problem in problems:
        print(f"TAMPERED {problem.kind}: {problem.message}", file=sys.stderr)
    if problems:
        return EXIT_TAMPERED
    chains = ", ".join(f"{chain} (#{head.seq})" for chain, head in sorted(heads.items())) or "none"
    print(f"audit log intact: {len(entries)} entries; chains {chains}")
    return 0


def audit_verify(argv: list[str]) -> int:
    """Recompute every audit chain; exit 1 naming the first edited, deleted or inserted entry of each."""
    argparse.ArgumentParser(prog="python -m tradeplane.gateway audit-verify").parse_args(argv)
    logging.basicConfig(level=logging.ERROR)
    return asyncio.run(_verify(Settings()))
