"""The bots phase of `make bench`: 1,000 running bots on one bots process; a closed candle published →
the bot's order requested on the bus (p50/p99), and that process's CPU share meanwhile. Printed, never
asserted.

Each bot is a DCA ladder on a market of its own (`B0001/USDT` ...), so each candle wakes one bot and the
figure is the path through the bots service, not a queue of bots behind one candle. Risk refuses those
markets; the orders are still requested, which is what is measured. A last figure fans one candle out to
every bot at once.
"""

from __future__ import annotations

import asyncio
import os
import time
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import httpx
import orjson
from tradeplane.contracts import subjects
from tradeplane.contracts.market import Timeframe

from tests.bench.scenarios import line
from tests.support.bots import candle, data
from tests.support.client import Api, User, gather_limited
from tests.support.natsauth import connect_operator
from tests.support.servers import Stack

LADDER = {"orderQuote": "20", "maxOrders": 100, "priceDropPct": "0.01", "takeProfitPct": "50"}


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far (from /proc)."""
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class Requested:
    """When each bot order was requested on the bus, by symbol (core NATS, as the operator)."""

    def __init__(self) -> None:
        self.at: dict[str, list[float]] = {}

    async def start(self, url: str) -> None:
        self.nc = await connect_operator(url)
        await self.nc.subscribe(subjects.ALL_ORDER_REQUESTED, cb=self._on)

    async def _on(self, msg: Any) -> None:
        now = time.perf_counter()
        order = orjson.loads(msg.data)
        if order.get("bot_id"):
            self.at.setdefault(order["symbol"], []).append(now)


async def _candle_seconds(stack: Stack) -> float:
    """The bots process's own mean time per candle so far, from its /metrics (ms)."""
    async with httpx.AsyncClient(base_url=stack.url("bots"), timeout=10) as http:
        text = (await http.get("/metrics")).text
    found = {}
    for name in ("tp_bots_candle_seconds_sum", "tp_bots_candle_seconds_count"):
        line = next(row for row in text.splitlines() if row.startswith(name))
        found[name] = float(line.split()[-1])
    return 1000 * found["tp_bots_candle_seconds_sum"] / max(found["tp_bots_candle_seconds_count"], 1)


async def _bots(api: Api, who: User, symbols: list[str]) -> None:
    async def one(symbol: str) -> None:
        params = {
            "name": symbol,
            "strategy": "dca",
            "venueId": who.account,
            "config": {**LADDER, "symbol": symbol},
            "allocation": {"USDT": "100000"},
        }
        bot = await data(api.stack.nats_url, who, "bots.create", params)
        await data(api.stack.nats_url, who, "bots.start", {"id": bot["id"]})

    await gather_limited(8, [one(symbol) for symbol in symbols])


async def bots_phase(api: Api, quick: bool = False) -> None:
    stack = api.stack
    count, owners = (200, 4) if quick else (1000, 10)
    symbols = [f"B{i:04d}/USDT" for i in range(count)]
    traders = [await api.trader({"USDT": "1000000"}, name="bench-bots") for _ in range(owners)]
    per = count // owners
    started = time.perf_counter()
    for n, who in enumerate(traders):
        await _bots(api, who, symbols[n * per : (n + 1) * per])
    print(f"{count} bots created and started in {time.perf_counter() - started:.1f} s")

    watch = Requested()
    await watch.start(stack.nats_url)
    pid = stack.process("bots").pid
    t0 = Timeframe.M1.floor(datetime.now(UTC)) + timedelta(days=1)
    samples: list[float] = []
    cpu0, wall0 = cpu_seconds(pid), time.perf_counter()
    js = watch.nc.jetstream()
    for i, symbol in enumerate(symbols):
        subject, payload, headers = candle(symbol, t0, Decimal(100))
        sent = time.perf_counter()
        await js.publish(subject, payload, headers=headers)
        for _ in range(200):
            if watch.at.get(symbol):
                samples.append((watch.at[symbol][0] - sent) * 1000)
                break
            await asyncio.sleep(0.001)
        if i % 10 == 9:
            await asyncio.sleep(0.02)
    cpu, wall = cpu_seconds(pid) - cpu0, time.perf_counter() - wall0
    inside = await _candle_seconds(stack)
    print(line(f"bots: candle -> order requested ({count} bots)", samples or [float("nan")]))
    print(
        f"{'  bots process CPU meanwhile':<48} {100 * cpu / wall:.1f} % of a core "
        f"({len(samples) / wall:.0f} candles/s, {count - len(samples)} without an order in 200 ms)"
    )
    print(
        f"{'  of which inside the bots process (mean)':<48} {inside:.2f} ms a candle (tp_bots_candle_seconds)"
    )

    # One candle to every bot at once: the slowest of them waits behind the others.
    fan = "FAN/USDT"
    first_owner = traders[0]
    await _bots(api, first_owner, [fan] * min(per, 100))
    subject, payload, headers = candle(fan, t0, Decimal(100))
    sent = time.perf_counter()
    await js.publish(subject, payload, headers=headers)
    for _ in range(1000):
        if len(watch.at.get(fan, [])) >= min(per, 100):
            break
        await asyncio.sleep(0.01)
    arrivals = [(at - sent) * 1000 for at in watch.at.get(fan, [])]
    print(line(f"bots: one candle -> {len(arrivals)} bots' orders", arrivals or [float("nan")]))
    await watch.nc.close()


async def run(stack: Stack, quick: bool = False) -> None:
    async with httpx.AsyncClient(base_url=stack.url("gateway"), timeout=30) as http:
        await bots_phase(Api(http, stack), quick)
