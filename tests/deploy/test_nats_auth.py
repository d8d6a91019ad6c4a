"""NATS in docker-compose and Kubernetes: every service connects as its own user, whose permissions
are the generated `authorization` block (tradeplane.contracts.permissions), never hand-written."""

from __future__ import annotations

from typing import Any

import pytest
import yaml
from tradeplane.contracts import permissions

from tests.deploy.manifests import ROOT, SERVICES, Rendered, env_value, secret_refs

AUTH_CONF = ROOT / "deploy" / "nats" / "auth.conf"
REGENERATE = "regenerate with `tradeplane nats-config > deploy/nats/auth.conf` and copy it into nats.yaml"


@pytest.fixture(scope="module", params=["dev", "prod"])
def rendered(request: pytest.FixtureRequest) -> Rendered:
    return Rendered.of(request.param)


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    return loaded


def test_the_committed_nats_config_is_the_generated_one() -> None:
    assert AUTH_CONF.read_text() == permissions.deployed_config(), REGENERATE


def test_kubernetes_nats_includes_the_generated_config(rendered: Rendered) -> None:
    config = rendered.get("ConfigMap", "nats-config")["data"]

    assert config["auth.conf"] == permissions.deployed_config(), REGENERATE
    assert config["nats.conf"].startswith('include "auth.conf"\n')


def test_kubernetes_nats_reads_every_users_password_from_the_nats_secret(rendered: Rendered) -> None:
    nats = rendered.get("StatefulSet", "nats")

    expected = {("tradeplane-nats", user) for user in permissions.ALL_USERS}
    assert secret_refs(nats) == expected


@pytest.mark.parametrize("name", SERVICES)
def test_each_kubernetes_service_connects_as_its_own_nats_user(rendered: Rendered, name: str) -> None:
    workload = next(w for w in rendered.workloads() if w["metadata"]["name"] == name)
    container = workload["spec"]["template"]["spec"]["containers"][0]

    assert env_value(container, "TP_NATS_USER") == name
    assert {ref for ref in secret_refs(workload) if ref[0] == "tradeplane-nats"} == {
        ("tradeplane-nats", name)
    }


def test_only_kubernetes_execution_reads_the_private_key(rendered: Rendered) -> None:
    readers = [
        w["metadata"]["name"]
        for w in rendered.workloads()
        if ("tradeplane-secrets", "execution-private-key") in secret_refs(w)
    ]

    assert readers == ["execution"]


def test_compose_nats_starts_from_the_generated_config(compose: dict[str, Any]) -> None:
    nats = compose["services"]["nats"]

    assert "./deploy/nats/auth.conf:/etc/nats/auth.conf:ro" in nats["volumes"]
    assert nats["command"][:2] == ["--config", "/etc/nats/auth.conf"]
    assert set(nats["environment"]) == {permissions.password_variable(u) for u in permissions.ALL_USERS}


@pytest.mark.parametrize("name", SERVICES)
def test_each_compose_service_connects_as_its_own_nats_user(compose: dict[str, Any], name: str) -> None:
    env = compose["services"][name]["environment"]

    assert env["TP_NATS_USER"] == name
    assert env["TP_NATS_PASSWORD"].startswith("${" + permissions.password_variable(name) + ":?")


def test_only_compose_execution_gets_the_private_key(compose: dict[str, Any]) -> None:
    readers = [n for n in SERVICES if "TP_EXECUTION_PRIVATE_KEY" in compose["services"][n]["environment"]]

    assert readers == ["execution"]
