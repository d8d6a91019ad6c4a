"""Who is calling: the authenticated user of a request, and how the other services see them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import Row
from tradeplane.contracts import Role
from tradeplane.contracts.queries import Caller


@dataclass(frozen=True, slots=True)
class Principal:
    row: Row[Any]
    """The user's row, read when the request was authenticated."""
    session_id: UUID
    expires_at: datetime

    @property
    def id(self) -> UUID:
        user_id: UUID = self.row.id
        return user_id

    @property
    def email(self) -> str:
        return str(self.row.email)

    @property
    def role(self) -> Role:
        return Role(self.row.role)

    @property
    def is_admin(self) -> bool:
        return self.role is Role.ADMIN

    @property
    def caller(self) -> Caller:
        return Caller(user_id=self.id, role=self.role, email=self.email, timezone=self.row.timezone)
