"""`python -m tradeplane.risk killswitch engage|release|status [--user UUID] --reason TEXT`.

A one-shot operator command: it asks a running risk service over NATS (as an admin called "cli"),
prints the JSON answer and exits 0 on success, 1 when the service refused or did not answer.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from typing import Any
from uuid import UUID

import orjson
from tradeplane.contracts import HaltScope, Role
from tradeplane.contracts.queries import RISK, Caller, Reply
from tradeplane.runtime import make_broker
from tradeplane.runtime.queries import ask

from .config import Settings

CLI_ACTOR = "cli"
OPERATOR = UUID(int=0)
_QUERIES = {
    "engage": "killswitch.activate",
    "release": "killswitch.deactivate",
    "status": "killswitch.status",
}


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m tradeplane.risk killswitch", description="Engage, release or show the kill switch."
    )
    p.add_argument("action", choices=sorted(_QUERIES))
    p.add_argument("--user", type=UUID, default=None, help="a user's id; without it, the global switch")
    p.add_argument("--reason", default=None, help="why (required to engage or release)")
    p.add_argument("--timeout", type=float, default=5.0, help="seconds to wait for the risk service")
    return p


def request(action: str, user: UUID | None, reason: str | None) -> tuple[str, dict[str, Any]]:
    """The query name and parameters for an action."""
    if action == "status":
        return _QUERIES[action], {} if user is None else {"userId": str(user)}
    params: dict[str, Any] = {
        "scope": (HaltScope.GLOBAL if user is None else HaltScope.USER).value,
        "reason": reason,
    }
    if user is not None:
        params["userId"] = str(user)
    return _QUERIES[action], params


async def send(settings: Settings, name: str, params: dict[str, Any], timeout: float) -> Reply:
    broker = make_broker(settings, "risk-cli")
    try:
        await asyncio.wait_for(broker.connect(), timeout)
    except (TimeoutError, OSError):
        return Reply.failure("NATS_UNREACHABLE", f"could not connect to NATS at {settings.nats_url}", 503)
    try:
        caller = Caller(user_id=OPERATOR, role=Role.ADMIN, email=CLI_ACTOR)
        return await ask(broker, RISK, name, caller, params, timeout=timeout)
    finally:
        await broker.stop()


def run(argv: list[str]) -> int:
    args = parser().parse_args(argv)
    if args.action != "status" and not (args.reason or "").strip():
        print("--reason is required to engage or release the kill switch", file=sys.stderr)
        return 2
    name, params = request(args.action, args.user, args.reason)
    reply = asyncio.run(send(Settings(), name, params, args.timeout))
    body = reply.data if reply.ok else {"error": reply.error.model_dump() if reply.error else None}
    print(orjson.dumps(body, option=orjson.OPT_INDENT_2).decode())
    return 0 if reply.ok else 1
