"""Parameters of the risk queries, camelCase as the gateway sends them; invalid ones answer 422."""

from __future__ import annotations

from typing import Annotated, Any
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, StringConstraints
from pydantic.alias_generators import to_camel
from tradeplane.contracts import HaltScope

Reason = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=500)]


class Params(BaseModel):
    model_config = ConfigDict(
        frozen=True, extra="ignore", alias_generator=to_camel, validate_by_name=True, validate_by_alias=True
    )


class UserParams(Params):
    user_id: UUID | None = None


class SettingsPut(Params):
    user_id: UUID | None = None
    limits: dict[str, Any]


class CeilingsPut(Params):
    ceilings: dict[str, Any]


class HaltCommand(Params):
    scope: HaltScope
    user_id: UUID | None = None
    reason: Reason


class PageParams(Params):
    page: int = Field(default=1, ge=1, le=100_000)
    page_size: int = Field(default=20, ge=1, le=100)


class EnableParams(Params):
    user_id: UUID


class UsersParams(Params):
    user_ids: list[UUID] = Field(max_length=1000)
