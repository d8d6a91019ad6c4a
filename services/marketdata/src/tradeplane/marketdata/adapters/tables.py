"""The marketdata schema: candles (closed and forming), plus the outbox and inbox every service has."""

from __future__ import annotations

from sqlalchemy import Boolean, Column, DateTime, Numeric, PrimaryKeyConstraint, String, Table, func
from tradeplane.runtime import service_metadata

SCHEMA = "marketdata"
metadata = service_metadata(SCHEMA)

candles = Table(
    "candles",
    metadata,
    Column("venue", String(32), nullable=False),
    Column("symbol", String(41), nullable=False),
    Column("timeframe", String(4), nullable=False),
    Column("t", DateTime(timezone=True), nullable=False),
    Column("open", Numeric, nullable=False),
    Column("high", Numeric, nullable=False),
    Column("low", Numeric, nullable=False),
    Column("close", Numeric, nullable=False),
    Column("volume", Numeric, nullable=False),
    Column("last_at", DateTime(timezone=True), nullable=False),
    Column("closed", Boolean, nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    PrimaryKeyConstraint("venue", "symbol", "timeframe", "t", name="pk_candles"),
)
