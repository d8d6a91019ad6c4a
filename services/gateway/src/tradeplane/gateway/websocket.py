"""Live updates over one WebSocket: `GET /api/ws` (seeds/004), the same per-user JetStream feeds as the
SSE channels (`stream.feed`), several channels on one connection.

Client → server (JSON text frames):
- `{"type": "auth", "token": "<access token>"}`: needed first unless the handshake carried the session
  cookie or an `Authorization: Bearer` header; sent again with a renewed token, it keeps the connection
  open past the first token's expiry (else the error `TOKEN_EXPIRED` and close 4401 at that moment).
- `{"type": "subscribe", "channel": "orders", "params": {"lastEventId": 41}}`: `lastEventId` (optional)
  resumes right after an event already seen; without it the feed starts now.
- `{"type": "unsubscribe", "channel": "orders"}`, `{"type": "ping"}`.
A client may send `TP_RATE_LIMIT_WS_MESSAGES_PER_SECOND` messages a second (10, seeds/004); each one
beyond is answered with the error `RATE_LIMITED` and not acted on.

Server → client: `{"type": "update", "channel", "event", "id", "data", "timestamp"}` (the first update of
a subscription is `event: "ready"` with `data.lastEventId`), `{"type": "pong", ...}`, and
`{"type": "error", "channel", "data": {"code", "message"}, "timestamp"}`. A feed that ends (NATS went
away) sends the error `STREAM_ENDED`: subscribe again with the last id seen, nothing is missed.
A connection authenticated by the cookie must come from a page of this site (its Origin).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit
from uuid import UUID, uuid4

import orjson
from fastapi import APIRouter, WebSocket, WebSocketDisconnect
from limits import RateLimitItemPerSecond
from limits.aio.storage import MemoryStorage
from limits.aio.strategies import MovingWindowRateLimiter

from .auth.principal import Principal
from .context import Gateway
from .deps import ACCESS_COOKIE, authenticate
from .envelope import ApiError, timestamp
from .stream import UNAVAILABLE, Channel, Event, channel_of, feed, resume_after

log = logging.getLogger(__name__)
router = APIRouter()

AUTH_SECONDS = 10.0
"""How long a connection without credentials in its handshake has to send its `auth` message."""
MAX_MESSAGE_BYTES = 4096
MAX_SUBSCRIPTIONS = 10
UNAUTHORIZED_CLOSE = 4401
"""Close code for a connection that never authenticated (or whose session is not valid)."""
POLICY_CLOSE = 1008

_MESSAGES = MovingWindowRateLimiter(MemoryStorage())
"""Client messages per connection: a connection lives in one process, so its count does too."""


def _message(kind: str, channel: str | None, data: Any, **more: Any) -> bytes:
    return orjson.dumps({"type": kind, "channel": channel, "data": data, **more, "timestamp": timestamp()})


def error(channel: str | None, code: str, message: str) -> bytes:
    return _message("error", channel, {"code": code, "message": message})


def update(channel: str, event: Event) -> bytes:
    return _message("update", channel, event.data, event=event.type, id=event.id)


def parse(raw: str | bytes) -> dict[str, Any]:
    """A client message: a JSON object with a string `type`; ApiError (400) for anything else."""
    if len(raw) > MAX_MESSAGE_BYTES:
        raise ApiError(400, "MESSAGE_TOO_LARGE", f"messages are limited to {MAX_MESSAGE_BYTES} bytes")
    try:
        message = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise ApiError(400, "BAD_MESSAGE", "send a JSON object") from exc
    if not isinstance(message, dict) or not isinstance(message.get("type"), str):
        raise ApiError(400, "BAD_MESSAGE", 'send a JSON object with a "type"')
    return message


def resume_point(params: Any) -> int | None:
    """`params.lastEventId` (a number or its text) as the sequence to resume after."""
    if params is None:
        return None
    if not isinstance(params, Mapping):
        raise ApiError(400, "BAD_MESSAGE", "params must be an object")
    last = params.get("lastEventId")
    if last is None or isinstance(last, bool):
        return None
    return resume_after(str(last))


def _same_site(ws: WebSocket) -> bool:
    origin = ws.headers.get("origin")
    return origin is None or urlsplit(origin).netloc == ws.headers.get("host")


class Connection:
    """One WebSocket: its subscriptions (a task per channel reading its feed) and one sender, so
    frames from several feeds never interleave."""

    def __init__(self, ws: WebSocket, gw: Gateway) -> None:
        self.ws = ws
        self.gw = gw
        self.user: Principal | None = None
        self.outbox: asyncio.Queue[bytes] = asyncio.Queue(maxsize=1000)
        self.feeds: dict[str, asyncio.Task[None]] = {}
        self.key = str(uuid4())
        self.per_second = RateLimitItemPerSecond(gw.settings.rate_limit_ws_messages_per_second)

    async def within_limit(self) -> bool:
        """Whether this client message fits the per-second limit (it counts when it does)."""
        return await _MESSAGES.hit(self.per_second, "ws", self.key)

    async def send(self, frame: bytes) -> None:
        await self.outbox.put(frame)

    async def sender(self) -> None:
        while True:
            frame = await self.outbox.get()
            try:
                await self.ws.send_text(frame.decode())
            finally:
                self.outbox.task_done()

    async def handshake_user(self) -> Principal | None:
        header = self.ws.headers.get("authorization", "")
        if header.lower().startswith("bearer "):
            return await authenticate(self.gw, header[7:].strip())
        cookie = self.ws.cookies.get(ACCESS_COOKIE)
        if cookie:
            if not _same_site(self.ws):
                raise ApiError(403, "CROSS_SITE", "a connection from another site was refused")
            return await authenticate(self.gw, cookie)
        return None

    async def handle(self, message: dict[str, Any]) -> None:
        kind = message["type"]
        channel = message.get("channel")
        if kind == "ping":
            await self.send(_message("pong", None, message.get("data")))
        elif kind == "auth":
            fresh = await authenticate(self.gw, str(message.get("token") or ""))
            if self.user is not None and fresh.id != self.user.id:
                raise ApiError(403, "FORBIDDEN", "a connection stays with the user it started with")
            self.user = fresh  # a renewed token extends the connection
        elif self.user is None:
            raise ApiError(401, "UNAUTHORIZED", 'authenticate first: {"type": "auth", "token": "..."}')
        elif kind == "subscribe":
            await self.subscribe(str(channel), resume_point(message.get("params")))
        elif kind == "unsubscribe":
            task = self.feeds.pop(str(channel), None)
            if task is not None:
                task.cancel()
        else:
            raise ApiError(400, "UNKNOWN_TYPE", "type is one of auth, subscribe, unsubscribe, ping")

    async def subscribe(self, name: str, after: int | None) -> None:
        spec = channel_of(name)
        if self.user is None:
            raise ApiError(401, "UNAUTHORIZED", "authenticate first")
        if name not in self.feeds and len(self.feeds) >= MAX_SUBSCRIPTIONS:
            raise ApiError(400, "TOO_MANY_SUBSCRIPTIONS", f"at most {MAX_SUBSCRIPTIONS} channels")
        previous = self.feeds.pop(name, None)
        if previous is not None:  # subscribing again restarts the channel (e.g. from a new lastEventId)
            previous.cancel()
        self.feeds[name] = asyncio.create_task(self._pump(name, self.user.id, spec, after))

    async def _pump(self, name: str, user_id: UUID, spec: Channel, after: int | None) -> None:
        try:
            async for event in feed(self.gw, spec, user_id, after):
                if event is not None:
                    await self.send(update(name, event))
        except UNAVAILABLE:
            await self.send(error(name, "SERVICE_UNAVAILABLE", "live updates are unavailable; try again"))
            return
        await self.send(error(name, "STREAM_ENDED", "the feed ended; subscribe again with lastEventId"))

    async def close(self) -> None:
        for task in self.feeds.values():
            task.cancel()
        for task in self.feeds.values():
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task


@router.websocket("/api/ws")
async def live(ws: WebSocket) -> None:
    gw: Gateway = ws.app.state.gateway
    connection = Connection(ws, gw)
    await ws.accept()
    try:
        connection.user = await connection.handshake_user()
    except ApiError as exc:
        await ws.send_text(error(None, exc.code, exc.message).decode())
        await ws.close(UNAUTHORIZED_CLOSE if exc.status == 401 else POLICY_CLOSE)
        return
    sender = asyncio.create_task(connection.sender())
    try:
        await _receive(ws, connection)
    except WebSocketDisconnect:
        pass
    finally:
        await connection.close()
        await asyncio.sleep(0)  # let the sender write what the feeds queued before it stops
        sender.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await sender


async def _receive(ws: WebSocket, connection: Connection) -> None:
    while True:
        user = connection.user
        wait = AUTH_SECONDS if user is None else (user.expires_at - datetime.now(UTC)).total_seconds()
        try:
            received = await asyncio.wait_for(ws.receive(), max(wait, 0.0))
        except TimeoutError:
            if user is None:
                await connection.send(error(None, "UNAUTHORIZED", "no credentials: send an auth message"))
            else:
                await connection.send(error(None, "TOKEN_EXPIRED", "the access token expired: reconnect"))
            await _drain_and_close(ws, connection, UNAUTHORIZED_CLOSE)
            return
        if received["type"] == "websocket.disconnect":
            raise WebSocketDisconnect(received.get("code", 1000))
        raw: str | bytes = received.get("text") or received.get("bytes") or b""
        if not await connection.within_limit():
            limit = connection.per_second.amount
            await connection.send(error(None, "RATE_LIMITED", f"at most {limit} messages a second"))
            continue
        try:
            message = parse(raw)
            await connection.handle(message)
        except ApiError as exc:
            channel = None
            with contextlib.suppress(Exception):
                channel = orjson.loads(raw).get("channel")
            await connection.send(error(channel if isinstance(channel, str) else None, exc.code, exc.message))
            if exc.status == 401:
                await _drain_and_close(ws, connection, UNAUTHORIZED_CLOSE)
                return


async def _drain_and_close(ws: WebSocket, connection: Connection, code: int) -> None:
    """Close once the sender wrote what is queued (the error saying why)."""
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(connection.outbox.join(), AUTH_SECONDS)
    await ws.close(code)
