"""Every state-changing request through the gateway, in the audit log: method, route template, actor,
client IP, user agent and the status it got (never the body: passwords and secrets stay out).

The entry is recorded after the answer is sent, off the request's path: a queue that one task drains
into the outbox in batches (one transaction per batch), so a burst of orders costs one insert per
batch, not one per order. Entries still queued when the process is killed (not stopped) are lost.
"""

from __future__ import annotations

import asyncio
import logging
from contextlib import suppress
from typing import Any

from starlette.datastructures import Headers
from starlette.routing import Match
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from tradeplane.runtime import Outbox
from tradeplane.runtime.periodic import cancel_all

from .audit import audit
from .auth.tokens import AccessTokens, TokenError
from .deps import ACCESS_COOKIE
from .edge import UNSAFE, client_ip, cookie_value

log = logging.getLogger(__name__)

ACTION = "http.request"
ANONYMOUS = "anonymous"
BATCH = 200
QUEUE = 10_000
STOP_WAITS = 100


class Recorder:
    """Audit entries of requests, written to the outbox in batches by one background task."""

    def __init__(self, outbox: Outbox) -> None:
        self.outbox = outbox
        self.queue: asyncio.Queue[dict[str, Any]] = asyncio.Queue(QUEUE)
        self._task: asyncio.Task[None] | None = None
        self._busy = False

    def start(self) -> None:
        self._task = asyncio.create_task(self._drain(), name="audit-trail")

    async def stop(self) -> None:
        """Write what is queued, then stop."""
        if self._task is not None:
            for _ in range(STOP_WAITS):  # let the drain finish what it holds, then stop it between batches
                if self.queue.empty() and not self._busy:
                    break
                await asyncio.sleep(0.05)
            await cancel_all([self._task])
            self._task = None
        while not self.queue.empty():
            await self._write(self._take())

    async def record(self, entry: dict[str, Any]) -> None:
        await self.queue.put(entry)

    def _take(self) -> list[dict[str, Any]]:
        batch: list[dict[str, Any]] = []
        while not self.queue.empty() and len(batch) < BATCH:
            batch.append(self.queue.get_nowait())
        return batch

    async def _drain(self) -> None:
        while True:
            first = await self.queue.get()
            batch = [first, *self._take()]
            self._busy = True
            try:
                await self._write(batch)
            except asyncio.CancelledError:
                for entry in batch:  # stop() writes them
                    with suppress(asyncio.QueueFull):
                        self.queue.put_nowait(entry)
                raise
            except Exception:
                log.exception("could not record request audit entries; retrying", extra={"n": len(batch)})
                for entry in batch:
                    with suppress(asyncio.QueueFull):
                        self.queue.put_nowait(entry)
                await asyncio.sleep(1)
            finally:
                self._busy = False

    async def _write(self, batch: list[dict[str, Any]]) -> None:
        if not batch:
            return
        async with self.outbox.transaction() as tx:
            for entry in batch:
                details = {k: v for k, v in entry.items() if k != "actor"}
                tx.emit(*audit(str(entry["actor"]), ACTION, str(entry["route"]), **details))


class AuditTrail:
    """ASGI middleware: after each POST, PUT, PATCH or DELETE is answered, queue its audit entry."""

    def __init__(self, app: ASGIApp, recorder: Recorder, tokens: AccessTokens) -> None:
        self.app = app
        self.recorder = recorder
        self.tokens = tokens

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] not in UNSAFE:
            await self.app(scope, receive, send)
            return
        status = 500

        async def watch(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, watch)
        finally:
            headers = Headers(scope=scope)
            await self.recorder.record(
                {
                    "actor": self._actor(headers),
                    "method": scope["method"],
                    "route": _route(scope),
                    "status": status,
                    "ip": client_ip(scope),
                    "userAgent": headers.get("user-agent", "")[:300],
                }
            )

    def _actor(self, headers: Headers) -> str:
        """The user id the request's token names (bearer header, else cookie), checked by signature
        only: a revoked session's request is refused by the route and recorded under its user."""
        bearer = headers.get("authorization", "")
        if bearer.lower().startswith("bearer "):
            token: str | None = bearer[7:]
        else:
            token = cookie_value(headers.get("cookie", ""), ACCESS_COOKIE)
        if not token:
            return ANONYMOUS
        try:
            return str(self.tokens.decode(token).user_id)
        except TokenError:
            return ANONYMOUS


def _route(scope: Scope) -> str:
    """The route template (`/api/orders/{order_id}`), never the raw path (ids, junk from scanners)."""
    route = scope.get("route")
    if route is not None and getattr(route, "path", None):
        return str(route.path)
    app = scope.get("app")
    for candidate in getattr(getattr(app, "router", None), "routes", ()):
        match, _ = candidate.matches(scope)
        if match is Match.FULL:
            return str(getattr(candidate, "path", "unmatched"))
    return "unmatched"
