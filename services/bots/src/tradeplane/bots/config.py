"""The bots service's settings: which partitions of users it owns, and how it drives the bots."""

from __future__ import annotations

from typing import Self

from pydantic import Field, model_validator
from tradeplane.contracts.market import Timeframe
from tradeplane.runtime.settings import ServiceSettings, parse_partitions


class Settings(ServiceSettings):
    """`TP_BOTS_*` variables (and the shared `TP_*` ones)."""

    http_port: int = Field(default=8104, ge=0, le=65535)
    bots_id: str = Field(default="bots-0", pattern=r"^[A-Za-z0-9_-]{1,64}$")
    """Names this replica's durable candle consumer: a restarted replica resumes where it stopped."""
    bots_partitions: str | None = None
    """`0-15`, `0,3,5`: the users (by `subjects.partition_of`) whose bots this replica runs; unset
    means every partition of TP_PARTITIONS."""
    bots_default_timeframe: Timeframe = Timeframe.M1
    """The candles a strategy without a `timeframe` in its config runs on."""
    bots_tick_seconds: float = Field(default=1.0, gt=0)
    """How often due timers (the rebalancer's interval) are looked for."""
    bots_batch_size: int = Field(default=250, ge=1, le=10_000)
    """Bots whose runs for one candle (or one timer tick) are stored in one transaction."""
    query_max_workers: int = Field(default=16, ge=1, le=1024)
    venue_query_timeout_seconds: float = Field(default=4.0, gt=0)

    @model_validator(mode="after")
    def _partitions_parse(self) -> Self:
        self.owned_partitions  # noqa: B018 - fail at start on a malformed TP_BOTS_PARTITIONS
        return self

    @property
    def owned_partitions(self) -> tuple[int, ...]:
        if self.bots_partitions is None:
            return tuple(range(self.partitions))
        return parse_partitions(self.bots_partitions, self.partitions)
