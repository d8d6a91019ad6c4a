"""The Kubernetes overlays render to valid, hardened objects that fit together (no cluster needed)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import kubernetes_validate
import pytest

from tests.deploy.kustomize import Obj, pod_spec
from tests.deploy.manifests import OVERLAYS, SERVICES, Rendered, env_value, secret_refs, selects

K8S_VERSION = "1.33"
IMAGES = {"dev": "tradeplane:dev", "prod": "ghcr.io/your-org/tradeplane:0.1.0"}
CUSTOM_KINDS = {("postgresql.cnpg.io/v1", "Cluster")}
EXTERNAL_SECRETS = {"prod": {"tradeplane-secrets", "tradeplane-db-app", "tradeplane-nats"}, "dev": set()}


@pytest.fixture(scope="module", params=OVERLAYS)
def rendered(request: pytest.FixtureRequest) -> Rendered:
    return Rendered.of(request.param)


@pytest.fixture(scope="module")
def prod() -> Rendered:
    return Rendered.of("prod")


def _service_containers(rendered: Rendered) -> list[tuple[str, Obj]]:
    return [(w["metadata"]["name"], c) for w, c in rendered.containers() if w["metadata"]["name"] in SERVICES]


def test_every_object_matches_the_kubernetes_schema_strictly(rendered: Rendered) -> None:
    invalid = []
    for obj in rendered.objects:
        if (obj["apiVersion"], obj["kind"]) in CUSTOM_KINDS:
            continue
        try:
            kubernetes_validate.validate(obj, K8S_VERSION, strict=True)
        except kubernetes_validate.ValidationError as exc:
            invalid.append(f"{obj['kind']}/{obj['metadata']['name']}: {exc.message} at {list(exc.path)}")

    assert invalid == []


def test_objects_without_a_kubernetes_schema_are_known_custom_resources(rendered: Rendered) -> None:
    unknown = []
    for obj in rendered.objects:
        try:
            kubernetes_validate.validate(obj, K8S_VERSION, strict=True)
        except kubernetes_validate.SchemaNotFoundError:
            unknown.append((obj["apiVersion"], obj["kind"]))
        except kubernetes_validate.ValidationError:
            pass

    assert set(unknown) <= CUSTOM_KINDS


def test_prod_database_is_a_replicated_cloudnativepg_cluster_owned_by_the_app_user(prod: Rendered) -> None:
    cluster = prod.get("Cluster", "tradeplane-db")
    spec = cluster["spec"]

    assert cluster["apiVersion"] == "postgresql.cnpg.io/v1"
    assert spec["instances"] >= 3
    assert re.fullmatch(r"\d+(Gi|Ti)", spec["storage"]["size"])
    assert spec["bootstrap"]["initdb"] == {"database": "tradeplane", "owner": "tradeplane"}


def test_services_read_the_database_url_from_the_secret_cloudnativepg_creates(prod: Rendered) -> None:
    app_secret = f"{prod.get('Cluster', 'tradeplane-db')['metadata']['name']}-app"
    for name in SERVICES:
        workload = next(w for w in prod.workloads() if w["metadata"]["name"] == name)

        assert (app_secret, "uri") in secret_refs(workload), name


def test_every_namespaced_object_lands_in_the_overlay_namespace(rendered: Rendered) -> None:
    stray = [
        f"{o['kind']}/{o['metadata']['name']}"
        for o in rendered.objects
        if o["kind"] != "Namespace" and o["metadata"].get("namespace") != rendered.namespace
    ]

    assert stray == []


def test_every_service_runs_as_a_workload_with_the_overlay_image(rendered: Rendered) -> None:
    images = {name: c["image"] for name, c in _service_containers(rendered)}

    assert images == dict.fromkeys(SERVICES, IMAGES[rendered.overlay])


def test_execution_is_a_stateful_set_and_the_other_services_deployments(rendered: Rendered) -> None:
    kinds = {w["metadata"]["name"]: w["kind"] for w in rendered.workloads()}

    assert {name: kinds.get(name) for name in SERVICES} == {
        "gateway": "Deployment",
        "risk": "Deployment",
        "pnl": "Deployment",
        "notifier": "Deployment",
        "marketdata": "Deployment",
        "bots": "Deployment",
        "execution": "StatefulSet",
        "backtests": "Deployment",
        "compliance": "Deployment",
    }


def test_every_container_has_liveness_and_readiness_probes(rendered: Rendered) -> None:
    missing = [
        c["name"] for _, c in rendered.containers() if "livenessProbe" not in c or "readinessProbe" not in c
    ]

    assert missing == []


def test_service_containers_probe_healthz_for_liveness_and_readyz_for_readiness(rendered: Rendered) -> None:
    paths = {
        name: (c["livenessProbe"]["httpGet"]["path"], c["readinessProbe"]["httpGet"]["path"])
        for name, c in _service_containers(rendered)
    }

    assert paths == dict.fromkeys(SERVICES, ("/healthz", "/readyz"))


def test_every_container_requests_and_limits_cpu_and_memory(rendered: Rendered) -> None:
    incomplete = [
        c["name"]
        for _, c in rendered.containers()
        if any(
            set(c.get("resources", {}).get(part, {})) != {"cpu", "memory"} for part in ("requests", "limits")
        )
    ]

    assert incomplete == []


def test_every_container_runs_as_non_root_on_a_read_only_root_filesystem(rendered: Rendered) -> None:
    loose = []
    for workload, container in rendered.containers():
        pod = (pod_spec(workload) or {}).get("securityContext", {})
        own = container.get("securityContext", {})
        if not (own.get("runAsNonRoot", pod.get("runAsNonRoot")) is True and pod.get("runAsUser", 1) != 0):
            loose.append(f"{container['name']}: may run as root")
        if own.get("readOnlyRootFilesystem") is not True:
            loose.append(f"{container['name']}: writable root filesystem")
        if own.get("allowPrivilegeEscalation") is not False or own.get("capabilities") != {"drop": ["ALL"]}:
            loose.append(f"{container['name']}: may gain privileges")

    assert loose == []


def test_every_container_writes_tmp_to_an_empty_dir(rendered: Rendered) -> None:
    missing = []
    for workload, container in rendered.containers():
        volumes = {v["name"]: v for v in (pod_spec(workload) or {}).get("volumes", [])}
        tmp = [m["name"] for m in container.get("volumeMounts", []) if m["mountPath"] == "/tmp"]
        if not tmp or "emptyDir" not in volumes.get(tmp[0], {}):
            missing.append(container["name"])

    assert missing == []


def test_every_workload_has_a_disruption_budget_selecting_its_pods(rendered: Rendered) -> None:
    budgets = [p["spec"]["selector"]["matchLabels"] for p in rendered.of_kind("PodDisruptionBudget")]
    uncovered = [
        w["metadata"]["name"]
        for w in rendered.workloads()
        if not any(selects(b, w["spec"]["template"]["metadata"]["labels"]) for b in budgets)
    ]

    assert uncovered == []


def test_workload_and_service_selectors_match_pod_labels(rendered: Rendered) -> None:
    pods = rendered.pod_labels()
    orphans = [
        f"Service/{s['metadata']['name']}"
        for s in rendered.of_kind("Service")
        if not any(selects(s["spec"]["selector"], labels) for labels in pods)
    ]
    orphans += [
        f"{w['kind']}/{w['metadata']['name']}"
        for w in rendered.workloads()
        if not selects(w["spec"]["selector"]["matchLabels"], w["spec"]["template"]["metadata"]["labels"])
    ]

    assert orphans == []


def test_gateway_scales_with_an_autoscaler_and_no_fixed_replica_count(rendered: Rendered) -> None:
    hpa = rendered.get("HorizontalPodAutoscaler", "gateway")
    target = hpa["spec"]["scaleTargetRef"]

    assert (target["kind"], target["name"]) == ("Deployment", "gateway")
    assert 1 <= hpa["spec"]["minReplicas"] < hpa["spec"]["maxReplicas"]
    assert "replicas" not in rendered.get("Deployment", "gateway")["spec"]


def test_every_pod_falls_under_the_default_deny_ingress_policy(rendered: Rendered) -> None:
    deny = rendered.get("NetworkPolicy", "default-deny-ingress")["spec"]

    assert deny["policyTypes"] == ["Ingress"] and not deny.get("ingress")
    assert all(selects(deny["podSelector"]["matchLabels"], labels) for labels in rendered.pod_labels())


def test_only_the_gateway_accepts_ingress_from_any_source(rendered: Rendered) -> None:
    open_to_all = [
        p["spec"]["podSelector"]
        for p in rendered.of_kind("NetworkPolicy")
        for rule in p["spec"].get("ingress", [])
        if not rule.get("from")
    ]

    assert open_to_all == [{"matchLabels": {"app.kubernetes.io/name": "gateway"}}]


def test_every_config_map_a_pod_reads_exists(rendered: Rendered) -> None:
    present = {c["metadata"]["name"] for c in rendered.of_kind("ConfigMap")}
    wanted = set()
    for workload, container in rendered.containers():
        wanted |= {e["configMapRef"]["name"] for e in container.get("envFrom", []) if "configMapRef" in e}
        wanted |= {
            v["configMap"]["name"] for v in (pod_spec(workload) or {}).get("volumes", []) if "configMap" in v
        }

    assert wanted - present == set()


def test_every_secret_key_a_pod_reads_exists_or_is_created_outside_git(rendered: Rendered) -> None:
    present = {
        (s["metadata"]["name"], key)
        for s in rendered.of_kind("Secret")
        for key in {**s.get("data", {}), **s.get("stringData", {})}
    }
    wanted = {ref for w in rendered.workloads() for ref in secret_refs(w)}
    missing = {
        (name, key) for name, key in wanted - present if name not in EXTERNAL_SECRETS[rendered.overlay]
    }

    assert missing == set()


def test_prod_commits_no_secret_values(prod: Rendered) -> None:
    assert prod.of_kind("Secret") == []


def test_execution_replicas_equal_the_executor_count_each_pod_is_told(rendered: Rendered) -> None:
    execution = rendered.get("StatefulSet", "execution")
    container = execution["spec"]["template"]["spec"]["containers"][0]

    assert env_value(container, "TP_EXECUTORS") == str(execution["spec"]["replicas"])


def test_execution_pods_own_disjoint_partitions_covering_all(rendered: Rendered, tmp_path: Path) -> None:
    execution = rendered.get("StatefulSet", "execution")
    replicas = execution["spec"]["replicas"]
    partitions = int(rendered.get("ConfigMap", "tradeplane-config")["data"]["TP_PARTITIONS"])
    owned = {}
    for ordinal in range(replicas):
        executor_id, parts = _run_execution_command(execution, f"execution-{ordinal}", partitions, tmp_path)
        owned[executor_id] = _expand(parts)

    assert sorted(owned) == sorted(f"exec-{i}" for i in range(replicas))
    assert sorted(p for ps in owned.values() for p in ps) == list(range(partitions))
    assert all(p % replicas == int(e.removeprefix("exec-")) for e, ps in owned.items() for p in ps)


def _expand(partitions: str) -> list[int]:
    """`0-3,8` → [0, 1, 2, 3, 8], as the executor reads TP_EXECUTOR_PARTITIONS."""
    owned: list[int] = []
    for part in partitions.split(","):
        low, _, high = part.partition("-")
        owned += range(int(low), int(high or low) + 1)
    return owned


def _run_execution_command(execution: Obj, pod: str, partitions: int, tmp_path: Path) -> tuple[str, str]:
    """Run the pod's shell command with a stand-in `python` that prints what the executor would get."""
    container = execution["spec"]["template"]["spec"]["containers"][0]
    fake = tmp_path / "python"
    fake.write_text('#!/bin/sh\necho "$TP_EXECUTOR_ID $TP_EXECUTOR_PARTITIONS"\n')
    fake.chmod(0o755)
    env = {
        "PATH": f"{tmp_path}{os.pathsep}{Path(sys.executable).parent}{os.pathsep}/usr/bin:/bin",
        "POD_NAME": pod,
        "TP_EXECUTORS": env_value(container, "TP_EXECUTORS") or "",
        "TP_PARTITIONS": str(partitions),
    }
    result = subprocess.run(
        [*container["command"], *container["args"]], env=env, capture_output=True, text=True, check=True
    )
    executor_id, owned = result.stdout.split()
    return executor_id, owned


def test_prod_nats_is_a_cluster_whose_routes_name_every_replica(prod: Rendered) -> None:
    replicas = prod.get("StatefulSet", "nats")["spec"]["replicas"]
    config = prod.get("ConfigMap", "nats-config")["data"]["nats.conf"]
    routes = set(re.findall(r"nats://(nats-\d+\.nats-headless):6222", config))

    assert replicas == 3
    assert routes == {f"nats-{i}.nats-headless" for i in range(replicas)}


def test_prod_streams_are_replicated_on_every_nats_node(prod: Rendered) -> None:
    replicas = prod.get("StatefulSet", "nats")["spec"]["replicas"]

    assert prod.get("ConfigMap", "tradeplane-config")["data"]["TP_STREAM_REPLICAS"] == str(replicas)


def test_prod_runs_every_stateless_service_on_at_least_two_pods(prod: Rendered) -> None:
    replicas = {
        name: prod.get("Deployment", name)["spec"]["replicas"] for name in ("risk", "pnl", "notifier")
    }

    assert min(replicas.values()) >= 2
    assert prod.get("HorizontalPodAutoscaler", "gateway")["spec"]["minReplicas"] >= 2
