"""A cancel sent right after its order wins: place-then-cancel pairs under load, on one executor and on
three, end with no order left open (each cancelled, or filled/rejected where that happened first)."""

from __future__ import annotations

from collections import Counter
from typing import Any

import httpx
import pytest

from tests.support.client import TERMINAL, Api, User, eventually, gather_limited, resting_buy
from tests.support.servers import QUIET_ENV, Stack, run_async

pytestmark = [pytest.mark.integration, pytest.mark.timeout(300)]

PAIRS = 500
TRADERS = 20
CONCURRENCY = 32
WIDE = {"maxOrdersPerMinute": 10000, "maxDailyTrades": 10000}
BUSY_RISK = {"TP_RISK_ORDER_WORKERS": "1"}
"""Risk checks one order at a time, so under load many cancels reach the executor while their orders are
still at risk: the race the users saw, made common."""


async def place_then_cancel(api: Api, trader: User) -> tuple[User, str, int]:
    """`POST /api/orders` (a limit buy far below the market, which would rest), then at once `DELETE`."""
    placed = await api.place(trader, resting_buy(trader.account))
    cancel = await api.http.delete(f"/api/orders/{placed['id']}", headers=trader.headers)
    return trader, placed["id"], cancel.status_code


async def pairs_then_final_orders(stack: Stack) -> tuple[list[tuple[User, str, int]], dict[str, Any]]:
    limits = httpx.Limits(max_connections=CONCURRENCY, max_keepalive_connections=CONCURRENCY)
    async with httpx.AsyncClient(base_url=stack.url("gateway"), timeout=60, limits=limits) as http:
        api = Api(http, stack)
        traders = await gather_limited(8, [api.trader() for _ in range(TRADERS)])
        admin = await api.admin()  # the caps are beyond the platform ceilings a trader may set
        await gather_limited(8, [api.put_limits_as_admin(admin, t, **WIDE) for t in traders])
        pairs = await gather_limited(
            CONCURRENCY, [place_then_cancel(api, traders[i % TRADERS]) for i in range(PAIRS)]
        )

        async def every_order() -> dict[str, Any]:
            batches = await gather_limited(8, [api.orders(t) for t in traders])
            return {o["id"]: o for batch in batches for o in batch}

        final = await eventually(
            every_order, lambda found: all(o["status"] in TERMINAL for o in found.values()), 120
        )
        return pairs, final


@pytest.mark.parametrize("executors", [1, 3])
def test_orders_cancelled_right_after_they_were_placed_never_stay_open(stack: Stack, executors: int) -> None:
    stack.start(executors=executors, env=QUIET_ENV | BUSY_RISK, timeout=180)

    pairs, final = run_async(lambda: pairs_then_final_orders(stack))

    cancels = Counter(code for _, _, code in pairs)
    assert set(cancels) <= {202, 409}, cancels
    statuses = Counter(final[order_id]["status"] for _, order_id, _ in pairs)
    assert len(final) == PAIRS
    assert set(statuses) <= TERMINAL, statuses
    refused = [final[order_id] for _, order_id, code in pairs if code == 409]
    assert all(o["status"] in {"Filled", "Rejected"} for o in refused), refused
    assert statuses["Cancelled"] == cancels[202], statuses
