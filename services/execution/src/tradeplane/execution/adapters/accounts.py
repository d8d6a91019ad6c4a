"""Venue accounts: rows, a short-lived cache for the hot path, and credentials sealed with the master key."""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

import orjson
from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine
from tradeplane.runtime.crypto import Keyring
from tradeplane.runtime.rows import from_row, to_columns

from .tables import accounts, paper_state
from .venue import AccountInfo, Credentials

PAPER = "paper"
CONNECTED = "Connected"
DELETED = "Deleted"


@dataclass(frozen=True, slots=True)
class Account:
    id: UUID
    user_id: UUID
    venue: str
    label: str
    environment: str
    status: str
    key_hint: str | None
    sandbox: bool
    created_at: datetime
    sealed: bytes | None
    deleted_at: datetime | None = None

    @property
    def is_paper(self) -> bool:
        return self.venue == PAPER

    @property
    def active(self) -> bool:
        return self.deleted_at is None

    @property
    def info(self) -> AccountInfo:
        return AccountInfo(self.id, self.user_id, self.venue, self.sandbox)


_COLUMNS = {"sealed": "credentials"}
"""Fields stored under another column name."""


def _account(row: Any) -> Account:
    return from_row(Account, row, **_COLUMNS)


async def get(conn: AsyncConnection, account_id: UUID) -> Account | None:
    row = (await conn.execute(select(accounts).where(accounts.c.id == account_id))).first()
    return None if row is None else _account(row)


async def list_for(conn: AsyncConnection, user_id: UUID | None) -> list[Account]:
    query = select(accounts).where(accounts.c.deleted_at.is_(None)).order_by(accounts.c.created_at)
    if user_id is not None:
        query = query.where(accounts.c.user_id == user_id)
    return [_account(row) for row in await conn.execute(query)]


async def insert(conn: AsyncConnection, account: Account, paper: dict[str, Any] | None = None) -> None:
    await conn.execute(accounts.insert().values(**to_columns(account, **_COLUMNS)))
    if paper is not None:
        await conn.execute(paper_state.insert().values(account_id=account.id, state=paper))


async def mark_deleted(conn: AsyncConnection, account_id: UUID) -> None:
    await conn.execute(
        update(accounts).where(accounts.c.id == account_id).values(status=DELETED, deleted_at=func.now())
    )


class Vault:
    """Seals and opens exchange credentials; the account id is bound in, so a blob cannot be moved."""

    def __init__(self, keyring: Keyring) -> None:
        self._keyring = keyring

    def seal(self, account_id: UUID, credentials: Credentials) -> bytes:
        plain = orjson.dumps(
            {"apiKey": credentials.api_key, "secret": credentials.secret, "password": credentials.password}
        )
        return self._keyring.encrypt(plain, account_id.bytes)

    def open(self, account: Account) -> Credentials:
        if account.sealed is None:
            raise ValueError(f"account {account.id} has no credentials")
        data = orjson.loads(self._keyring.decrypt(account.sealed, account.id.bytes))
        return Credentials(data["apiKey"], data["secret"], data.get("password"))


class AccountCache:
    """Accounts by id, kept `ttl` seconds: the gateway resolves an account on every order."""

    def __init__(self, engine: AsyncEngine, ttl: float = 5.0) -> None:
        self._engine = engine
        self._ttl = ttl
        self._cached: dict[UUID, tuple[float, Account | None]] = {}

    async def get(self, account_id: UUID) -> Account | None:
        hit = self._cached.get(account_id)
        now = time.monotonic()
        if hit is not None and now - hit[0] < self._ttl:
            return hit[1]
        async with self._engine.connect() as conn:
            account = await get(conn, account_id)
        if len(self._cached) > 100_000:
            self._cached.clear()
        self._cached[account_id] = (now, account)
        return account

    def forget(self, account_id: UUID) -> None:
        self._cached.pop(account_id, None)
