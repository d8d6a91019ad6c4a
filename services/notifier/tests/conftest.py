"""A real local webhook receiver (uvicorn + starlette on 127.0.0.1, random port) and shared settings."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

import pytest
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse, RedirectResponse, Response
from starlette.routing import Route
from tradeplane.notifier.adapters.settings import DeliverySettings

SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"


@dataclass
class Hit:
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class Receiver:
    base_url: str
    port: int
    hits: list[Hit] = field(default_factory=list)
    release: asyncio.Event = field(default_factory=asyncio.Event)
    fail_first: int = 0

    def url(self, path: str) -> str:
        return f"{self.base_url}{path}"

    def paths(self) -> list[str]:
        return [hit.path for hit in self.hits]


def _app(receiver: Receiver) -> Starlette:
    async def record(request: Request) -> Hit:
        hit = Hit(request.url.path, dict(request.headers), await request.body())
        receiver.hits.append(hit)
        return hit

    async def ok(request: Request) -> Response:
        await record(request)
        return PlainTextResponse("ok")

    async def status(request: Request) -> Response:
        await record(request)
        return PlainTextResponse("status", status_code=int(request.path_params["code"]))

    async def redirect(request: Request) -> Response:
        await record(request)
        return RedirectResponse("/ok", status_code=302)

    async def hang(request: Request) -> Response:
        await record(request)
        await receiver.release.wait()
        return PlainTextResponse("late")

    async def flaky(request: Request) -> Response:
        await record(request)
        failing = sum(1 for hit in receiver.hits if hit.path == "/flaky") <= receiver.fail_first
        return PlainTextResponse("flaky", status_code=503 if failing else 200)

    return Starlette(
        routes=[
            Route("/ok", ok, methods=["POST"]),
            Route("/status/{code:int}", status, methods=["POST"]),
            Route("/redirect", redirect, methods=["POST"]),
            Route("/hang", hang, methods=["POST"]),
            Route("/flaky", flaky, methods=["POST"]),
        ]
    )


@pytest.fixture(scope="module")
async def receiver_server() -> AsyncIterator[Receiver]:
    holder = Receiver(base_url="", port=0)
    config = uvicorn.Config(
        _app(holder), host="127.0.0.1", port=0, lifespan="off", log_level="warning", access_log=False
    )
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    while not server.started:
        if task.done():
            task.result()  # surfaces why the server could not start
        await asyncio.sleep(0.01)
    holder.port = server.servers[0].sockets[0].getsockname()[1]
    holder.base_url = f"http://127.0.0.1:{holder.port}"
    yield holder
    holder.release.set()
    server.should_exit = True
    await task


@pytest.fixture
def receiver(receiver_server: Receiver) -> Receiver:
    """The module's receiver, with nothing recorded yet."""
    receiver_server.hits.clear()
    receiver_server.fail_first = 0
    return receiver_server


@pytest.fixture
def secret() -> str:
    return SECRET


@pytest.fixture
def local_settings() -> DeliverySettings:
    """Settings that let deliveries reach the local plain-http receiver, with a short timeout."""
    return DeliverySettings(timeout_seconds=0.3, allow_http=True, allow_private_targets=True)
