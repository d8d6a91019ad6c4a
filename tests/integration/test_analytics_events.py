"""Event streams for downstream analytics on the real stack: the gateway serves the committed AsyncAPI
document; the guide's consumer (examples/analytics_consumer.py, as the `analytics` NATS user) loads every
fill of a set of orders exactly once, across a crash between its write and its ack and a SIGKILL, and can
start from a time; the analytics credentials read the published subjects and publish nothing; and
`tradeplane export` writes a user's orders, fills and trades."""

from __future__ import annotations

import asyncio
import csv
import sqlite3
import subprocess
import sys
from collections import Counter
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any
from uuid import UUID

import httpx
import nats.errors
import playwright.sync_api as playwright_api
import pyarrow.parquet as pq
import pytest
import yaml
from nats.js.api import ConsumerConfig
from tradeplane.cli.processes import ChildProcess
from tradeplane.contracts import catalog, subjects
from tradeplane.contracts.permissions import ANALYTICS, ANALYTICS_CONSUMERS
from tradeplane.contracts.queries import RISK

from tests.integration.test_bus_permissions import Listener, as_user, violations
from tests.support import natsauth
from tests.support.browser import browsing
from tests.support.client import Api, User, eventually, market, ok
from tests.support.servers import REPO_ROOT, Stack, shared_stack

pytestmark = [pytest.mark.integration, pytest.mark.timeout(240)]

EXAMPLE = REPO_ROOT / "examples" / "analytics_consumer.py"
SYMBOL = "BTC/USDT"

stack = shared_stack("analytics-events")


@pytest.fixture(scope="module")
async def api(stack: Stack) -> AsyncIterator[Api]:
    async with Api.on(stack) as api:
        await api.set_price(await api.trader(), SYMBOL, Decimal("60000"))
        yield api


@dataclass
class Orders:
    """A trader and the orders placed for them, all filled."""

    trader: User
    filled: list[dict[str, Any]] = field(default_factory=list)

    async def round_trips(self, api: Api, count: int) -> None:
        """`count` buys, each followed by a sell of as much: 2 * count fills and `count` closed trades."""
        for _ in range(count):
            for side in ("Buy", "Sell"):
                self.filled.append(await api.filled(self.trader, market(self.trader.account, side, "0.01")))

    @property
    def ids(self) -> set[str]:
        return {order["id"] for order in self.filled}


class Consumer:
    """The guide's example, run as its own process against the stack."""

    def __init__(self, stack: Stack, db: Path) -> None:
        self.stack, self.db, self.runs = stack, db, 0

    def start(self, *args: str) -> ChildProcess:
        self.runs += 1
        argv = [sys.executable, str(EXAMPLE), "--url", self.stack.nats_url, "--db", str(self.db), *args]
        env = {"TP_NATS_PASSWORD_ANALYTICS": natsauth.passwords()[ANALYTICS]}
        return self.stack.spawn(f"analytics-{self.db.stem}-{self.runs}", argv, env)

    def fills(self, user: User) -> list[tuple[str, str, str, str]]:
        """(event id, order id, fill id, quantity) of each stored fill of `user`."""
        with sqlite3.connect(self.db) as db:
            query = "SELECT event_id, order_id, fill_id, quantity FROM fills WHERE user_id = ?"
            return db.execute(query, (user.id,)).fetchall()

    def trades(self, user: User) -> list[str]:
        with sqlite3.connect(self.db) as db:
            return [r[0] for r in db.execute("SELECT trade_id FROM trades WHERE user_id = ?", (user.id,))]


async def fill_events_of(stack: Stack, user: User | None) -> int:
    """How many fill events of `user` (None: of everyone) the TP_ORDERS stream holds (operator's count)."""
    nc = await natsauth.connect_operator(stack.nats_url)
    try:
        subject = f"tp.order.filled.*.{user.id if user else '*'}"
        info = await nc.jetstream().stream_info("TP_ORDERS", subjects_filter=subject)
        return sum((info.state.subjects or {}).values())
    finally:
        await nc.close()


async def closed_trades(api: Api, trader: User, count: int) -> list[dict[str, Any]]:
    """The trader's closed trades once pnl has booked `count` of them."""

    async def get() -> list[dict[str, Any]]:
        return ok(await api.http.get("/api/pnl/trades", headers=trader.headers))  # type: ignore[no-any-return]

    return await eventually(get, lambda trades: len(trades) == count)


async def _now(value: Any) -> Any:
    return value


