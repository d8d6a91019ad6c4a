"""The shapes most query handlers' `params` share (`tp.query.<service>.*`): the base every params model
extends, a single id, and a page of a list. A service extends these with its own fields."""

from __future__ import annotations

from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field


class Params(BaseModel):
    """A query's params: unknown keys ignored, by alias (`pageSize`) or by name, immutable."""

    model_config = ConfigDict(extra="ignore", frozen=True, populate_by_name=True)


class IdParams(Params):
    id: UUID


class Paged(Params):
    """`page` (from 1) and `pageSize` (1 to 100, 20 when left out) of a listing."""

    page: int = Field(default=1, ge=1)
    page_size: int = Field(default=20, ge=1, le=100, alias="pageSize")

    @property
    def offset(self) -> int:
        """How many items the pages before this one hold."""
        return (self.page - 1) * self.page_size


__all__ = ["IdParams", "Paged", "Params"]
