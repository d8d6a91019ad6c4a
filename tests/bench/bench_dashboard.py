"""The dashboard in headless Chromium on the running stack (issue 14's goals: first load < 2 s, an order
event on the bus in the browser < 50 ms). Printed, never asserted; skipped without Chromium or Playwright.

- first load: a fresh browser context (no cache) signed in, from `goto("/")` until the overview's equity
  chart is drawn (`#equity-chart.drawn canvas`);
- bus → browser: each order event's JetStream time (when the server stored it) against the moment the
  page's EventSource (`/api/stream/orders`) and WebSocket (`/api/ws`) delivered it, by its stream
  sequence (the same machine's clock on both sides);
- bus → row: the order's row on the orders page showing Open (the page re-reads its table a moment
  after an event: this includes that pause and that request).
"""

from __future__ import annotations

import asyncio
import shutil
import time
from datetime import datetime
from typing import Any

import httpx

from tests.bench.scenarios import line
from tests.support.client import PASSWORD, connect_paper, eventually_sync, ok, register, resting_buy
from tests.support.natsauth import connect_operator
from tests.support.servers import Stack

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking"]
WAIT_MS = 30_000

LISTEN = """
() => {
  window.__sse = {}; window.__ws = {}; window.__rows = {}; window.__seq = {};
  const now = () => performance.timeOrigin + performance.now();
  const source = new EventSource("/api/stream/orders");
  source.addEventListener("order.accepted", (e) => { window.__sse[e.lastEventId] = now(); });
  const ws = new WebSocket(location.origin.replace("http", "ws") + "/api/ws");
  ws.onopen = () => ws.send(JSON.stringify({type: "subscribe", channel: "orders"}));
  ws.onmessage = (e) => {
    const m = JSON.parse(e.data);
    if (m.type === "update" && m.event === "order.accepted") {
      window.__ws[m.id] = now();
      window.__seq[m.data.order_id] = m.id;
    }
  };
  new MutationObserver(() => {
    document.querySelectorAll("tr[data-order-id][data-status=Open]").forEach((tr) => {
      const id = tr.getAttribute("data-order-id");
      if (!(id in window.__rows)) window.__rows[id] = now();
    });
  }).observe(document.body, {childList: true, subtree: true});
  return new Promise((resolve) => {
    let opened = 0;
    const done = () => { if (++opened === 2) resolve(true); };
    source.addEventListener("ready", done, {once: true});
    ws.addEventListener("message", function first(e) {
      if (JSON.parse(e.data).event === "ready") { ws.removeEventListener("message", first); done(); }
    });
  });
}
"""


def _playwright() -> Any | None:
    try:
        from playwright import sync_api
    except ImportError:
        return None
    return sync_api


ENV = {
    "TP_LOG_LEVEL": "WARNING",
    "TP_FEED_ENABLED": "true",
    "TP_PNL_SNAPSHOT_SECONDS": "1",
    "TP_PNL_ACCOUNT_REFRESH_SECONDS": "1",
}


def run(stack: Stack, quick: bool = False) -> None:
    """Start `stack` (not yet started), measure, stop it."""
    sync_api = _playwright()
    if sync_api is None or shutil.which(CHROMIUM) is None:
        print(f"{'dashboard':<48} skipped (no Playwright or no {CHROMIUM})")
        return
    stack.start(env=ENV, timeout=120)
    try:
        _measure(sync_api, stack, quick)
    finally:
        stack.stop()


def _measure(sync_api: Any, stack: Stack, quick: bool) -> None:
    base = stack.url("gateway")
    with httpx.Client(base_url=base, timeout=30) as api:
        trader = register(api)
        account = connect_paper(api, trader, {"USDT": "100000", "BTC": "1"})
        eventually_sync(  # pnl's first equity snapshot: the overview has a chart to draw
            lambda: ok(api.get("/api/portfolio/history", headers=trader.headers)), bool, timeout=120
        )
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
        try:
            _first_load(browser, base, trader.email, 3 if quick else 10)
            seen = _order_events(browser, base, trader, account, 20 if quick else 100)
        finally:
            browser.close()
    stored = asyncio.run(_stored_at(stack.nats_url, seen["ids"]))
    for name in ("sse", "ws"):
        latencies = [seen[name][str(seq)] - stored[seq] for seq in stored if str(seq) in seen[name]]
        label = "EventSource" if name == "sse" else "WebSocket"
        print(line(f"order event on the bus → browser ({label})", latencies))
    rows = [
        seen["rows"][oid] - stored[seq]
        for oid, seq in seen["seq"].items()
        if oid in seen["rows"] and seq in stored and oid in seen["orders"]
    ]
    print(line("order accepted on the bus → its row shows Open", rows))


def _signed_in(browser: Any, base: str, email: str) -> Any:
    context = browser.new_context(base_url=base, viewport={"width": 1280, "height": 900})
    context.set_default_timeout(WAIT_MS)
    answer = context.request.post("/api/auth/login", data={"email": email, "password": PASSWORD})
    if not answer.ok:
        raise RuntimeError(f"sign in: {answer.status} {answer.text()}")
    return context


def _first_load(browser: Any, base: str, email: str, rounds: int) -> None:
    samples = []
    for _ in range(rounds):
        context = _signed_in(browser, base, email)  # a new context: nothing cached
        page = context.new_page()
        started = time.perf_counter()
        page.goto("/")
        page.wait_for_selector("#equity-chart.drawn canvas", state="attached")
        samples.append((time.perf_counter() - started) * 1000)
        context.close()
    print(line(f"dashboard first load → overview chart drawn ({rounds} cold)", samples))


def _order_events(browser: Any, base: str, trader: Any, account: str, count: int) -> dict[str, Any]:
    context = _signed_in(browser, base, trader.email)
    page = context.new_page()
    page.goto("/orders")
    page.wait_for_selector("html[data-live-orders=ready]", state="attached")
    page.evaluate(LISTEN)
    orders: dict[str, int] = {}
    with httpx.Client(base_url=base, timeout=30) as api:
        for _ in range(count):
            order = ok(api.post("/api/orders", json=resting_buy(account), headers=trader.headers))["order"]
            orders[order["id"]] = 0
            page.wait_for_function(
                "(n) => Object.keys(window.__sse).length >= n && Object.keys(window.__ws).length >= n",
                arg=len(orders),
            )
            time.sleep(0.05)  # one order at a time: each measured alone
    page.wait_for_function("(n) => Object.keys(window.__rows).length >= n", arg=len(orders))
    seen: dict[str, Any] = page.evaluate(
        "({sse: window.__sse, ws: window.__ws, rows: window.__rows, seq: window.__seq})"
    )
    context.close()
    ids = sorted(int(seq) for seq in seen["sse"])
    seen["ids"] = ids
    seen["orders"] = orders
    return seen


async def _stored_at(nats_url: str, sequences: list[int]) -> dict[int, float]:
    """When JetStream stored each order event (ms since the epoch), by its stream sequence."""
    nc = await connect_operator(nats_url)
    try:
        js = nc.jetstream()
        stored = {}
        for seq in sequences:
            msg = await js.get_msg("TP_ORDERS", seq)
            if isinstance(msg.time, datetime):
                stored[seq] = msg.time.timestamp() * 1000
        return stored
    finally:
        await nc.close()
