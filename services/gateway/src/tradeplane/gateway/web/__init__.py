"""The web dashboard: server-rendered pages (Jinja2 + htmx) at `/`, over the same functions as the API."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from . import pages
from .render import STATIC


def install(app: FastAPI) -> None:
    """Serve the pages at `/` and their assets at `/static` (everything vendored: nothing from a CDN)."""
    pages.install(app)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
