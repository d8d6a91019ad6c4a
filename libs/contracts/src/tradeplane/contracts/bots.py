"""Events of the bots service (`tp.bot.*`): a bot's status changes and its log lines, for the dashboard
and analytics. Bots' orders travel as ordinary `OrderRequested` with `bot_id` set."""

from __future__ import annotations

from enum import StrEnum
from typing import Any
from uuid import UUID

from pydantic import Field

from .base import Message, UtcDatetime


class BotStatus(StrEnum):
    STOPPED = "Stopped"
    RUNNING = "Running"
    PAUSED = "Paused"
    ERROR = "Error"


class BotStatusChanged(Message):
    """A bot moved from `previous` to `status` (start, pause, resume, stop, or an error of its strategy)."""

    bot_id: UUID
    user_id: UUID
    account_id: UUID
    previous: BotStatus
    status: BotStatus
    reason: str = Field(default="", max_length=1000)


class BotLogged(Message):
    """One line of a bot's log: a decision, a dry-run plan, an order sent or refused, an error."""

    bot_id: UUID
    user_id: UUID
    at: UtcDatetime
    level: str = Field(pattern=r"^(debug|info|warning|error)$")
    message: str = Field(max_length=2000)
    data: dict[str, Any] = Field(default_factory=dict)
