"""The same request gives the same bytes and resultHash; other data gives another datasetHash."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys

from tradeplane.backtest import BacktestRequest, run_backtest
from tradeplane.backtest.report import canonical_json

from .builders import RELAXED

REQUEST = {
    "strategy": "grid",
    "config": {
        "symbol": "BTC/USDT",
        "lower": "62000",
        "upper": "68000",
        "levels": 13,
        "quantityPerLevel": "0.01",
    },
    "timeframe": "5m",
    "start": "2024-03-01T00:00:00Z",
    "end": "2024-03-08T00:00:00Z",
    "initialBalances": {"USDT": "10000", "BTC": "0.1"},
    "dataset": "synthetic:range:42",
    "limits": RELAXED,
}


def test_the_same_request_twice_gives_the_same_result_byte_for_byte() -> None:
    first = run_backtest(BacktestRequest.model_validate(REQUEST))
    second = run_backtest(BacktestRequest.model_validate(json.loads(json.dumps(REQUEST))))

    assert first.canonical() == second.canonical()
    assert first.result_hash == second.result_hash
    assert first.metrics["totalFills"] > 10  # it traded, so the hash covers fills too
    body = first.to_json()
    del body["resultHash"]
    assert hashlib.sha256(canonical_json(body)).hexdigest() == first.result_hash
    assert body["request"]["dataset"] == "synthetic:range:42"
    assert body["strategyVersion"] == "1"


def test_another_seed_gives_other_data_and_another_result() -> None:
    base = run_backtest(BacktestRequest.model_validate(REQUEST))
    other = run_backtest(BacktestRequest.model_validate({**REQUEST, "dataset": "synthetic:range:43"}))
    assert other.dataset_hash != base.dataset_hash
    assert other.result_hash != base.result_hash


def test_a_different_request_on_the_same_data_keeps_the_dataset_hash() -> None:
    base = run_backtest(BacktestRequest.model_validate(REQUEST))
    config = {**REQUEST["config"], "levels": 7}  # type: ignore[dict-item]
    other = run_backtest(BacktestRequest.model_validate({**REQUEST, "config": config}))
    assert other.dataset_hash == base.dataset_hash
    assert other.result_hash != base.result_hash


def test_the_hash_does_not_depend_on_the_process() -> None:
    # Set and dict orders of str keys vary with PYTHONHASHSEED; the result must not.
    script = (
        "import json, sys; from tradeplane.backtest import BacktestRequest, run_backtest; "
        "print(run_backtest(BacktestRequest.model_validate(json.loads(sys.argv[1]))).result_hash)"
    )
    request = {
        **REQUEST,
        "strategy": "rebalancer",
        "config": {"targets": {"BTC": "0.5", "ETH": "0.2", "USDT": "0.3"}},
    }
    hashes = {
        subprocess.run(
            [sys.executable, "-c", script, json.dumps(request)],
            env={**os.environ, "PYTHONHASHSEED": seed},
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        for seed in ("1", "2")
    }
    assert hashes == {run_backtest(BacktestRequest.model_validate(request)).result_hash}
