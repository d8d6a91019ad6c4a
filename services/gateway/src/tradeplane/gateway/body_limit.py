"""A cap on request body size, answered with the error envelope before the body is read."""

from __future__ import annotations

from starlette.types import ASGIApp, Receive, Scope, Send

from .envelope import error

MAX_BODY_BYTES = 1 << 20


class BodyLimit:
    """Refuses a declared Content-Length above the cap (413), and stops reading a chunked body past it."""

    def __init__(self, app: ASGIApp, max_bytes: int = MAX_BODY_BYTES) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > self.max_bytes):
            response = error(
                413, "PAYLOAD_TOO_LARGE", f"request bodies are limited to {self.max_bytes} bytes"
            )
            await response(scope, receive, send)
            return
        seen = 0

        async def counted() -> dict[str, object]:
            nonlocal seen
            message = await receive()
            seen += len(message.get("body", b""))
            if seen > self.max_bytes:
                # The route then sees a truncated body: a 422 malformed-JSON answer, not unbounded memory.
                return {"type": "http.request", "body": b"", "more_body": False}
            return dict(message)

        await self.app(scope, counted, send)
