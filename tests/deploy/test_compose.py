"""docker-compose.yml and the image build, checked by reading them (no Docker engine needed)."""

from __future__ import annotations

import re
from typing import Any

import pytest
import yaml

from tests.deploy.manifests import ROOT, SERVICES

SECRETS = {
    "gateway": {
        "TP_JWT_SECRET",
        "TP_GATEWAY_KEY",
        "TP_ADMIN_PASSWORD",
        "TP_EXECUTION_PUBLIC_KEY",
        "TP_NATS_PASSWORD",
    },
    "execution": {"TP_MASTER_KEY", "TP_EXECUTION_PRIVATE_KEY", "TP_NATS_PASSWORD"},
    "notifier": {"TP_NOTIFIER_KEY", "TP_NATS_PASSWORD"},
    "risk": {"TP_NATS_PASSWORD"},
    "pnl": {"TP_NATS_PASSWORD"},
    "marketdata": {"TP_NATS_PASSWORD"},
    "bots": {"TP_NATS_PASSWORD"},
}
REQUIRED = re.compile(r"\$\{(?P<name>[A-Z0-9_]+):\?[^}]+\}")


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    return loaded


@pytest.fixture(scope="module")
def dockerfile() -> str:
    return (ROOT / "Dockerfile").read_text()


def test_compose_runs_nats_postgres_and_every_service(compose: dict[str, Any]) -> None:
    assert set(compose["services"]) == {"nats", "postgres", *SERVICES}


def test_every_compose_service_has_a_healthcheck(compose: dict[str, Any]) -> None:
    missing = [
        name
        for name, service in compose["services"].items()
        if not service.get("healthcheck", {}).get("test")
    ]

    assert missing == []


@pytest.mark.parametrize("name", SERVICES)
def test_service_healthcheck_asks_readyz_with_python(compose: dict[str, Any], name: str) -> None:
    test = compose["services"][name]["healthcheck"]["test"]

    assert test[:3] == ["CMD", "python", "-c"] and "/readyz" in test[3]


@pytest.mark.parametrize("name", SERVICES)
def test_each_service_runs_its_module_from_the_one_image(compose: dict[str, Any], name: str) -> None:
    service = compose["services"][name]

    assert service["command"] == ["python", "-m", f"tradeplane.{name}"]
    assert service["image"] == "${TP_IMAGE:-tradeplane:latest}"


def test_nats_runs_the_official_image_with_jetstream(compose: dict[str, Any]) -> None:
    nats = compose["services"]["nats"]

    assert nats["image"].startswith("nats:") and "-js" in nats["command"]


@pytest.mark.parametrize("name", SERVICES)
def test_services_wait_for_healthy_nats_and_postgres(compose: dict[str, Any], name: str) -> None:
    depends = compose["services"][name]["depends_on"]

    assert depends["nats"] == depends["postgres"] == {"condition": "service_healthy"}


@pytest.mark.parametrize(("name", "secrets"), SECRETS.items())
def test_secrets_are_required_from_the_environment_never_written_down(
    compose: dict[str, Any], name: str, secrets: set[str]
) -> None:
    env = compose["services"][name]["environment"]

    assert {var: REQUIRED.fullmatch(env[var]) is not None for var in secrets} == dict.fromkeys(secrets, True)


def test_database_password_is_required_from_the_environment(compose: dict[str, Any]) -> None:
    password = compose["services"]["postgres"]["environment"]["POSTGRES_PASSWORD"]

    assert REQUIRED.fullmatch(password)


def test_services_are_configured_only_by_tp_variables(compose: dict[str, Any]) -> None:
    names = {var for name in SERVICES for var in compose["services"][name]["environment"]}

    assert all(var.startswith("TP_") for var in names)


def test_only_the_gateway_publishes_a_port(compose: dict[str, Any]) -> None:
    published = [name for name, service in compose["services"].items() if service.get("ports")]

    assert published == ["gateway"]


def test_image_installs_from_the_lock_without_dev_dependencies(dockerfile: str) -> None:
    assert "uv sync --frozen --no-dev --all-packages --no-editable" in dockerfile


def test_image_runs_as_a_numeric_non_root_user(dockerfile: str) -> None:
    users = re.findall(r"^USER\s+(\S+)", dockerfile, flags=re.MULTILINE)

    assert users and re.fullmatch(r"[1-9]\d*:[1-9]\d*", users[-1])


def test_image_listens_on_all_interfaces_on_the_port_the_manifests_use(dockerfile: str) -> None:
    assert "TP_HTTP_HOST=0.0.0.0" in dockerfile and "TP_HTTP_PORT=8080" in dockerfile


def test_build_context_leaves_out_everything_but_the_workspace() -> None:
    lines = [line for line in (ROOT / ".dockerignore").read_text().splitlines() if line and line[0] != "#"]

    assert lines[0] == "*"
    assert {"!pyproject.toml", "!uv.lock", "!libs", "!services", "!tools", "**/.env"} <= set(lines)
