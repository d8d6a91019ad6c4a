"""Rendered overlays and lookups over them, shared by the deploy tests."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from tests.deploy.kustomize import Obj, containers, pod_spec, render

ROOT = Path(__file__).resolve().parents[2]
K8S = ROOT / "deploy" / "k8s"
OVERLAYS = ("dev", "prod")
SERVICES = (
    "gateway",
    "risk",
    "pnl",
    "notifier",
    "bots",
    "execution",
    "marketdata",
    "backtests",
    "compliance",
)
WORKLOAD_KINDS = {"Deployment", "StatefulSet", "DaemonSet"}


@dataclass(frozen=True)
class Rendered:
    overlay: str
    objects: list[Obj]

    @classmethod
    def of(cls, overlay: str) -> Rendered:
        return cls(overlay, render(K8S / "overlays" / overlay))

    @property
    def namespace(self) -> str:
        name: str = next(o["metadata"]["name"] for o in self.objects if o["kind"] == "Namespace")
        return name

    def of_kind(self, *kinds: str) -> list[Obj]:
        return [o for o in self.objects if o["kind"] in kinds]

    def get(self, kind: str, name: str) -> Obj:
        found = [o for o in self.of_kind(kind) if o["metadata"]["name"] == name]
        assert len(found) == 1, f"expected one {kind}/{name}, found {len(found)}"
        return found[0]

    def workloads(self) -> list[Obj]:
        return self.of_kind(*WORKLOAD_KINDS)

    def containers(self) -> Iterator[tuple[Obj, Obj]]:
        """(workload, container) for every container of every workload."""
        for workload in self.workloads():
            for container in containers(workload):
                yield workload, container

    def pod_labels(self) -> list[dict[str, str]]:
        return [w["spec"]["template"]["metadata"]["labels"] for w in self.workloads()]


def selects(selector: dict[str, str], labels: dict[str, str]) -> bool:
    return all(labels.get(key) == value for key, value in selector.items())


def env_value(container: Obj, name: str) -> str | None:
    for var in container.get("env", []):
        if var["name"] == name:
            value: str | None = var.get("value")
            return value
    return None


def secret_refs(workload: Obj) -> set[tuple[str, str]]:
    """(secret name, key) for every secret a workload's pods read, by volume or by variable."""
    spec = pod_spec(workload) or {}
    refs: set[tuple[str, str]] = set()
    for volume in spec.get("volumes", []):
        sources = volume.get("projected", {}).get("sources", [])
        if "secret" in volume:
            sources = [{"secret": volume["secret"]}]
        for source in sources:
            secret = source.get("secret")
            if secret:
                refs |= {(secret["name"], item["key"]) for item in secret.get("items", [])}
    for container in containers(workload):
        for var in container.get("env", []):
            ref = var.get("valueFrom", {}).get("secretKeyRef")
            if ref:
                refs.add((ref["name"], ref["key"]))
    return refs
