"""The marketdata schema: candles (closed and forming), plus the outbox and inbox every service has."""

from __future__ import annotations

from sqlalchemy import Boolean, Column, PrimaryKeyConstraint, String, Table
from tradeplane.runtime import columns as col
from tradeplane.runtime import service_metadata

SCHEMA = "marketdata"
metadata = service_metadata(SCHEMA)

candles = Table(
    "candles",
    metadata,
    col.venue(),
    col.symbol(),
    Column("timeframe", String(4), nullable=False),
    col.timestamp("t"),
    col.money("open"),
    col.money("high"),
    col.money("low"),
    col.money("close"),
    col.money("volume"),
    col.timestamp("last_at"),
    Column("closed", Boolean, nullable=False),
    col.updated_at(),
    PrimaryKeyConstraint("venue", "symbol", "timeframe", "t", name="pk_candles"),
)
