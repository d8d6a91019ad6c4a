"""Equity unknown on real risk and pnl processes: when pnl cannot read a new account's balances it
publishes no made-up equity, and risk refuses increasing orders with EQUITY_UNKNOWN (never MAX_POSITION
against 0) until pnl reads them."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import pytest
from tradeplane.contracts import OrderApproved, PnlUpdated, RejectCode, Side, subjects

from tests.integration.test_pnl_service import FakeExecution
from tests.integration.test_risk_service import PARTITIONS, Trader, next_message
from tests.support import natsauth
from tests.support.servers import Stack, running_stack

pytestmark = pytest.mark.integration

ENV = {
    "TP_PNL_EXECUTION_TIMEOUT_SECONDS": "0.3",
    "TP_PNL_BASELINE_RETRY_SECONDS": "0.5",
    "TP_PNL_LEADER_CHECK_SECONDS": "0.5",
    "TP_RISK_EQUITY_TIMEOUT_SECONDS": "5",
}
"""No execution service: pnl's balance reads time out quickly and are retried often; risk waits for pnl."""
BALANCES = {"USDT": {"free": "100000", "used": "0", "total": "100000"}}


@pytest.fixture(scope="module")
def stack(postgres_server_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    workdir = tmp_path_factory.mktemp("equity-unknown")
    with running_stack(
        workdir, postgres_server_url, ["risk", "pnl"], partitions=PARTITIONS, env=ENV
    ) as running:
        yield running


@pytest.fixture
async def trader(stack: Stack) -> AsyncIterator[Trader]:
    nc = await natsauth.connect_operator(stack.nats_url)
    try:
        yield await Trader(nc).listen()
    finally:
        await nc.close()


async def test_pnl_publishes_no_equity_for_unread_balances_and_risk_refuses_equity_unknown(
    trader: Trader,
) -> None:
    updates = await trader.nc.subscribe(subjects.pnl_updated(trader.user_id))
    await trader.fill(Side.BUY, "0.01", fee="0.5")
    update: PnlUpdated = await next_message(updates, PnlUpdated)
    await trader.wait_state(lambda s: s["dailyPnl"] == "-0.5")  # risk has applied pnl's update

    increasing = await trader.rejected_with(Side.BUY, "0.001")
    reducing = await trader.order(Side.SELL, "0.005")

    assert (update.equity, update.meta.schema_version) == (None, 2)
    assert increasing is RejectCode.EQUITY_UNKNOWN
    assert isinstance(reducing, OrderApproved)


async def test_position_cap_applies_again_once_pnl_reads_the_balances(trader: Trader) -> None:
    await trader.fill(Side.BUY, "0.01", fee="0.5")
    await trader.wait_state(lambda s: s["dailyPnl"] == "-0.5")
    async with FakeExecution(trader, BALANCES):  # type: ignore[arg-type]
        await trader.wait_state(lambda s: s["equity"] is not None)

    assert isinstance(await trader.order(Side.BUY, "0.001"), OrderApproved)
    assert await trader.rejected_with(Side.BUY, "0.2") is RejectCode.MAX_POSITION
