"""Which processes a stack runs, on which ports, with which partitions and environment."""

from __future__ import annotations

import pytest
from tradeplane.cli import devsecrets
from tradeplane.cli.services import (
    SERVICES,
    format_partitions,
    owned_partitions,
    service_specs,
    settings_ports,
)
from tradeplane.cli.settings import StackSettings


def test_executors_split_partitions_disjointly_and_completely() -> None:
    owned = [owned_partitions(i, 3, 16) for i in range(3)]

    assert sorted(p for part in owned for p in part) == list(range(16))


def test_executor_ordinal_owns_partitions_congruent_to_it() -> None:
    assert owned_partitions(1, 4, 16) == [1, 5, 9, 13]


def test_contiguous_partitions_format_as_range() -> None:
    assert format_partitions(list(range(16))) == "0-15"


def test_scattered_partitions_format_as_comma_list() -> None:
    assert format_partitions([1, 5, 9]) == "1,5,9"


def test_specs_follow_start_order_with_gateway_last() -> None:
    specs = service_specs(["gateway", "risk", "pnl"], port_of=lambda _: 1, env={})

    assert [s.name for s in specs] == ["risk", "pnl", "gateway"]


def test_execution_runs_one_process_per_executor_with_its_partitions() -> None:
    specs = service_specs(["execution"], port_of=lambda _: 1, env={}, executors=2, partitions=4)

    assert [(s.name, s.env["TP_EXECUTOR_ID"], s.env["TP_EXECUTOR_PARTITIONS"]) for s in specs] == [
        ("execution-0", "exec-0", "0,2"),
        ("execution-1", "exec-1", "1,3"),
    ]


def test_each_service_gets_its_port_and_the_shared_env() -> None:
    ports = {"risk": 9001, "gateway": 9002}
    specs = service_specs(["risk", "gateway"], port_of=ports.__getitem__, env={"TP_NATS_URL": "nats://x:1"})

    assert [(s.env["TP_HTTP_PORT"], s.env["TP_NATS_URL"], s.ready_url) for s in specs] == [
        ("9001", "nats://x:1", "http://127.0.0.1:9001/readyz"),
        ("9002", "nats://x:1", "http://127.0.0.1:9002/readyz"),
    ]


def test_unknown_service_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown services"):
        service_specs(["gatewy"], port_of=lambda _: 1, env={})


def test_execution_ports_count_up_from_the_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TP_EXECUTION_PORT", "9100")
    port_of = settings_ports(StackSettings())

    assert (port_of("execution-0"), port_of("execution-2")) == (9100, 9102)


def test_default_ports_avoid_the_standard_server_ports(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("NATS_PORT", "NATS_MONITOR_PORT", "POSTGRES_PORT"):
        monkeypatch.delenv(f"TP_{name}", raising=False)
    settings = StackSettings()

    assert {settings.nats_port, settings.nats_monitor_port, settings.postgres_port}.isdisjoint(
        {4222, 8222, 5432}
    )


def test_each_service_gets_only_its_own_nats_password_and_only_execution_its_private_key() -> None:
    secrets = devsecrets.generate()
    specs = service_specs(SERVICES, port_of=lambda _: 1, env=secrets, executors=2)

    for spec in specs:
        passwords = {name for name in spec.env if name.startswith("TP_NATS_PASSWORD_")}
        own = secrets[devsecrets.nats_password_name(spec.kind)]
        assert (spec.env["TP_NATS_USER"], spec.env["TP_NATS_PASSWORD"], passwords) == (spec.kind, own, set())
        assert (devsecrets.EXECUTION_PRIVATE_KEY in spec.env) == (spec.kind == "execution")
    assert {spec.env[devsecrets.EXECUTION_PUBLIC_KEY] for spec in specs} == {
        secrets[devsecrets.EXECUTION_PUBLIC_KEY]
    }


def test_marketdata_starts_before_execution_on_its_own_port(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("TP_MARKETDATA_PORT", "TP_EXECUTION_PORT"):
        monkeypatch.delenv(name, raising=False)
    specs = service_specs(["execution", "marketdata"], port_of=settings_ports(StackSettings()), env={})

    assert [(s.name, s.port) for s in specs] == [("marketdata", 8105), ("execution-0", 8110)]
