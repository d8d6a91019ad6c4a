"""`/api/events`: the platform's AsyncAPI document as the contracts generate it, and a page that renders
it from the vendored renderer only."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient
from tradeplane.contracts import asyncapi


def test_the_asyncapi_document_is_the_contracts_own(client: TestClient) -> None:
    answer = client.get("/api/events/asyncapi.json")

    assert answer.status_code == 200 and answer.headers["content-type"] == "application/json"
    assert answer.json() == asyncapi.document()
    assert answer.json()["asyncapi"] == "3.0.0"


def test_the_asyncapi_page_loads_only_the_vendored_renderer(client: TestClient) -> None:
    page = client.get("/api/events")

    assert page.status_code == 200
    loaded = re.findall(r"""(?:src|href)=['"]([^'"]+)['"]""", page.text)
    assert "/static/vendor/asyncapi-react/index.js" in loaded
    assert all(url.startswith("/static/") for url in loaded), loaded
    assert "<script>" not in page.text  # no inline script: the page runs /static/asyncapi.js
    for asset in ("vendor/asyncapi-react/index.js", "vendor/asyncapi-react/default.min.css", "asyncapi.js"):
        assert client.get(f"/static/{asset}").status_code == 200, asset
