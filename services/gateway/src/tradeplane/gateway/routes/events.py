"""The platform's event contract for subscribers: the AsyncAPI 3.0 document of every subject the platform
publishes (generated from `tradeplane.contracts.catalog`, the same as the committed docs/asyncapi.yaml)
and a page that renders it with the vendored AsyncAPI renderer (nothing from a CDN). Public, like
`/api/openapi.json`: it describes the contract, not anyone's data."""

from __future__ import annotations

import functools

import orjson
from fastapi import APIRouter, Response
from fastapi.responses import HTMLResponse
from tradeplane.contracts import asyncapi

router = APIRouter(prefix="/api/events", tags=["events"])

RENDERER = "/static/vendor/asyncapi-react"
DOCUMENT = "/api/events/asyncapi.json"
PAGE = f"""<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Tradeplane events - AsyncAPI</title>
<link rel="icon" href="/static/favicon.svg" type="image/svg+xml">
<link rel="stylesheet" href="{RENDERER}/default.min.css">
</head>
<body>
<div id="asyncapi" data-document="{DOCUMENT}">Loading the event catalogue from {DOCUMENT}…</div>
<script src="{RENDERER}/index.js"></script>
<script src="/static/asyncapi.js"></script>
</body>
</html>
"""


@functools.cache
def _document() -> bytes:
    return orjson.dumps(asyncapi.document())


@router.get("/asyncapi.json", summary="The AsyncAPI 3.0 document of every published subject")
async def asyncapi_document() -> Response:
    """Every subject the platform publishes on NATS, with its JSON Schema, the stream that keeps it and
    for how long, its de-duplication key (`Nats-Msg-Id`), ordering and publishing services."""
    return Response(_document(), media_type="application/json")


@router.get("", include_in_schema=False)
async def asyncapi_page() -> HTMLResponse:
    return HTMLResponse(PAGE)
