"""The marketdata schema: candles (closed and forming), plus the outbox and inbox every service has."""

from __future__ import annotations

from sqlalchemy import Boolean, Column, PrimaryKeyConstraint, String, Table
from tradeplane.runtime import service_metadata
from tradeplane.runtime.columns import money, symbol, timestamp, updated_at, venue

SCHEMA = "marketdata"
metadata = service_metadata(SCHEMA)

candles = Table(
    "candles",
    metadata,
    venue(),
    symbol(),
    Column("timeframe", String(4), nullable=False),
    timestamp("t"),
    money("open"),
    money("high"),
    money("low"),
    money("close"),
    money("volume"),
    timestamp("last_at"),
    Column("closed", Boolean, nullable=False),
    updated_at(),
    PrimaryKeyConstraint("venue", "symbol", "timeframe", "t", name="pk_candles"),
)
