"""A sealed backtest result: canonical JSON and its sha256 (`resultHash`).

Canonical JSON: keys sorted, no spaces, UTF-8, Decimals as plain strings (`format(d, "f")`), times as
ISO 8601 UTC. The hash covers everything else in the result, the request and dataset hash included,
so the same request on the same data gives the same bytes and the same `resultHash`.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from decimal import Decimal
from typing import Any


def decimal_text(value: Decimal) -> str:
    return format(value, "f")


def canonical_json(data: Any) -> bytes:
    return json.dumps(
        data, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    ).encode()


@dataclass(frozen=True, slots=True)
class BacktestResult:
    body: dict[str, Any]
    result_hash: str

    @classmethod
    def seal(cls, body: dict[str, Any]) -> BacktestResult:
        return cls(body, hashlib.sha256(canonical_json(body)).hexdigest())

    @property
    def metrics(self) -> dict[str, Any]:
        metrics: dict[str, Any] = self.body["metrics"]
        return metrics

    @property
    def dataset_hash(self) -> str:
        return str(self.body["datasetHash"])

    def to_json(self) -> dict[str, Any]:
        """The `result` object of docs/api.md: the body plus `resultHash`."""
        return {**self.body, "resultHash": self.result_hash}

    def canonical(self) -> bytes:
        return canonical_json(self.to_json())
