"""`tradeplane-contracts` is a wheel an analytics team installs alone: built with `uv build`, installed into
a fresh virtual environment with nothing but its declared dependency (pydantic), it reads the platform's
messages of every schema version and generates the AsyncAPI document, with no service code present."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from tests.deploy.manifests import ROOT

UV = ROOT / ".tools" / "bin" / "uv"
SAMPLES = ROOT / "libs" / "contracts" / "tests" / "messages"

CONSUMER = """
import json, pathlib, sys
from tradeplane.contracts import catalog, asyncapi
models = {e.model.__name__: e.model for e in catalog.EVENTS}
read = []
for path in sorted(pathlib.Path(sys.argv[1]).glob("*.json")):
    name = path.name.split(".v")[0]
    read.append(models[name].model_validate_json(path.read_text()).meta.schema_version)
document = asyncapi.document()
ours = [m for m in sys.modules if m.startswith("tradeplane.")]
platform = sorted(m for m in ours if not m.startswith("tradeplane.contracts"))
print(json.dumps({"read": len(read), "channels": len(document["channels"]), "platform": platform,
                  "file": catalog.__file__}))
"""


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("dist")
    subprocess.run(
        [UV, "build", "--package", "tradeplane-contracts", "--wheel", "--out-dir", out],
        cwd=ROOT,
        check=True,
        capture_output=True,
    )
    (built,) = out.glob("tradeplane_contracts-*.whl")
    return built


def test_the_wheel_depends_only_on_pydantic_and_holds_only_the_contracts(wheel: Path) -> None:
    with zipfile.ZipFile(wheel) as archive:
        names = archive.namelist()
        metadata = archive.read(next(n for n in names if n.endswith(".dist-info/METADATA"))).decode()

    requires = [
        line.split(":", 1)[1].strip() for line in metadata.splitlines() if line.startswith("Requires-Dist")
    ]
    assert [r.split(">")[0].split("=")[0] for r in requires] == ["pydantic"]
    assert all(n.startswith(("tradeplane/contracts/", "tradeplane_contracts-")) for n in names), names
    assert "tradeplane/contracts/py.typed" in names


def test_a_fresh_environment_with_only_the_wheel_reads_every_message_version(
    wheel: Path, tmp_path: Path
) -> None:
    venv = tmp_path / "analytics"
    subprocess.run([UV, "venv", "--python", sys.executable, venv], check=True, capture_output=True)
    python = venv / "bin" / "python"
    subprocess.run([UV, "pip", "install", "--python", python, wheel], check=True, capture_output=True)

    run = subprocess.run(
        [python, "-c", CONSUMER, SAMPLES], cwd=tmp_path, check=True, capture_output=True, text=True
    )
    installed = subprocess.run([UV, "pip", "freeze", "--python", python], capture_output=True, text=True)

    result = json.loads(run.stdout)
    assert result["read"] == len(list(SAMPLES.glob("*.json"))) > 0
    assert result["channels"] > 20 and result["platform"] == []
    assert result["file"].startswith(str(venv))  # the wheel's copy, not the source tree
    packages = {re.split(r"==| @ ", line)[0] for line in installed.stdout.splitlines()}
    assert packages == {
        "annotated-types",
        "pydantic",
        "pydantic-core",
        "tradeplane-contracts",
        "typing-extensions",
        "typing-inspection",
    }, packages
