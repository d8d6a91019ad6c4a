"""A local webhook receiver: a Starlette app served by uvicorn on 127.0.0.1 (a free port) in its own
thread."""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import pytest
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route


@dataclass(frozen=True)
class Delivery:
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class WebhookReceiver:
    """Answers 200 to every POST and keeps what it got; its own loop, so a busy test never stalls it."""

    received: list[Delivery] = field(default_factory=list)
    port: int = 0
    _server: uvicorn.Server | None = None
    _thread: threading.Thread | None = None

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}/{path}"

    def at(self, path: str) -> list[Delivery]:
        return [d for d in list(self.received) if d.path == path]

    def types(self, path: str) -> list[str]:
        """The `type` of each body received at `path`, in arrival order."""
        return [json.loads(d.body)["type"] for d in self.at(path)]

    async def _receive(self, request: Request) -> Response:
        self.received.append(
            Delivery(request.path_params["path"], dict(request.headers), await request.body())
        )
        return PlainTextResponse("ok")

    def start(self) -> WebhookReceiver:
        app = Starlette(routes=[Route("/{path}", self._receive, methods=["POST"])])
        config = uvicorn.Config(app, host="127.0.0.1", port=0, lifespan="off", log_level="warning")
        server = self._server = uvicorn.Server(config)
        started = threading.Event()

        async def serve() -> None:
            task = asyncio.create_task(server.serve())
            while True:  # uvicorn offers no event for "listening"
                if server.started or task.done():
                    break
                await asyncio.sleep(0.01)
            if server.started:
                self.port = server.servers[0].sockets[0].getsockname()[1]
            started.set()
            await task

        self._thread = threading.Thread(target=asyncio.run, args=(serve(),), daemon=True)
        self._thread.start()
        if not started.wait(10) or not self.port:
            raise RuntimeError("the webhook receiver did not start")
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(10)


def receiver_fixture() -> Callable[[], Iterator[WebhookReceiver]]:
    """A module-scoped `receiver` fixture: one receiver for all of a module's tests."""

    @pytest.fixture(scope="module")
    def receiver() -> Iterator[WebhookReceiver]:
        server = WebhookReceiver().start()
        yield server
        server.stop()

    return receiver
