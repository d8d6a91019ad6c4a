"""A small kustomize renderer for the overlays in deploy/k8s (kustomize itself is not installed here).

It supports exactly what the overlays use — `resources`, `namespace`, `images` and `patches`
(strategic merge for whole objects and maps, JSON 6902 with a target) — and refuses any other
kustomization field, so a manifest never silently renders differently from `kubectl apply -k`.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import yaml

Obj = dict[str, Any]

SUPPORTED = {"apiVersion", "kind", "resources", "namespace", "images", "patches"}
CLUSTER_SCOPED = {
    "Namespace",
    "ClusterRole",
    "ClusterRoleBinding",
    "CustomResourceDefinition",
    "PersistentVolume",
    "StorageClass",
    "PriorityClass",
}


class RenderError(ValueError):
    """The kustomization uses something this renderer does not implement, or a patch misses."""


def render(directory: Path) -> list[Obj]:
    """Every object the kustomization in `directory` produces, in resource order."""
    kustomization = _load_one(directory / "kustomization.yaml")
    unknown = set(kustomization) - SUPPORTED
    if unknown:
        raise RenderError(f"{directory}: unsupported kustomization fields {sorted(unknown)}")
    objects: list[Obj] = []
    for entry in kustomization.get("resources", []):
        path = (directory / entry).resolve()
        objects += render(path) if path.is_dir() else load_all(path)
    for patch in kustomization.get("patches", []):
        _apply_patch(objects, patch, directory)
    for image in kustomization.get("images", []):
        _set_image(objects, image)
    if namespace := kustomization.get("namespace"):
        for obj in objects:
            if obj["kind"] not in CLUSTER_SCOPED:
                obj["metadata"]["namespace"] = namespace
    return objects


def load_all(path: Path) -> list[Obj]:
    with path.open() as stream:
        return [doc for doc in yaml.safe_load_all(stream) if doc is not None]


def _load_one(path: Path) -> Obj:
    loaded: Obj = yaml.safe_load(path.read_text())
    return loaded


def _apply_patch(objects: list[Obj], entry: Obj, directory: Path) -> None:
    text = (directory / entry["path"]).read_text() if "path" in entry else entry["patch"]
    body = yaml.safe_load(text)
    target = entry.get("target")
    if isinstance(body, list):
        if target is None:
            raise RenderError("a JSON 6902 patch needs a target")
        for obj in _matching(objects, target):
            for op in body:
                json6902(obj, op)
        return
    target = target or {"kind": body["kind"], "name": body["metadata"]["name"]}
    for obj in _matching(objects, target):
        merged = strategic_merge(obj, body)
        obj.clear()
        obj.update(merged)


def _matching(objects: list[Obj], target: Obj) -> list[Obj]:
    unknown = set(target) - {"kind", "name"}
    if unknown:
        raise RenderError(f"unsupported patch target fields {sorted(unknown)}")
    found = [
        obj
        for obj in objects
        if obj["kind"] == target["kind"]
        and obj["metadata"]["name"] == target.get("name", obj["metadata"]["name"])
    ]
    if not found:
        raise RenderError(f"patch target {target} matches nothing")
    return found


def strategic_merge(base: Any, patch: Any) -> Any:
    """Maps merge key by key (null deletes); lists of named items merge by name; other lists replace."""
    if isinstance(base, dict) and isinstance(patch, dict):
        merged = copy.deepcopy(base)
        for key, value in patch.items():
            if value is None:
                merged.pop(key, None)
            else:
                merged[key] = strategic_merge(base.get(key), value)
        return merged
    if _named_list(base) and _named_list(patch):
        patches = {item["name"]: item for item in patch}
        merged_list = [strategic_merge(item, patches.get(item["name"], {})) for item in base]
        known = {item["name"] for item in base}
        return merged_list + [copy.deepcopy(item) for item in patch if item["name"] not in known]
    return copy.deepcopy(patch)


def _named_list(value: Any) -> bool:
    return isinstance(value, list) and bool(value) and all(isinstance(i, dict) and "name" in i for i in value)


def json6902(obj: Obj, op: Obj) -> None:
    """Apply one `add`, `replace` or `remove` operation in place."""
    *parents, last = [_unescape(part) for part in op["path"].split("/")[1:]]
    node: Any = obj
    for part in parents:
        node = node[int(part)] if isinstance(node, list) else node[part]
    kind = op["op"]
    if isinstance(node, list):
        index = len(node) if last == "-" else int(last)
        if kind == "add":
            node.insert(index, copy.deepcopy(op["value"]))
        elif kind == "replace":
            node[index] = copy.deepcopy(op["value"])
        elif kind == "remove":
            del node[index]
        else:
            raise RenderError(f"unsupported JSON 6902 op {kind!r}")
        return
    if kind in ("replace", "remove") and last not in node:
        raise RenderError(f"{op['path']} does not exist")
    if kind in ("add", "replace"):
        node[last] = copy.deepcopy(op["value"])
    elif kind == "remove":
        del node[last]
    else:
        raise RenderError(f"unsupported JSON 6902 op {kind!r}")


def _unescape(part: str) -> str:
    return part.replace("~1", "/").replace("~0", "~")


def _set_image(objects: list[Obj], image: Obj) -> None:
    for container in (c for obj in objects for c in containers(obj)):
        name, _ = split_image(container["image"])
        if name != image["name"]:
            continue
        new_name = image.get("newName", name)
        if "digest" in image:
            container["image"] = f"{new_name}@{image['digest']}"
        else:
            container["image"] = f"{new_name}:{image['newTag']}" if "newTag" in image else new_name


def split_image(reference: str) -> tuple[str, str | None]:
    """`registry:5000/app:1.2` → (`registry:5000/app`, `1.2`); a digest counts as the tag."""
    if "@" in reference:
        name, digest = reference.split("@", 1)
        return name, digest
    slash = reference.rfind("/")
    colon = reference.rfind(":")
    if colon > slash:
        return reference[:colon], reference[colon + 1 :]
    return reference, None


def pod_spec(obj: Obj) -> Obj | None:
    """The pod spec of a workload (Deployment, StatefulSet, DaemonSet, Job), else None."""
    spec = obj.get("spec", {})
    if "template" in spec:
        template_spec: Obj = spec["template"].get("spec", {})
        return template_spec
    return None


def containers(obj: Obj) -> list[Obj]:
    spec = pod_spec(obj)
    if spec is None:
        return []
    return [*spec.get("initContainers", []), *spec.get("containers", [])]
