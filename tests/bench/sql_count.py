"""SQL statements per order, per service: `python -m tests.bench.sql_count [--orders N] [--profile]`.

Round trips to PostgreSQL are what the order path spends most of its time on, and unlike timings they
do not depend on what else the machine runs. This starts the stack on its own PostgreSQL, turns on the
statement log (`log_statement=all`, prefixed with the connection's `application_name`, which each
service sets to its name), places N orders one at a time (each awaited until accepted by the paper
venue), then prints per service the statements per order, background (an idle window of the same
length) subtracted, and the most frequent statement shapes.

With `--profile`, the gateway, risk and execution run under py-spy (sampling, 50 Hz); what each
spent its CPU on while serving (start-up, imports and the event loop's waiting left out) is printed
as the functions with the largest share of samples, themselves or below them.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import re
import shutil
import signal
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import httpx
import psycopg
from tradeplane.cli.postgres import EmbeddedPostgres
from tradeplane.cli.probe import free_port
from tradeplane.cli.services import module_command

from tests.bench.scenarios import Watch, load_users
from tests.support.client import Api, ok, resting_buy
from tests.support.servers import Stack

_LINE = re.compile(r"^(?P<app>[\w.-]*)\|LOG:  (?:statement|execute [^:]*): (?P<sql>.*)$")


def _libpq(url: str) -> str:
    return "postgresql://" + url.partition("://")[2]


def _set(url: str, **settings: str) -> None:
    with psycopg.connect(_libpq(url), autocommit=True) as conn:
        for name, value in settings.items():
            conn.execute(f"ALTER SYSTEM SET {name} = '{value}'")
        conn.execute("SELECT pg_reload_conf()")


def _shape(sql: str) -> str:
    sql = re.sub(r"\s+", " ", sql).strip()
    sql = re.sub(r"%\(\w+\)s|\$\d+|'[^']*'|\b\d+\b", "?", sql)
    return sql[:110]


def count(log: Path, start: int, end: int) -> dict[str, collections.Counter[str]]:
    """Statements logged between byte offsets, per application name, per statement shape."""
    found: dict[str, collections.Counter[str]] = collections.defaultdict(collections.Counter)
    with log.open("rb") as f:
        f.seek(start)
        text = f.read(end - start).decode(errors="replace")
    for line in text.splitlines():
        match = _LINE.match(line)
        if match and match["app"]:
            found[match["app"]][_shape(match["sql"])] += 1
    return found


async def place_orders(stack: Stack, log: Path, orders: int) -> tuple[int, float]:
    """Place `orders` one at a time; returns the log's size before the first and the time they took."""
    watch = Watch()
    await watch.start(stack.nats_url)
    async with httpx.AsyncClient(base_url=stack.url("gateway"), timeout=30) as http:
        api = Api(http, stack)
        admin = await api.admin()
        trader = (await load_users(api, admin, 1))[0]
        for _ in range(5):  # warm up
            order = ok(
                await http.post("/api/orders", json=resting_buy(trader.account), headers=trader.headers)
            )
            await asyncio.wait_for(watch.wait_accepted(order["order"]["id"]), 10)
        await asyncio.sleep(1)
        started = time.perf_counter()
        mark = await asyncio.to_thread(lambda: log.stat().st_size)
        for _ in range(orders):
            body = resting_buy(trader.account)
            order = ok(await http.post("/api/orders", json=body, headers=trader.headers))
            await asyncio.wait_for(watch.wait_accepted(order["order"]["id"]), 10)
        await asyncio.sleep(0.5)  # let the last order's followers (views, outbox marks) run
        elapsed = time.perf_counter() - started
    await watch.nc.close()
    return mark, elapsed


