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
import psutil
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


class CpuMeter:
    """CPU seconds (user + system) of each service process and its children (gateway workers,
    PostgreSQL backends), read from /proc through psutil."""

    def __init__(self, processes: dict[str, int]) -> None:
        self.processes = {name: psutil.Process(pid) for name, pid in processes.items()}

    @classmethod
    def of(cls, stack: Stack, postgres_pid: int | None) -> CpuMeter:
        assert stack.supervisor is not None
        pids = {name: proc.pid for name, proc in stack.supervisor.processes.items()}
        if postgres_pid is not None:
            pids["postgres"] = postgres_pid
        return cls(pids)

    def read(self) -> dict[str, float]:
        seconds: dict[str, float] = {}
        for name, proc in self.processes.items():
            total = 0.0
            for p in [proc, *_children(proc)]:
                try:
                    times = p.cpu_times()
                except psutil.Error:
                    continue
                total += times.user + times.system + times.children_user + times.children_system
            group = name.split("-")[0] if name.startswith("execution-") else name
            seconds[group] = seconds.get(group, 0.0) + total
        return seconds


def _children(proc: psutil.Process) -> list[psutil.Process]:
    try:
        return list(proc.children(recursive=True))
    except psutil.Error:
        return []


def cpu_lines(before: dict[str, float], after: dict[str, float], orders: int) -> None:
    """CPU milliseconds per order, per service and for the services together (PostgreSQL apart)."""
    per = {name: (after[name] - before.get(name, 0.0)) * 1000 / max(orders, 1) for name in after}
    services = {n: v for n, v in per.items() if n != "postgres"}
    for name, ms in sorted(services.items(), key=lambda kv: -kv[1]):
        if ms >= 0.005:
            print(f"{'  CPU per order: ' + name:<48} {ms:7.3f} ms")
    print(f"{'  CPU per order: all services':<48} {sum(services.values()):7.3f} ms")
    if "postgres" in per:
        print(f"{'  CPU per order: PostgreSQL':<48} {per['postgres']:7.3f} ms")


async def post_order(http: httpx.AsyncClient, trader: User, body: dict[str, str]) -> str:
    """Place an order; a dropped connection is retried with the same clientOrderId (the same order)."""
    for attempt in range(5):
        try:
            response = await http.post("/api/orders", json=body, headers=trader.headers)
        except httpx.TransportError:
            if attempt == 4:
                raise
            await asyncio.sleep(0.1 * 2**attempt)
            continue
        return ok(response)["order"]["id"]  # type: ignore[no-any-return]
    raise AssertionError("unreachable")


async def load_users(api: Api, admin: User, count: int, accounts: int = 1) -> list[User]:
    """The bench's load users: traders with paper accounts and limits wide enough that the bench
    measures the path, not the rules. (The one place that creates them: what else a load user needs
    raised, it gets here.)"""

    async def one() -> User:
        trader = await api.trader(BALANCES, accounts=accounts, name="bench")
        await api.raise_rate_limits(admin, trader)
        await api.put_limits_as_admin(admin, trader, **RELAXED)
        return trader

    return await gather_limited(16, [one() for _ in range(count)])


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
        order_id = await post_order(http, trader, resting_buy(trader.account))
        accepted = await asyncio.wait_for(watch.wait_accepted(order_id), 10)
        samples.append((accepted - t) * 1000)
    print(line("REST order → accepted by paper venue", samples))
    return samples


async def throughput(
    http: httpx.AsyncClient, watch: Watch, traders: list[User], per_user: int, cpu: CpuMeter
) -> None:
    orders = [(t, i) for i in range(per_user) for t in traders]
    reads: list[float] = []
    done = asyncio.Event()

    async def submit(trader: User, i: int) -> str:
        body = resting_buy(trader.accounts[i % len(trader.accounts)], price=Decimal("20000") + i)
        return await post_order(http, trader, body)

    async def reader() -> None:
        while not done.is_set():
            trader = random.choice(traders)
            t = time.perf_counter()
            response = await http.get("/api/orders", params={"pageSize": 20}, headers=trader.headers)
            ok(response)
            reads.append((time.perf_counter() - t) * 1000)
            await asyncio.sleep(0.01)

    readers = [asyncio.create_task(reader()) for _ in range(4)]
    cpu_before = cpu.read()
    started = time.perf_counter()
    ids = await gather_limited(64, [submit(t, i) for t, i in orders])
    submitted = time.perf_counter()
    await asyncio.wait_for(asyncio.gather(*(watch.wait_accepted(i) for i in ids)), 120)
    finished = time.perf_counter()
    done.set()
    await asyncio.gather(*readers)
    cpu_after = cpu.read()
    print(
        f"{'orders end to end (' + str(len(traders)) + ' users, 64 in flight)':<48} n={len(ids):<6} "
        f"submitted {len(ids) / (submitted - started):7.0f}/s  "
        f"accepted {len(ids) / (finished - started):7.0f}/s"
    )
    print(line("gateway reads GET /api/orders during the load", reads))
    cpu_lines(cpu_before, cpu_after, len(ids))


