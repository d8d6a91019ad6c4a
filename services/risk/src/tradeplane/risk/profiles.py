"""Users' risk profiles (limits and timezone), parsed once and reused until the stored row changes."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, tzinfo
from uuid import UUID

from pydantic import ValidationError
from tradeplane.riskrules import RiskLimits, user_zone

from .adapters.repo import ProfileRow

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Profile:
    limits: RiskLimits
    timezone: str
    zone: tzinfo


DEFAULT = Profile(RiskLimits(), "UTC", user_zone("UTC"))


def parse(row: ProfileRow | None) -> Profile:
    """The profile a stored row describes; defaults where nothing (or nothing valid) is stored."""
    if row is None:
        return DEFAULT
    try:
        limits = RiskLimits.model_validate(row.limits)
    except ValidationError:
        log.error("stored risk limits no longer validate; using the defaults", exc_info=True)
        limits = DEFAULT.limits
    try:
        zone = user_zone(row.timezone)
    except ValueError:
        log.warning("unknown stored timezone; using UTC", extra={"timezone": row.timezone})
        return Profile(limits, "UTC", DEFAULT.zone)
    return Profile(limits, row.timezone, zone)


class Profiles:
    """Parsed profiles keyed by the row's `updated_at`, so a change made by any replica is seen at once."""

    def __init__(self) -> None:
        self._cache: dict[UUID, tuple[datetime, Profile]] = {}

    def resolve(self, user_id: UUID, row: ProfileRow | None) -> Profile:
        if row is None:
            return DEFAULT
        hit = self._cache.get(user_id)
        if hit is not None and hit[0] == row.updated_at:
            return hit[1]
        profile = parse(row)
        self._cache[user_id] = (row.updated_at, profile)
        return profile

    def invalidate(self, user_id: UUID) -> None:
        self._cache.pop(user_id, None)