async def test_the_asyncapi_document_served_is_the_committed_one(stack: Stack) -> None:
    async with httpx.AsyncClient(base_url=stack.url("gateway")) as http:
        served = ok_json(await http.get("/api/events/asyncapi.json"))
        page = await http.get("/api/events")

    committed = yaml.safe_load((REPO_ROOT / "docs" / "asyncapi.yaml").read_text())
    assert served == committed
    assert page.status_code == 200 and "/static/vendor/asyncapi-react/index.js" in page.text


def test_the_asyncapi_page_renders_the_document_with_nothing_from_elsewhere(
    stack: Stack, browser: object, tmp_path: Path
) -> None:
    with browsing(browser, stack.url("gateway"), tmp_path / "screens", playwright_api.expect) as web:
        web.page.goto("/api/events")
        rendered = web.page.locator("#asyncapi")
        playwright_api.expect(rendered).to_contain_text("Tradeplane events")
        playwright_api.expect(rendered).to_contain_text("tp.order.filled.{partition}.{userId}")
        playwright_api.expect(rendered).to_contain_text("TradeClosed")


def ok_json(response: httpx.Response) -> Any:
    assert response.status_code == 200, response.text
    return response.json()


async def test_the_guides_consumer_stores_every_fill_once_across_its_restarts(
    api: Api, stack: Stack, tmp_path: Path
) -> None:
    orders = Orders(await api.trader())
    consumer = Consumer(stack, tmp_path / "analytics.sqlite")
    await orders.round_trips(api, 2)

    # A crash after writing the batch with the trader's last fills and before acknowledging it: the worst
    # moment (the stream's fills so far, written two by two, the last two being the trader's).
    everyone = str(await fill_events_of(stack, None))
    crashed = consumer.start("--batch", "2", "--ack-wait", "2", "--exit-unacked-after-fills", everyone)
    assert await asyncio.to_thread(crashed.wait, 60) == 3, crashed.tail()
    assert len(consumer.fills(orders.trader)) == len(orders.filled)  # written, not acknowledged

    await orders.round_trips(api, 2)  # while it is down
    running = consumer.start("--batch", "1")
    await eventually(lambda: asyncio.to_thread(consumer.fills, orders.trader), lambda rows: len(rows) > 4)
    running.kill()  # SIGKILL, mid-way or not: nothing it acknowledged is lost, nothing is stored twice
    await orders.round_trips(api, 1)
    trades = await closed_trades(api, orders.trader, 5)
    finished = consumer.start("--idle-exit", "3")
    assert await asyncio.to_thread(finished.wait, 90) == 0, finished.tail()

    rows = consumer.fills(orders.trader)
    assert len(rows) == await fill_events_of(stack, orders.trader) == len(orders.filled) > 0
    assert {row[1] for row in rows} == orders.ids
    assert len({row[0] for row in rows}) == len(rows)  # one row per event
    per_order = Counter[str]()
    for _, order_id, _, quantity in rows:
        per_order[order_id] += Decimal(quantity)  # type: ignore[assignment]
    assert all(per_order[o["id"]] == Decimal(o["filledQuantity"]) for o in orders.filled)
    assert sorted(consumer.trades(orders.trader)) == sorted(t["id"] for t in trades)


async def test_the_guides_consumer_starts_from_a_time(api: Api, stack: Stack, tmp_path: Path) -> None:
    orders = Orders(await api.trader())
    await orders.round_trips(api, 1)
    before = set(orders.ids)
    since = datetime.now(UTC)
    await orders.round_trips(api, 1)
    consumer = Consumer(stack, tmp_path / "since.sqlite")

    run = consumer.start(
        "--durable", ANALYTICS_CONSUMERS[1], "--since", since.isoformat(), "--idle-exit", "3"
    )
    assert await asyncio.to_thread(run.wait, 60) == 0, run.tail()

    assert {row[1] for row in consumer.fills(orders.trader)} == orders.ids - before


async def test_analytics_credentials_read_the_published_subjects(api: Api, stack: Stack) -> None:
    trader = await api.trader()
    listener = Listener()
    async with as_user(stack.nats_url, ANALYTICS) as (nc, errors):
        for event in catalog.EVENTS:  # each family the analytics user may read, as the document names it
            await nc.subscribe(event.subject, cb=listener.keep)
        await nc.flush()
        await api.filled(trader, market(trader.account, "Buy", "0.01"))
        await api.filled(trader, market(trader.account, "Sell", "0.01"))

        wanted = {"tp.order.requested", "tp.order.filled", "tp.trade.closed", "tp.pnl.updated"}
        families = await eventually(
            lambda: _now(
                {catalog.event_of(m.subject).name for m in listener.received if trader.id in m.subject}
            ),
            lambda found: wanted <= found,
        )
        assert wanted <= families and errors == []


