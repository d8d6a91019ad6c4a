"""The caller's bots (owned by the bots service): create, change, start/pause/resume/stop, run now, logs,
performance, and the orders they placed (from the gateway's own order view).

The gateway checks a bot's config against its strategy's model before asking the bots service, so a
config that does not fit is a 422 naming the field; errors of the bots service (404 unknown bot or
venue, 409 a bot in the wrong state) pass through unchanged, and 503 when it does not answer.
"""

from __future__ import annotations

from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Query, Response
from tradeplane.contracts.queries import BOTS

from ..adapters import order_view
from ..auth.principal import Principal
from ..bots import BotCreate, BotLogLevel, BotLogOut, BotOut, BotStatus, BotStop, BotUpdate, check_config
from ..context import Gateway
from ..deps import CurrentUser, DbConn, Gw, Pages, Trader
from ..envelope import EnvelopeRoute, from_reply, paged, pagination
from ..proxy import Forwarded, forward, passthrough
from ..schemas import ERRORS, ErrorBody, Ok, OrderOut, Page
from ..views import order_json

router = APIRouter(prefix="/api/bots", tags=["bots"], route_class=EnvelopeRoute, responses=ERRORS)
Bot = Ok[BotOut]
CONFLICT: dict[int | str, dict[str, Any]] = {
    409: {"model": ErrorBody, "description": "the bot's state does not allow this (e.g. BOT_RUNNING)"}
}


def _id(bot_id: UUID) -> dict[str, Any]:
    return {"id": str(bot_id)}


async def _bot(gw: Gateway, user: Principal, bot_id: UUID) -> dict[str, Any] | Response:
    """The caller's bot, or the bots service's error answer (404 for another user's bot) to return."""
    reply = await gw.ask(user.caller, BOTS, "bots.get", _id(bot_id))
    if not reply.ok or not isinstance(reply.data, dict):
        return from_reply(reply)
    return reply.data


@router.post("", status_code=201, response_model=Bot)
async def create_bot(body: BotCreate, user: Trader, gw: Gw) -> Response:
    """Create a bot (Stopped) on one of the caller's venue accounts.

    A config that does not fit the strategy's schema is a 422 naming the field (`config.<field>`).
    """
    check_config(body.strategy, body.config)
    return await forward(gw, user, BOTS, "bots.create", body.params(), 201)


@router.get("", response_model=Page[BotOut])
async def list_bots(user: CurrentUser, gw: Gw, pages: Pages, status: BotStatus | None = None) -> Response:
    """The caller's bots."""
    params: dict[str, Any] = pages.params() | ({"status": status} if status else {})
    return await forward(gw, user, BOTS, "bots.list", params)


@router.get("/{bot_id:uuid}", response_model=Bot)
async def get_bot(bot_id: UUID, user: CurrentUser, gw: Gw) -> Response:
    """One of the caller's bots."""
    return await forward(gw, user, BOTS, "bots.get", _id(bot_id))


@router.put("/{bot_id:uuid}", response_model=Bot, responses=CONFLICT)
async def update_bot(bot_id: UUID, body: BotUpdate, user: Trader, gw: Gw) -> Response:
    """Change a bot's name, config (the whole config), dry run or allocation.

    A running bot takes only the config fields its strategy marks updatable (else 409 BOT_RUNNING).
    """
    if body.config is not None:
        bot = await _bot(gw, user, bot_id)
        if isinstance(bot, Response):
            return bot
        check_config(str(bot.get("strategy")), body.config)
    return await forward(gw, user, BOTS, "bots.update", _id(bot_id) | body.params())


@router.delete("/{bot_id:uuid}", response_model=Ok[dict[str, bool]], responses=CONFLICT)
async def delete_bot(bot_id: UUID, user: Trader, gw: Gw) -> Response:
    """Delete a stopped bot (409 BOT_NOT_STOPPED otherwise)."""
    return await forward(gw, user, BOTS, "bots.delete", _id(bot_id))


@router.post("/{bot_id:uuid}/stop", response_model=Bot, responses=CONFLICT)
async def stop_bot(bot_id: UUID, user: Trader, gw: Gw, body: BotStop | None = None) -> Response:
    """Stop a bot: its open orders are cancelled and its positions kept, unless the body says otherwise."""
    stop = body or BotStop()
    params = _id(bot_id) | stop.model_dump(mode="json", by_alias=True)
    return await forward(gw, user, BOTS, "bots.stop", params)


ACTIONS: dict[str, Forwarded] = {}
"""The bot's endpoints that take no body, by their action (the bot page's buttons call them)."""
for verb, doc in {
    "start": "Start a stopped bot (or one in Error).",
    "pause": "Pause a running bot: it sends no new orders; its resting orders stay.",
    "resume": "Resume a paused bot.",
    "run": "Run the bot once now (the rebalancer's manual rebalance); 409 unless it is Running.",
}.items():
    path, query, name = f"/{{bot_id:uuid}}/{verb}", f"bots.{verb}", f"{verb}_bot"
    ACTIONS[verb] = passthrough(
        router, BOTS, Trader, "POST", path, query, doc, name=name, response_model=Bot, responses=CONFLICT
    )


@router.get("/{bot_id:uuid}/logs", response_model=Page[BotLogOut])
async def bot_logs(
    bot_id: UUID,
    user: CurrentUser,
    gw: Gw,
    pages: Pages,
    level: Annotated[BotLogLevel | None, Query(description="Only entries of this level.")] = None,
) -> Response:
    """The bot's log, newest first: decisions, dry-run plans, orders sent, refusals and errors."""
    params = _id(bot_id) | pages.params() | ({"level": level} if level else {})
    return await forward(gw, user, BOTS, "bots.logs", params)


@router.get("/{bot_id:uuid}/performance", response_model=Ok[dict[str, object]])
async def bot_performance(bot_id: UUID, user: CurrentUser, gw: Gw) -> Response:
    """The bot's PnL: the `/api/pnl` fields, from the fills of this bot's orders alone."""
    return await forward(gw, user, BOTS, "bots.performance", _id(bot_id))


@router.get("/{bot_id:uuid}/orders", response_model=Page[OrderOut])
async def bot_orders(bot_id: UUID, user: CurrentUser, gw: Gw, conn: DbConn, pages: Pages) -> Response:
    """The orders the bot placed, newest first (as `GET /api/orders?botId=`, 404 for an unknown bot)."""
    bot = await _bot(gw, user, bot_id)
    if isinstance(bot, Response):
        return bot
    rows, total = await order_view.page(
        conn, user.id, bot_id=bot_id, offset=pages.offset, limit=pages.page_size
    )
    return paged([order_json(r) for r in rows], pagination(pages.page, pages.page_size, total))
