"""Live updates: `GET /api/stream/{channel}`, Server-Sent Events fed by JetStream.

Each connection reads its channel's stream through its own ordered (ephemeral) consumer, filtered to the
caller's own subjects, so a user receives only their own events. Every event carries the JetStream
stream sequence as its `id:`; a client that reconnects with `Last-Event-ID` resumes right after it, so it
misses nothing the stream still holds. The first event, `ready`, carries the stream's last sequence at
connect time: a page that reloads its data on `ready` and resumes from there misses nothing either.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Annotated, Any
from uuid import UUID

import nats.errors
import nats.js.errors
import orjson
from fastapi import APIRouter, Header
from fastapi.responses import StreamingResponse
from nats.js.api import ConsumerConfig, DeliverPolicy
from tradeplane.contracts import streams, subjects
from tradeplane.contracts.subjects import PREFIX

from .context import Gateway
from .deps import CurrentUser, Gw
from .envelope import ApiError, EnvelopeRoute

log = logging.getLogger(__name__)

router = APIRouter(prefix="/api/stream", tags=["live"], route_class=EnvelopeRoute, include_in_schema=False)
"""Not in the OpenAPI document: an endless event stream is beyond what it (and its fuzzers) can describe;
docs/api.md "Live updates" does."""

KEEPALIVE_SECONDS = 15.0
"""A comment line this often keeps proxies from closing an idle stream."""
INACTIVE_SECONDS = 30.0
"""The server drops a connection's consumer this long after the gateway stopped reading it."""


def event_type(subject: str) -> str:
    """`tp.order.accepted.3.<user>` → `order.accepted`; `tp.pnl.updated.<user>` → `pnl.updated`."""
    return ".".join(subject.split(".")[1:3])


_ANYONE = UUID(int=0)
ORDER_EVENTS = tuple(
    event_type(build(0, _ANYONE))
    for build in (
        subjects.order_requested,
        subjects.order_approved,
        subjects.order_rejected,
        subjects.order_accepted,
        subjects.order_filled,
        subjects.order_canceled,
        subjects.order_failed,
        subjects.order_cancel,
    )
)
PORTFOLIO_EVENTS = tuple(
    event_type(build(_ANYONE))
    for build in (
        subjects.position_changed,
        subjects.trade_closed,
        subjects.fill_booked,
        subjects.pnl_updated,
    )
)


@dataclass(frozen=True, slots=True)
class Channel:
    stream: streams.StreamSpec
    filter: Callable[[UUID], str]
    """The subject filter of one user's events in the stream."""
    events: tuple[str, ...]
    """The event types it sends (an SSE client listens to each by name)."""


CHANNELS: dict[str, Channel] = {
    # tp.order.<kind>.<partition>.<user_id>
    "orders": Channel(
        streams.ORDERS,
        lambda user_id: f"{PREFIX}.order.*.*.{user_id}",
        ORDER_EVENTS,
    ),
    # tp.position.changed.<user_id>, tp.trade.closed|booked.<user_id>, tp.pnl.updated.<user_id>
    "portfolio": Channel(
        streams.PNL,
        lambda user_id: f"{PREFIX}.*.*.{user_id}",
        PORTFOLIO_EVENTS,
    ),
    # tp.risk.state.<user_id> (risk) and tp.risk.alert.<user_id> (compliance's AlertRaised)
    "alerts": Channel(
        streams.RISK,
        lambda user_id: f"{PREFIX}.risk.*.{user_id}",
        tuple(event_type(build(_ANYONE)) for build in (subjects.risk_state, subjects.alert_raised)),
    ),
    # tp.bot.status.<user_id>, tp.bot.log.<user_id>
    "bots": Channel(
        streams.BOTS,
        lambda user_id: f"{PREFIX}.bot.*.{user_id}",
        tuple(event_type(build(_ANYONE)) for build in (subjects.bot_status, subjects.bot_log)),
    ),
    # tp.market.ticker.<venue>.<symbol>: public prices, the same for everyone
    "market": Channel(
        streams.MARKET, lambda _: subjects.ALL_TICKERS, (event_type(subjects.ticker("paper", "BTC/USDT")),)
    ),
}


