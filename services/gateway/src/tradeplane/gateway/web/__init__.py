"""The web dashboard: server-rendered pages (Jinja2 + htmx) at `/`, over the same functions as the API."""

from __future__ import annotations

import orjson
from fastapi import FastAPI, Request
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse, Response
from fastapi.staticfiles import StaticFiles

from . import bot_pages, pages
from .render import STATIC

PAGE_MODULES = (pages, bot_pages)
"""The modules whose routes are the pages (bot_pages adds its own to `pages.router`)."""

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
    """FastAPI's Swagger UI page loads its script and style from a CDN: this one, from `/static`."""
    docs_url, openapi_url = app.docs_url, app.openapi_url
    if not docs_url or not openapi_url:
        return
    app.router.routes[:] = [route for route in app.router.routes if getattr(route, "path", None) != docs_url]

    async def docs(request: Request) -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url=openapi_url,
            title=f"{app.title} - Swagger UI",
            swagger_js_url=f"{SWAGGER}/swagger-ui-bundle.js",
            swagger_css_url=f"{SWAGGER}/swagger-ui.css",
            swagger_favicon_url=f"{SWAGGER}/favicon-32x32.png",
            oauth2_redirect_url=app.swagger_ui_oauth2_redirect_url,
            swagger_ui_parameters={"validatorUrl": None},  # no badge from the public validator
        )

    app.add_api_route(docs_url, docs, include_in_schema=False)
