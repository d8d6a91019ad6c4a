"""The measured scenarios of `make bench`; each prints its figures."""

from __future__ import annotations

import asyncio
import random
import statistics
import time
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

import httpx
import orjson
from tradeplane.contracts import subjects

from tests.support.client import Api, User, gather_limited, ok, resting_buy
from tests.support.natsauth import connect_operator
from tests.support.servers import Stack

BALANCES = {"USDT": "1000000", "BTC": "10"}
RELAXED = {"maxDailyTrades": 10000, "maxOrdersPerMinute": 10000, "maxOrderNotional": "1000000"}
"""Caps wide enough that the bench measures the path, not the risk rules: beyond the platform ceilings,
so an admin sets them for each trader."""


def pct(samples: Sequence[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def line(name: str, samples_ms: Sequence[float]) -> str:
    return (
        f"{name:<48} n={len(samples_ms):<6} p50={pct(samples_ms, 0.5):7.2f} ms  "
        f"p95={pct(samples_ms, 0.95):7.2f} ms  p99={pct(samples_ms, 0.99):7.2f} ms"
    )


class Watch:
    """Arrival time of order events and halt acks, from a core NATS subscription."""

    def __init__(self) -> None:
        self.accepted: dict[str, float] = {}
        self.waiters: dict[str, asyncio.Future[float]] = {}
        self.acks: list[tuple[float, dict[str, Any]]] = []
        self.all_acked = asyncio.Event()
        self.executors = 3

    async def start(self, url: str) -> None:
        self.nc = await connect_operator(url)
        await self.nc.subscribe(f"{subjects.PREFIX}.order.accepted.>", cb=self._on_accepted)
        await self.nc.subscribe(subjects.ALL_HALT_ACKS, cb=self._on_ack)

    async def _on_accepted(self, msg: Any) -> None:
        now = time.perf_counter()
        order_id = orjson.loads(msg.data)["order_id"]
        self.accepted[order_id] = now
        waiter = self.waiters.pop(order_id, None)
        if waiter and not waiter.done():
            waiter.set_result(now)

    async def _on_ack(self, msg: Any) -> None:
        self.acks.append((time.perf_counter(), orjson.loads(msg.data)))
        if len({a["executor"] for _, a in self.acks}) >= self.executors:
            self.all_acked.set()

    def wait_accepted(self, order_id: str) -> asyncio.Future[float]:
        future: asyncio.Future[float] = asyncio.get_running_loop().create_future()
        if order_id in self.accepted:
            future.set_result(self.accepted[order_id])
        else:
            self.waiters[order_id] = future
        return future


async def raw_nats(url: str, rounds: int) -> tuple[float, float]:
    nc = await connect_operator(url)
    js = nc.jetstream()

    async def echo(msg: Any) -> None:
        await msg.respond(msg.data)

    await nc.subscribe("bench.echo", cb=echo)
    await js.add_stream(name="BENCH", subjects=["bench.js"])
    core, jet = [], []
    for _ in range(rounds):
        t = time.perf_counter()
        await nc.request("bench.echo", b"x" * 400, timeout=2)
        core.append((time.perf_counter() - t) * 1000)
        t = time.perf_counter()
        await js.publish("bench.js", b"x" * 400)
        jet.append((time.perf_counter() - t) * 1000)
    await js.delete_stream("BENCH")
    await nc.close()
    print(line("raw nats-py core request/reply", core))
    print(line("raw nats-py JetStream publish → ack", jet))
    return pct(core, 0.5), pct(jet, 0.5)


async def order_latency(http: httpx.AsyncClient, watch: Watch, trader: User, count: int) -> list[float]:
    samples = []
    for _ in range(count):
        t = time.perf_counter()
        order = ok(await http.post("/api/orders", json=resting_buy(trader.account), headers=trader.headers))
        accepted = await asyncio.wait_for(watch.wait_accepted(order["order"]["id"]), 10)
        samples.append((accepted - t) * 1000)
    print(line("REST order → accepted by paper venue", samples))
    return samples


async def throughput(http: httpx.AsyncClient, watch: Watch, traders: list[User], per_user: int) -> None:
    orders = [(t, i) for i in range(per_user) for t in traders]
    reads: list[float] = []
    done = asyncio.Event()

    async def submit(trader: User, i: int) -> str:
        body = resting_buy(trader.accounts[i % len(trader.accounts)], price=Decimal("20000") + i)
        return ok(await http.post("/api/orders", json=body, headers=trader.headers))["order"]["id"]  # type: ignore[no-any-return]

    async def reader() -> None:
        while not done.is_set():
            trader = random.choice(traders)
            t = time.perf_counter()
            response = await http.get("/api/orders", params={"pageSize": 20}, headers=trader.headers)
            ok(response)
            reads.append((time.perf_counter() - t) * 1000)
            await asyncio.sleep(0.01)

    readers = [asyncio.create_task(reader()) for _ in range(4)]
    started = time.perf_counter()
    ids = await gather_limited(64, [submit(t, i) for t, i in orders])
    submitted = time.perf_counter()
    await asyncio.wait_for(asyncio.gather(*(watch.wait_accepted(i) for i in ids)), 120)
    finished = time.perf_counter()
    done.set()
    await asyncio.gather(*readers)
    print(
        f"{'orders end to end (' + str(len(traders)) + ' users, 64 in flight)':<48} n={len(ids):<6} "
        f"submitted {len(ids) / (submitted - started):7.0f}/s  "
        f"accepted {len(ids) / (finished - started):7.0f}/s"
    )
    print(line("gateway reads GET /api/orders during the load", reads))


async def kill_switch(
    http: httpx.AsyncClient, watch: Watch, admin: User, traders: list[User], rounds: int
) -> None:
    headers = admin.headers
    accounts = [(t, a) for t in traders for a in t.accounts]
    samples, cancelled = [], []
    for r in range(rounds):
        ids = await gather_limited(
            64,
            [_place(http, t, a, i) for i, (t, a) in enumerate(accounts)],
        )
        await asyncio.wait_for(asyncio.gather(*(watch.wait_accepted(i) for i in ids)), 120)
        watch.acks.clear()
        watch.all_acked.clear()
        t = time.perf_counter()
        ok(
            await http.post(
                "/api/killswitch/activate", json={"scope": "global", "reason": f"bench {r}"}, headers=headers
            )
        )
        await asyncio.wait_for(watch.all_acked.wait(), 10)
        last = max(at for at, _ in watch.acks)
        samples.append((last - t) * 1000)
        cancelled.append(sum(a["cancelled_orders"] for _, a in watch.acks))
        ok(
            await http.post(
                "/api/killswitch/deactivate", json={"scope": "global", "reason": "bench"}, headers=headers
            )
        )
        await asyncio.sleep(0.5)
    print(line(f"kill switch → last of 3 executor acks ({len(accounts)} accounts)", samples))
    print(f"{'orders cancelled per halt':<48} {statistics.mean(cancelled):.0f}")


async def _place(http: httpx.AsyncClient, trader: User, account: str, i: int) -> str:
    body = resting_buy(account)
    return ok(await http.post("/api/orders", json=body, headers=trader.headers))["order"]["id"]  # type: ignore[no-any-return]


async def run_all(stack: Stack, quick: bool = False) -> None:
    core_ms, js_ms = await raw_nats(stack.nats_url, 200 if quick else 2000)
    watch = Watch()
    await watch.start(stack.nats_url)
    limits = httpx.Limits(max_connections=128, max_keepalive_connections=128, keepalive_expiry=30)
    async with httpx.AsyncClient(base_url=stack.url("gateway"), timeout=30, limits=limits) as http:
        api = Api(http, stack)
        admin = await api.admin()
        await api.raise_rate_limits(admin, admin)  # the bench measures the path, not the gateway's limits
        solo = await api.trader(BALANCES, name="bench")
        await api.raise_rate_limits(admin, solo)
        await api.put_limits_as_admin(admin, solo, **RELAXED)
        for _ in range(20):  # warm up connections, caches and JIT-free paths
            ok(await http.post("/api/orders", json=resting_buy(solo.account), headers=solo.headers))
        samples = await order_latency(http, watch, solo, 100 if quick else 1000)
        print(
            f"{'  ratio p50 / (3 x raw JetStream publish p50)':<48} {pct(samples, 0.5) / (3 * js_ms):.1f}x"
            f"   (core request/reply p50 {core_ms:.3f} ms)"
        )

        users = 40 if quick else 200
        traders = await gather_limited(
            16, [api.trader(BALANCES, accounts=1 if quick else 5, name="bench") for _ in range(users)]
        )
        await gather_limited(16, [api.raise_rate_limits(admin, t) for t in traders])
        await gather_limited(16, [api.put_limits_as_admin(admin, t, **RELAXED) for t in traders])
        await throughput(http, watch, traders, 5 if quick else 10)
        await kill_switch(http, watch, admin, traders, 3 if quick else 10)
    await watch.nc.close()
