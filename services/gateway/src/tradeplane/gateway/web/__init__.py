"""The web dashboard: server-rendered pages (Jinja2 + htmx) at `/`, over the same functions as the API."""

from __future__ import annotations

import html

import orjson
from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, Response
from fastapi.staticfiles import StaticFiles

from . import backtest_pages, bot_pages, pages
from .render import STATIC

PAGE_MODULES = (pages, bot_pages, backtest_pages)
"""The modules whose routes are the pages (bot_pages and backtest_pages add theirs to `pages.router`)."""

SWAGGER = "/static/vendor/swagger-ui"


def install(app: FastAPI) -> None:
    """Serve the pages at `/` and their assets at `/static` (everything vendored: nothing from a CDN),
    and Swagger UI from the same vendored files."""
    pages.install(app)
    app.add_api_route("/manifest.webmanifest", manifest, include_in_schema=False)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    _vendored_docs(app)


THEME_COLOR = "#1e3a8a"
MANIFEST = {
    "name": "Tradeplane",
    "short_name": "Tradeplane",
    "description": "Trading dashboard: portfolio, bots, orders, venues, live.",
    "id": "/",
    "start_url": "/",
    "scope": "/",
    "display": "standalone",
    "orientation": "any",
    "theme_color": THEME_COLOR,
    "background_color": "#f5f7fb",
    "icons": [
        {"src": "/static/icons/icon.svg", "sizes": "any", "type": "image/svg+xml", "purpose": "any"},
        {
            "src": "/static/icons/icon-192.png",
            "sizes": "192x192",
            "type": "image/png",
            "purpose": "any maskable",
        },
        {
            "src": "/static/icons/icon-512.png",
            "sizes": "512x512",
            "type": "image/png",
            "purpose": "any maskable",
        },
    ],
}
"""The web app manifest: the dashboard installs on a phone's home screen (the PNG icons are the SVG
drawn at 192 and 512 px; the line stays inside the maskable safe zone)."""


async def manifest(request: Request) -> Response:
    return Response(
        orjson.dumps(MANIFEST),
        media_type="application/manifest+json",
        headers={"Cache-Control": "public, max-age=3600"},
    )


def _vendored_docs(app: FastAPI) -> None:
    """FastAPI's Swagger UI page loads its script from a CDN and starts it inline: this one loads
    everything from `/static` (the CSP allows no inline script), and has no OAuth2 redirect page."""
    docs_url, openapi_url = app.docs_url, app.openapi_url
    if not docs_url or not openapi_url:
        return
    dropped = {docs_url, app.swagger_ui_oauth2_redirect_url}
    app.router.routes[:] = [r for r in app.router.routes if getattr(r, "path", None) not in dropped]
    page = SWAGGER_PAGE.format(
        title=html.escape(f"{app.title} - Swagger UI"), base=SWAGGER, openapi=html.escape(openapi_url)
    )

    async def docs(request: Request) -> HTMLResponse:
        return HTMLResponse(page)

    app.add_api_route(docs_url, docs, include_in_schema=False)


SWAGGER_PAGE = """<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>{title}</title>
  <link rel="stylesheet" href="{base}/swagger-ui.css">
  <link rel="icon" href="{base}/favicon-32x32.png">
</head>
<body>
  <div id="swagger-ui" data-openapi-url="{openapi}"></div>
  <script src="{base}/swagger-ui-bundle.js"></script>
  <script src="/static/swagger-init.js"></script>
</body>
</html>
"""
