"""`tradeplane backtest` and `tradeplane data import`: reports, JSON and errors a user can act on."""

from __future__ import annotations

import json
from pathlib import Path

from tradeplane.cli.main import app
from typer.testing import CliRunner

runner = CliRunner()
GRID = {"symbol": "BTC/USDT", "lower": "60000", "upper": "70000", "levels": 11, "quantityPerLevel": "0.01"}


def args(tmp_path: Path, *extra: str, config: dict[str, object] = GRID) -> list[str]:
    path = tmp_path / "config.json"
    path.write_text(json.dumps(config))
    return [
        "backtest",
        "--strategy",
        "grid",
        "--config",
        str(path),
        "--symbol",
        "BTC/USDT",
        "--timeframe",
        "5m",
        "--start",
        "2024-01-01T00:00:00Z",
        "--end",
        "2024-01-03T00:00:00Z",
        "--dataset",
        "synthetic:range:7",
        "--balances",
        "USDT=10000,BTC=0.1",
        *extra,
    ]


def test_backtest_prints_the_report_with_its_hashes(tmp_path: Path) -> None:
    result = runner.invoke(app, args(tmp_path), env={"COLUMNS": "160"})
    assert result.exit_code == 0, result.output
    assert "resultHash" in result.output
    assert "totalReturnPct" in result.output
    assert "synthetic:range:7 (576 candles)" in result.output


def test_backtest_json_is_the_canonical_result_and_repeats(tmp_path: Path) -> None:
    out = tmp_path / "result.json"
    first = runner.invoke(app, [*args(tmp_path), "--json", "--output", str(out)])
    second = runner.invoke(app, [*args(tmp_path), "--json"])
    assert first.exit_code == 0, first.output
    data = json.loads(first.output)
    assert data["resultHash"] == json.loads(second.output)["resultHash"]
    assert json.loads(out.read_text())["resultHash"] == data["resultHash"]
    assert set(data["metrics"]) >= {"totalReturnPct", "cagr", "sharpeRatio", "maxDrawdownPct", "exposurePct"}


def test_a_bad_request_exits_2_naming_the_field(tmp_path: Path) -> None:
    result = runner.invoke(app, args(tmp_path, config={"symbol": "BTC/USDT"}))
    assert result.exit_code == 2
    assert "config: Value error, config does not fit the grid schema: lower: Field required" in result.output


def test_bad_balances_exit_2(tmp_path: Path) -> None:
    argv = args(tmp_path)
    argv[argv.index("USDT=10000,BTC=0.1")] = "USDT:10000"
    result = runner.invoke(app, argv)
    assert result.exit_code == 2
    assert "--balances takes ASSET=AMOUNT" in result.output


def test_data_import_checks_a_csv_and_prints_its_sha256(tmp_path: Path) -> None:
    good = tmp_path / "good.csv"
    good.write_text("t,open,high,low,close,volume\n2024-01-01T00:00:00Z,100,101,99,100.5,3\n")
    result = runner.invoke(app, ["data", "import", str(good)], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    assert "1 1m candles of BTC/USDT" in result.output
    assert "sha256 " in result.output

    bad = tmp_path / "bad.csv"
    bad.write_text("t,open,high,low,close,volume\n2024-01-01T00:00:00Z,100,99,101,100,3\n")
    result = runner.invoke(app, ["data", "import", str(bad)])
    assert result.exit_code == 2
    assert "line 2: needs low <= open, close <= high" in result.output
