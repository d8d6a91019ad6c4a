"""The Grafana dashboard asks only for metrics the services export, and covers the domain's signals."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from tests.deploy.manifests import ROOT

DEFINITION = re.compile(r"\b(Counter|Histogram|Gauge)\(\s*\"([a-zA-Z_:][a-zA-Z0-9_:]*)\"")
SERIES = re.compile(r"\b((?:tp|tradeplane)_[a-z0-9_]+)\b")
SUFFIXES = {"Counter": ("_total",), "Histogram": ("_bucket", "_count", "_sum"), "Gauge": ("",)}


def _exported() -> set[str]:
    """Series names prometheus_client exposes for every metric defined in the services."""
    names = set()
    for source in ROOT.glob("services/*/src/**/*.py"):
        for kind, name in DEFINITION.findall(source.read_text()):
            base = name.removesuffix("_total") if kind == "Counter" else name
            names |= {base + suffix for suffix in SUFFIXES[kind]}
    return names


@pytest.fixture(scope="module")
def dashboard() -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads((ROOT / "deploy" / "grafana" / "tradeplane.json").read_text())
    return loaded


def _queries(dashboard: dict[str, Any]) -> list[str]:
    return [t["expr"] for p in dashboard["panels"] for t in p.get("targets", [])]


def test_every_queried_series_is_exported_by_a_service(dashboard: dict[str, Any]) -> None:
    queried = {name for expr in _queries(dashboard) for name in SERIES.findall(expr)}

    assert queried - _exported() == set()


@pytest.mark.parametrize(
    "series",
    [
        "tp_execution_orders_total",
        "tp_risk_decision_seconds_bucket",
        "tp_execution_halted",
        "tp_risk_rejections_total",
        "tp_notifier_attempts_total",
        "tp_execution_nonce_errors_total",
    ],
)
def test_dashboard_charts_each_domain_signal(dashboard: dict[str, Any], series: str) -> None:
    assert any(series in expr for expr in _queries(dashboard))


def test_panel_ids_are_unique_and_every_query_uses_the_datasource_variable(dashboard: dict[str, Any]) -> None:
    ids = [p["id"] for p in dashboard["panels"]]
    sources = {t["datasource"]["uid"] for p in dashboard["panels"] for t in p.get("targets", [])}

    assert len(ids) == len(set(ids))
    assert sources == {"${datasource}"}
