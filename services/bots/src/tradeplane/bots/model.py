"""What the host keeps of a bot and what one event changes: the unit of one database transaction."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime
from decimal import Decimal
from typing import Any, Protocol
from uuid import UUID

from tradeplane.contracts import BotStatus, Message


class OrderStatus:
    """A bot order's status in `bot_orders` (the order path's own, as far as the bot hears it)."""

    PENDING = "Pending"
    FILLED = "Filled"
    CANCELLED = "Cancelled"
    REJECTED = "Rejected"
    FAILED = "Failed"
    OPEN = (PENDING,)
    TERMINAL = (FILLED, CANCELLED, REJECTED, FAILED)


@dataclass(frozen=True, slots=True)
class BotRecord:
    """One row of `bots` as last committed."""

    id: UUID
    user_id: UUID
    partition: int
    account_id: UUID
    venue: str
    environment: str
    name: str
    strategy: str
    strategy_version: str
    config: dict[str, Any]
    allocation: dict[str, str]
    markets: list[dict[str, Any]]
    dry_run: bool
    status: BotStatus
    created_at: datetime
    error: str | None = None
    snapshot: dict[str, Any] | None = None
    next_run: int = 0
    cursors: dict[str, str] = field(default_factory=dict)
    started_at: datetime | None = None
    last_activity: datetime | None = None
    last_run_at: datetime | None = None
    next_run_at: datetime | None = None

    def but(self, **changes: Any) -> BotRecord:
        return replace(self, **changes)


@dataclass(frozen=True, slots=True)
class LogRow:
    bot_id: UUID
    at: datetime
    level: str
    message: str
    data: dict[str, Any]


@dataclass(frozen=True, slots=True)
class NewOrder:
    """An order the bot sends: its row, and the `OrderRequested` the outbox publishes if the row is new."""

    order_id: UUID
    bot_id: UUID
    user_id: UUID
    symbol: str
    side: str
    type: str
    quantity: Decimal
    price: Decimal | None
    created_at: datetime
    subject: str
    request: Message


@dataclass(frozen=True, slots=True)
class OrderUpdate:
    order_id: UUID
    status: str
    filled_quantity: Decimal | None = None
    fee: Decimal = Decimal(0)
    """Added to the order's fees."""
    reason: str | None = None


@dataclass(frozen=True, slots=True)
class FillRow:
    order_id: UUID
    fill_id: str
    bot_id: UUID
    symbol: str
    side: str
    quantity: Decimal
    price: Decimal
    fee: Decimal
    fee_currency: str
    filled_at: datetime


@dataclass
class BotChange:
    """Everything one event did to one bot, committed together (the bot row as it becomes, new logs,
    orders, fills, and the events the outbox publishes)."""

    bot: BotRecord
    logs: list[LogRow] = field(default_factory=list)
    orders: list[NewOrder] = field(default_factory=list)
    updates: list[OrderUpdate] = field(default_factory=list)
    fills: list[FillRow] = field(default_factory=list)
    events: list[tuple[str, Message]] = field(default_factory=list)


class Store(Protocol):
    """The bots schema as the host needs it (`adapters.store.SqlStore`; a fake in unit tests)."""

    async def load_active(self, partitions: tuple[int, ...]) -> list[BotRecord]: ...

    async def get(self, bot_id: UUID) -> BotRecord | None: ...

    async def insert(self, bot: BotRecord) -> None: ...

    async def delete(self, bot_id: UUID) -> None: ...

    async def commit(self, changes: list[BotChange]) -> None:
        """One transaction: each bot row, its logs, new orders (an order already stored is not sent
        again), order updates, fills and the outbox events."""
        ...

    async def open_orders(self, partitions: tuple[int, ...]) -> dict[UUID, UUID]:
        """Order id → bot id of the orders of these partitions' bots that are not finished."""
        ...

    async def order_status(self, order_id: UUID) -> tuple[str, Decimal] | None:
        """(status, filled quantity) of a bot order."""
        ...

    async def has_fill(self, order_id: UUID, fill_id: str) -> bool: ...