def report(
    busy: dict[str, collections.Counter[str]], idle: dict[str, collections.Counter[str]], n: int
) -> None:
    print(f"SQL statements per order ({n} orders one at a time, idle background subtracted)")
    total = 0.0
    for app in sorted(busy):
        per = (sum(busy[app].values()) - sum(idle.get(app, collections.Counter()).values())) / n
        total += per
        print(f"  {app:<12} {per:6.2f}")
        for shape, calls in busy[app].most_common(25):
            extra = (calls - idle.get(app, collections.Counter())[shape]) / n
            if extra >= 0.05:
                print(f"      {extra:5.2f}  {shape}")
    print(f"  {'total':<12} {total:6.2f}")


PROFILED = ("gateway", "risk", "execution")
_STARTUP = ("_find_and_load", "Runtime.start", "run_migrations", "_import_ccxt")


def profiled_command(work: Path) -> Callable[[str], list[str]]:
    spy = shutil.which("py-spy") or str(Path(sys.executable).with_name("py-spy"))

    def command(kind: str) -> list[str]:
        argv = module_command(kind)
        if kind not in PROFILED:
            return argv
        out = work / f"profile-{kind}-{time.monotonic_ns()}.txt"
        return [spy, "record", "--nonblocking", "-r", "50", "-f", "raw", "-o", str(out), "--", *argv]

    return command


def stop_profilers(stack: Stack, work: Path, timeout: float = 30) -> None:
    """py-spy writes its profile on SIGINT (on SIGTERM, the way the stack stops, it would not)."""
    assert stack.supervisor is not None
    for name, proc in stack.supervisor.processes.items():
        if name.split("-")[0] in PROFILED:
            proc.popen.send_signal(signal.SIGINT)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and len(list(work.glob("profile-*.txt"))) < len(PROFILED):
        time.sleep(0.5)


def print_profiles(work: Path, top: int = 14) -> None:
    for kind in PROFILED:
        inclusive: collections.Counter[str] = collections.Counter()
        own: collections.Counter[str] = collections.Counter()
        total = 0
        for path in work.glob(f"profile-{kind}-*.txt"):
            for line in path.read_text().splitlines():
                stack, _, count = line.rpartition(" ")
                if not stack or any(s in stack for s in _STARTUP):
                    continue
                frames = [re.sub(r" \(.*?\)$", "", f) for f in stack.split(";")]
                if frames[-1] == "Runner.run":  # the event loop waiting (uvloop's C loop, not seen as idle)
                    continue
                n = int(count)
                total += n
                own[frames[-1]] += n
                for frame in set(frames):
                    inclusive[frame] += n
        if not total:
            print(f"profile {kind}: no samples (py-spy could not run?)")
            continue
        print(f"profile {kind}: {total} samples; share with callees / own")
        for frame, n in inclusive.most_common(top):
            print(f"  {100 * n / total:5.1f}%  {100 * own[frame] / total:5.1f}%  {frame}")
        print("  own time, top:")
        for frame, n in own.most_common(top):
            print(f"  {100 * n / total:5.1f}%  {frame}")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--orders", type=int, default=100)
    parser.add_argument("--profile", action="store_true", help="run gateway, risk, execution under py-spy")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="tp-sql-") as tmp:
        work = Path(tmp)
        log = work / "pg.log"
        postgres = EmbeddedPostgres(work / "pg", port=free_port(), log_path=log, durable=False).start()
        stack = Stack(work / "stack", postgres_server_url=postgres.url())
        try:
            env = {"TP_LOG_LEVEL": "WARNING", "TP_FEED_INTERVAL_SECONDS": "1"}
            command = profiled_command(work) if args.profile else module_command
            stack.start(executors=1, env=env, command=command, timeout=300)
            _set(postgres.url(), log_statement="all", log_line_prefix="%a|")
            time.sleep(1)
            mark, elapsed = asyncio.run(place_orders(stack, log, args.orders))
            end = log.stat().st_size
            busy = count(log, mark, end)
            time.sleep(elapsed)
            idle = count(log, end, log.stat().st_size)
            report(busy, idle, args.orders)
            if args.profile:
                stop_profilers(stack, work)
        finally:
            stack.stop()
            postgres.stop()
        if args.profile:
            print_profiles(work)


if __name__ == "__main__":
    main()