async def scaling(http: httpx.AsyncClient, watch: Watch, users: list[User], orders_per_step: int) -> None:
    """Each user places orders one at a time (the next once the last is accepted), all users at once:
    latency p99 and orders/s as the number of users grows."""

    async def user_loop(trader: User, count: int, samples: list[float]) -> None:
        for i in range(count):
            t = time.perf_counter()
            order_id = await post_order(http, trader, resting_buy(trader.account, price=Decimal("19000") + i))
            accepted = await asyncio.wait_for(watch.wait_accepted(order_id), 60)
            samples.append((accepted - t) * 1000)

    for n in (10, 100, 1000):
        if n > len(users):
            break
        per_user = max(1, orders_per_step // n)
        samples: list[float] = []
        started = time.perf_counter()
        await asyncio.gather(*(user_loop(u, per_user, samples) for u in users[:n]))
        rate = len(samples) / (time.perf_counter() - started)
        print(f"{line(f'scaling: {n} users, one order at a time each', samples)}  {rate:6.0f} orders/s")


async def kill_switch(
    http: httpx.AsyncClient, watch: Watch, admin: User, traders: list[User], rounds: int, resting: int
) -> None:
    """Activate → the last executor's ack, with every trader's account active (each placed orders in the
    earlier phases) and `resting` of them, drawn anew each round, holding a resting order to cancel."""
    headers = admin.headers
    accounts = [(t, a) for t in traders for a in t.accounts]
    samples, cancelled = [], []
    # First a halt that is not measured: it cancels what the earlier phases left resting.
    await _halt(http, watch, headers, "clear", 60)
    for r in range(rounds):
        chosen = random.sample(accounts, min(resting, len(accounts)))
        ids = await gather_limited(64, [_place(http, t, a) for t, a in chosen])
        await asyncio.wait_for(asyncio.gather(*(watch.wait_accepted(i) for i in ids)), 120)
        samples.append(await _halt(http, watch, headers, f"bench {r}", 10))
        cancelled.append(sum(a["cancelled_orders"] for _, a in watch.acks))
    print(
        line(f"kill switch → last of 3 executor acks ({len(accounts)} accounts, {resting} resting)", samples)
    )
    print(f"{'orders cancelled per halt':<48} {statistics.mean(cancelled):.0f}")


async def _halt(
    http: httpx.AsyncClient, watch: Watch, headers: dict[str, str], reason: str, wait: float
) -> float:
    """Activate the global kill switch, wait for every executor's ack, release it: the milliseconds from
    the request to the last ack."""
    watch.acks.clear()
    watch.all_acked.clear()
    t = time.perf_counter()
    body = {"scope": "global", "reason": reason}
    ok(await http.post("/api/killswitch/activate", json=body, headers=headers))
    await asyncio.wait_for(watch.all_acked.wait(), wait)
    last = max(at for at, _ in watch.acks)
    ok(await http.post("/api/killswitch/deactivate", json=body, headers=headers))
    await asyncio.sleep(0.5)
    return (last - t) * 1000


async def _place(http: httpx.AsyncClient, trader: User, account: str) -> str:
    return await post_order(http, trader, resting_buy(account))


async def run_all(stack: Stack, quick: bool = False, postgres_pid: int | None = None) -> None:
    core_ms, js_ms = await raw_nats(stack.nats_url, 200 if quick else 2000)
    watch = Watch()
    await watch.start(stack.nats_url)
    cpu = CpuMeter.of(stack, postgres_pid)
    limits = httpx.Limits(max_connections=128, max_keepalive_connections=128, keepalive_expiry=30)
    async with httpx.AsyncClient(base_url=stack.url("gateway"), timeout=30, limits=limits) as http:
        api = Api(http, stack)
        admin = await api.admin()
        await api.raise_rate_limits(admin, admin)  # the bench measures the path, not the gateway's limits
        solo = (await load_users(api, admin, 1))[0]
        for _ in range(20):  # warm up connections, caches and JIT-free paths
            await post_order(http, solo, resting_buy(solo.account))
        samples = await order_latency(http, watch, solo, 100 if quick else 1000)
        path = 3 * js_ms  # three JetStream hops: requested, approved, accepted
        print(
            f"{'  ratio p50 / (3 x raw JetStream publish p50)':<48} {pct(samples, 0.5) / path:.1f}x"
            f"   p99: {pct(samples, 0.99) / path:.1f}x   (core request/reply p50 {core_ms:.3f} ms)"
        )

        # One account per user: the first 200 make the throughput load, all 1,000 the scaling steps and
        # the kill switch's 1,000 accounts.
        users = await load_users(api, admin, 100 if quick else 1000)
        await throughput(http, watch, users[: 40 if quick else 200], 5 if quick else 10, cpu)
        await scaling(http, watch, users, 200 if quick else 2000)
        await kill_switch(http, watch, admin, users, 3 if quick else 10, 20 if quick else 100)
    await watch.nc.close()
