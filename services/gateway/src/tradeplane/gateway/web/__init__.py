"""The web dashboard: server-rendered pages (Jinja2 + htmx) at `/`, over the same functions as the API."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse
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
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    _vendored_docs(app)


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
