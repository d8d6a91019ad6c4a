"""The executor's settings: which partitions it owns, the kill switch and the master key."""

from __future__ import annotations

from typing import Self

from pydantic import Field, SecretStr, model_validator
from tradeplane.runtime.crypto import Keyring
from tradeplane.runtime.settings import ServiceSettings, parse_partitions

__all__ = ["Settings", "parse_partitions"]


class Settings(ServiceSettings):
    """`TP_*` variables of an execution replica."""

    http_port: int = Field(default=8110, ge=0, le=65535)
    db_pool_size: int = Field(default=30, ge=1, le=200)
    """Accounts work in parallel, each holding a connection per step: a small pool churns connections
    (the pool may grow to twice this; mind PostgreSQL's max_connections across replicas)."""

    executor_id: str = Field(default="exec-0", pattern=r"^[A-Za-z0-9_-]{1,64}$")
    executor_partitions: str | None = None
    """`0-15`, `0,3,5`; unset means every partition of TP_PARTITIONS."""
    executor_max_workers: int = Field(default=64, ge=1, le=1024)
    """Approvals handled at once per partition consumer (different accounts run in parallel)."""

    query_max_workers: int = Field(default=32, ge=1, le=1024)
    """Queries of one kind answered at once (a slow venue's balance must not hold up everyone else's)."""
    venue_query_timeout_seconds: float = Field(default=4.0, gt=0)
    """A query's venue call (balance, markets) answers VENUE_UNAVAILABLE after this long: below the
    gateway's query timeout, so the caller learns why instead of hearing nothing."""

    master_key: SecretStr | None = None
    """Keyring (`kid:base64key,...`) sealing exchange credentials; required outside development."""

    execution_private_key: SecretStr | None = None
    """Opens exchange credentials sealed to execution's public key by the gateway (`crypto.seal`);
    required outside development. The public key goes to the gateway (TP_EXECUTION_PUBLIC_KEY)."""

    risk_heartbeat_timeout_seconds: float = Field(default=5.0, ge=0)
    """No risk heartbeat for this long halts this executor; 0 disables the check."""
    halt_cancel_timeout_seconds: float = Field(default=10.0, gt=0)
    live_poll_seconds: float = Field(default=2.0, gt=0)
    actor_idle_seconds: float = Field(default=300.0, gt=0)
    cancel_request_keep_hours: float = Field(default=168.0, gt=0)
    """How long a cancel that came before its order's approval is kept for that approval (an order that
    risk rejected never gets one); far longer than any approval stays in flight."""
    shutdown_drain_seconds: float = Field(default=10.0, ge=0)
    """On shutdown, how long account actors may finish the job in hand (an order between venue and
    database) before they are stopped."""

    @model_validator(mode="after")
    def _partitions_parse(self) -> Self:
        self.owned_partitions  # noqa: B018 - fail at start on a malformed TP_EXECUTOR_PARTITIONS
        return self

    def secret_fields(self) -> dict[str, SecretStr | None]:
        return {"master_key": self.master_key, "execution_private_key": self.execution_private_key}

    @property
    def owned_partitions(self) -> tuple[int, ...]:
        if self.executor_partitions is None:
            return tuple(range(self.partitions))
        return parse_partitions(self.executor_partitions, self.partitions)

    def keyring(self) -> Keyring:
        """The configured keyring; in development without one, a key that lives as long as the process."""
        return Keyring.configured(self.master_key, "TP_MASTER_KEY", "exchange credentials")