async def test_analytics_credentials_publish_nothing(stack: Stack) -> None:
    user = UUID(int=7)
    forbidden = [
        subjects.order_requested(0, user),
        subjects.halt_engaged(None),
        subjects.audit("gateway", "killswitch.release"),
        subjects.query(RISK, "killswitch.deactivate"),
        subjects.dead_letter("pnl", subjects.order_filled(0, user)),
    ]
    operator = await natsauth.connect_operator(stack.nats_url)
    heard = Listener()
    try:
        for subject in forbidden:
            await operator.subscribe(subject, cb=heard.keep)
        await operator.flush()
        async with as_user(stack.nats_url, ANALYTICS) as (nc, errors):
            for subject in forbidden:
                await nc.publish(subject, b"{}")
            await nc.flush()
            await eventually(
                lambda: _now([s for s in forbidden if violations(errors, "publish", s)]),
                lambda found: len(found) == len(forbidden),
            )
            js = nc.jetstream(timeout=1)
            consumers = await operator.jetstream().consumers_info("TP_ORDERS")
            service_consumer = next(c.name for c in consumers if c.name not in ANALYTICS_CONSUMERS)
            with pytest.raises((TimeoutError, nats.errors.Error)):
                await js.publish(subjects.order_filled(0, user), b"{}")
            with pytest.raises((TimeoutError, nats.errors.Error)):
                await js.delete_consumer("TP_ORDERS", str(service_consumer))
            with pytest.raises((TimeoutError, nats.errors.Error)):
                await js.add_consumer("TP_ORDERS", ConsumerConfig(durable_name="pnl-fills-2"))
            with pytest.raises((TimeoutError, nats.errors.Error)):
                await js.delete_stream("TP_ORDERS")
            assert violations(errors, "publish", f"$JS.API.CONSUMER.DELETE.TP_ORDERS.{service_consumer}")
            assert violations(errors, "publish", "$JS.API.STREAM.DELETE.TP_ORDERS")
        await operator.flush()
        assert heard.received == []
        assert (await operator.jetstream().stream_info("TP_ORDERS")).config.name == "TP_ORDERS"
    finally:
        await operator.close()


async def test_export_writes_the_users_orders_fills_and_trades(
    api: Api, stack: Stack, tmp_path: Path
) -> None:
    start = datetime.now(UTC)
    orders, other = Orders(await api.trader()), Orders(await api.trader())
    await orders.round_trips(api, 2)
    await other.round_trips(api, 1)
    await closed_trades(api, orders.trader, 2)

    def export(fmt: str) -> Path:
        out = tmp_path / fmt
        command = [sys.executable, "-m", "tradeplane.cli", "export", "--user", orders.trader.id]
        command += ["--from", start.isoformat(), "--format", fmt, "--out", str(out)]
        env = {"PATH": "/usr/bin:/bin", "TP_DATABASE_URL": stack.database_url}
        done = subprocess.run(command, env=env, cwd=REPO_ROOT, capture_output=True, text=True, timeout=60)
        assert done.returncode == 0, done.stderr
        return out

    out = await asyncio.to_thread(export, "csv")
    table = {
        name: list(csv.DictReader((out / f"{name}.csv").open())) for name in ("orders", "fills", "trades")
    }
    parquet = (await asyncio.to_thread(export, "parquet")) / "fills.parquet"

    assert {row["order_id"] for row in table["orders"]} == orders.ids
    assert {row["order_id"] for row in table["fills"]} == orders.ids
    assert {row["user_id"] for name in table for row in table[name]} == {orders.trader.id}
    assert sum(Decimal(r["quantity"]) for r in table["fills"]) == sum(
        Decimal(o["filledQuantity"]) for o in orders.filled
    )
    assert len(table["trades"]) == 2
    assert (out / "equity.csv").read_text().startswith("user_id,at,cash,positions_value,equity")
    assert pq.read_table(parquet).num_rows == len(table["fills"])


def test_export_refuses_a_range_that_ends_before_it_starts(stack: Stack) -> None:
    env = {"PATH": "/usr/bin:/bin", "TP_DATABASE_URL": stack.database_url}
    command = [sys.executable, "-m", "tradeplane.cli", "export", "--all"]
    command += ["--from", "2026-12-02", "--to", "2026-12-01"]
    done = subprocess.run(command, env=env, cwd=REPO_ROOT, capture_output=True, text=True, timeout=60)

    assert done.returncode == 2 and "--to must be after --from" in done.stderr
