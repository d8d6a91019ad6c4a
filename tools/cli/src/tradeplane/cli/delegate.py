"""Operator commands that a service implements itself: the CLI builds the command and passes the exit code.

The services own their rules (password strength, who may release a halt); the CLI only gathers the
arguments, keeps secrets out of argv, and points the child at the right NATS and database.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Mapping
from enum import StrEnum
from uuid import UUID

NEW_USER_PASSWORD = "TP_NEW_USER_PASSWORD"


class KillswitchAction(StrEnum):
    ENGAGE = "engage"
    RELEASE = "release"
    STATUS = "status"


def user_create_argv(email: str, name: str | None, admin: bool) -> list[str]:
    """`python -m tradeplane.gateway user-create ...`; the password goes in TP_NEW_USER_PASSWORD."""
    argv = [sys.executable, "-m", "tradeplane.gateway", "user-create", "--email", email]
    if name:
        argv += ["--name", name]
    if admin:
        argv.append("--admin")
    return argv


def audit_verify_argv() -> list[str]:
    """`python -m tradeplane.gateway audit-verify`: reads the gateway's database."""
    return [sys.executable, "-m", "tradeplane.gateway", "audit-verify"]


def killswitch_argv(
    action: KillswitchAction, user: UUID | None, reason: str | None, timeout: float
) -> list[str]:
    """`python -m tradeplane.risk killswitch ...`: asks the running risk service over NATS."""
    argv = [sys.executable, "-m", "tradeplane.risk", "killswitch", action.value]
    if user is not None:
        argv += ["--user", str(user)]
    if reason:
        argv += ["--reason", reason]
    return [*argv, "--timeout", str(timeout)]


def reason_missing(action: KillswitchAction, reason: str | None) -> bool:
    """Engaging and releasing are audited: they need a reason; status does not."""
    return action is not KillswitchAction.STATUS and not (reason or "").strip()


def run(argv: list[str], env: Mapping[str, str]) -> int:
    return subprocess.run(argv, env=dict(env), check=False).returncode