def frame(event: str, data: Any, event_id: int | None = None) -> bytes:
    """One SSE event: `id:` (when given), `event:` and one `data:` line of JSON."""
    head = f"id: {event_id}\n" if event_id is not None else ""
    return f"{head}event: {event}\n".encode() + b"data: " + orjson.dumps(data) + b"\n\n"


def resume_after(last_event_id: str | None) -> int | None:
    if last_event_id is None or not last_event_id.strip():
        return None
    text = last_event_id.strip()
    if not text.isdigit() or len(text) > 20:
        raise ApiError(400, "BAD_LAST_EVENT_ID", "Last-Event-ID must be an event id this stream sent")
    return int(text)


@dataclass(frozen=True, slots=True)
class Event:
    """One event of a user's feed: the JetStream stream sequence (resume after it), its type, its JSON."""

    id: int
    type: str
    data: Any


def channel_of(name: str) -> Channel:
    found = CHANNELS.get(name)
    if found is None:
        raise ApiError(404, "UNKNOWN_CHANNEL", f"no channel {name!r}; one of {', '.join(CHANNELS)}")
    return found


async def feed(
    gw: Gateway, channel: Channel, user_id: UUID, after: int | None
) -> AsyncIterator[Event | None]:
    """A user's events of `channel` after stream sequence `after` (None: from now), read through an
    ordered ephemeral consumer filtered to the user's subjects. First `ready` (its id: where the feed
    starts), then each event; None when nothing came for KEEPALIVE_SECONDS. Ends when NATS goes away.
    The SSE route and the WebSocket both read this."""
    js = gw.broker.config.connection_state.stream
    if after is None:  # a new feed starts now; `ready` tells the client where "now" is
        info = await js.stream_info(channel.stream.name)
        after = int(info.state.last_seq)
    config = ConsumerConfig(
        deliver_policy=DeliverPolicy.BY_START_SEQUENCE,
        opt_start_seq=after + 1,
        inactive_threshold=INACTIVE_SECONDS,
    )
    sub = await js.subscribe(
        channel.filter(user_id), stream=channel.stream.name, config=config, ordered_consumer=True
    )
    try:
        yield Event(after, "ready", {"lastEventId": after})
        while True:
            try:
                msg = await sub.next_msg(timeout=KEEPALIVE_SECONDS)
            except nats.errors.TimeoutError:
                yield None
                continue
            except (nats.errors.Error, nats.js.errors.Error) as exc:
                # NATS went away (a restart, the gateway stopping): end the feed; the client resumes
                # after the last id it saw.
                log.info("live stream ended", extra={"reason": type(exc).__name__})
                return
            try:
                data = orjson.loads(msg.data)
            except orjson.JSONDecodeError:
                continue  # not an event of ours (dead-lettered upstream); nothing to show
            yield Event(msg.metadata.sequence.stream, event_type(msg.subject), data)
    finally:
        try:
            await sub.unsubscribe()
        except (nats.errors.Error, nats.js.errors.Error):  # the server drops it after INACTIVE_SECONDS
            log.debug("stream consumer already gone")


UNAVAILABLE = (TimeoutError, nats.errors.Error, nats.js.errors.Error)
"""What opening a feed raises when JetStream cannot be reached."""


async def _frames(events: AsyncIterator[Event | None]) -> AsyncIterator[bytes]:
    async for event in events:
        yield b": keepalive\n\n" if event is None else frame(event.type, event.data, event.id)


@router.get("/{channel}", response_class=StreamingResponse)
async def stream(
    channel: str,
    user: CurrentUser,
    gw: Gw,
    last_event_id: Annotated[str | None, Header(alias="Last-Event-ID")] = None,
) -> StreamingResponse:
    """The caller's live events of a channel (`orders`, `portfolio`, `alerts`, `market`, `bots`) as
    Server-Sent Events; reconnect with `Last-Event-ID` to resume after the last event seen."""
    spec = channel_of(channel)
    after = resume_after(last_event_id)
    events = _frames(feed(gw, spec, user.id, after))
    try:  # fail here (503 envelope), not inside the stream, when JetStream is unreachable
        first = await anext(events)
    except UNAVAILABLE as exc:
        raise ApiError(503, "SERVICE_UNAVAILABLE", "live updates are unavailable; try again") from exc

    async def body() -> AsyncIterator[bytes]:
        yield first
        async for chunk in events:
            yield chunk

    headers = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}
    return StreamingResponse(body(), media_type="text/event-stream", headers=headers)
