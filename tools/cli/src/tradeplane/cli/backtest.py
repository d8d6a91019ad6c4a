"""`tradeplane backtest` and `tradeplane data import`: offline runs of `tradeplane.backtest`, printed as
rich tables (or the result's canonical JSON)."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from pydantic import ValidationError
from rich.console import Console
from rich.table import Table
from tradeplane.backtest import BacktestRequest, DatasetError, run_backtest
from tradeplane.backtest.data import dataset_hash, read_csv
from tradeplane.strategies.candles import Timeframe


class UsageError(ValueError):
    """Bad arguments: the message says which and why."""


def parse_balances(items: Sequence[str]) -> dict[str, str]:
    """`USDT=10000`, `BTC=0.5` (also comma-separated in one argument) → {"USDT": "10000", ...}."""
    balances: dict[str, str] = {}
    for item in (part.strip() for arg in items for part in arg.split(",")):
        if not item:
            continue
        asset, sep, amount = item.partition("=")
        if not sep or not asset.strip():
            raise UsageError(f"--balances takes ASSET=AMOUNT, got {item!r}")
        try:
            Decimal(amount.strip())
        except InvalidOperation:
            raise UsageError(f"--balances: {amount.strip()!r} is not a number (in {item!r})") from None
        balances[asset.strip().upper()] = amount.strip()
    if not balances:
        raise UsageError("--balances needs at least one ASSET=AMOUNT")
    return balances


def read_json(path: Path, what: str) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise UsageError(f"cannot read the {what} file {path}: {exc.strerror or exc}") from exc
    except json.JSONDecodeError as exc:
        raise UsageError(f"the {what} file {path} is not JSON: {exc}") from exc


def build_request(fields: Mapping[str, Any]) -> BacktestRequest:
    try:
        return BacktestRequest.model_validate(dict(fields))
    except ValidationError as exc:
        problems = "\n".join(
            f"  {'.'.join(str(p) for p in error['loc']) or 'request'}: {error['msg']}"
            for error in exc.errors()
        )
        raise UsageError(f"the backtest request is not valid:\n{problems}") from None


def run(fields: Mapping[str, Any], console: Console, *, as_json: bool, output: Path | None) -> None:
    request = build_request(fields)
    try:
        result = run_backtest(request)
    except DatasetError as exc:
        raise UsageError(str(exc)) from exc
    data = result.to_json()
    if output is not None:
        output.write_bytes(result.canonical())
    if as_json:
        console.print_json(result.canonical().decode())
        return
    print_report(console, data)


def print_report(console: Console, result: Mapping[str, Any]) -> None:
    request, engine, metrics = result["request"], result["engine"], result["metrics"]
    head = Table(show_header=False, box=None, pad_edge=False)
    head.add_column(style="bold")
    head.add_column()
    head.add_row("strategy", f"{request['strategy']} (version {result['strategyVersion']})")
    head.add_row("market", f"{', '.join(request['symbols'])} {request['timeframe']}")
    head.add_row("period", f"{request['start']} → {request['end']}")
    head.add_row("dataset", f"{result['dataset']['spec']} ({result['dataset']['candles']:,} candles)")
    head.add_row("intrabar", engine["intrabarOrder"])
    head.add_row("datasetHash", result["datasetHash"])
    head.add_row("resultHash", result["resultHash"])
    console.print(head)

    figures = Table(title="Metrics", title_justify="left")
    figures.add_column("metric")
    figures.add_column("value", justify="right")
    for name, value in metrics.items():
        figures.add_row(name, "-" if value is None else str(value))
    console.print(figures)

    if result["monthlyReturns"]:
        months = Table(title="Monthly returns", title_justify="left")
        months.add_column("month")
        months.add_column("return %", justify="right")
        for row in result["monthlyReturns"]:
            months.add_row(row["month"], row["returnPct"])
        console.print(months)

    counts = result["rejectionCounts"]
    if counts:
        rejected = Table(title="Rejections", title_justify="left")
        rejected.add_column("code")
        rejected.add_column("orders", justify="right")
        rejected.add_column("first message")
        first = {r["code"]: r["message"] for r in reversed(result["rejections"])}
        for code, count in counts.items():
            rejected.add_row(code, f"{count:,}", first.get(code, ""))
        console.print(rejected)

    trades = result["trades"]
    if trades:
        shown = Table(title=f"Last trades (of {len(trades):,})", title_justify="left")
        for column in ("exit", "symbol", "quantity", "entry", "exit price", "pnl", "fees"):
            shown.add_column(
                column, justify="left" if column in ("exit", "symbol") else "right", no_wrap=column == "exit"
            )
        for t in trades[-10:]:
            shown.add_row(
                t["exitAt"][:16].replace("T", " "),
                t["symbol"],
                t["quantity"],
                _cents(t["entryPrice"]),
                _cents(t["exitPrice"]),
                _cents(t["pnl"]),
                _cents(t["fees"]),
            )
        console.print(shown)
    balances = ", ".join(f"{asset} {amount}" for asset, amount in result["finalBalances"].items())
    console.print(f"final balances: {balances}; open orders: {result['openOrders']}")


def import_csv(path: Path, symbol: str, timeframe: Timeframe, console: Console) -> None:
    """Check a CSV and print what it holds and its sha256 (stored by marketdata in a later round)."""
    try:
        candles = read_csv(path, symbol, timeframe)
    except DatasetError as exc:
        raise UsageError(f"{path}: {exc}") from exc
    console.print(
        f"{len(candles):,} {timeframe} candles of {symbol}, {candles[0].t.isoformat()} → "
        f"{candles[-1].closes_at.isoformat()}"
    )
    console.print(f"sha256 {dataset_hash(candles)}")
    console.print(f"use it with --dataset csv:{path.resolve()}")


def _cents(amount: str) -> str:
    """A table cell: two decimals (the result JSON keeps every digit)."""
    return f"{Decimal(amount).quantize(Decimal('0.01')):f}"
