"""Settings of the embedded stack (`tradeplane up`), read from `TP_*` environment variables."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

Port = int


class StackSettings(BaseSettings):
    """Ports default off the standard ones (4222, 5432, 8222) so a machine's own servers do not collide."""

    model_config = SettingsConfigDict(env_prefix="TP_", extra="ignore")

    data_dir: Path = Path(".data")
    nats_url: str | None = None
    database_url: str | None = None
    nats_port: Port = Field(default=14222, ge=1, le=65535)
    nats_monitor_port: Port = Field(default=18222, ge=1, le=65535)
    postgres_port: Port = Field(default=15432, ge=1, le=65535)
    database_name: str = "tradeplane"
    gateway_port: Port = Field(default=8000, ge=1, le=65535)
    risk_port: Port = Field(default=8101, ge=1, le=65535)
    pnl_port: Port = Field(default=8102, ge=1, le=65535)
    notifier_port: Port = Field(default=8103, ge=1, le=65535)
    bots_port: Port = Field(default=8104, ge=1, le=65535)
    marketdata_port: Port = Field(default=8105, ge=1, le=65535)
    backtests_port: Port = Field(default=8106, ge=1, le=65535)
    compliance_port: Port = Field(default=8107, ge=1, le=65535)
    execution_port: Port = Field(default=8110, ge=1, le=65535)
    executors: int = Field(default=1, ge=1, le=64)
    partitions: int = Field(default=16, ge=1, le=1024)
    log_level: str = "INFO"
    admin_email: str = "admin@tradeplane.local"
    startup_timeout: float = Field(default=75.0, gt=0)
    stop_timeout: float = Field(default=10.0, gt=0)

    @property
    def data_path(self) -> Path:
        return self.data_dir.expanduser().resolve()
