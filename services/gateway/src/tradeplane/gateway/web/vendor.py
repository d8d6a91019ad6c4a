"""The dashboard's third-party browser files, pinned: `python -m tradeplane.gateway.web.vendor` refreshes
them from the npm registry (`npm pack`), with each package's licence, into `static/vendor/<package>/`.

Nothing is loaded from a CDN at run time; change a version here, run this, and commit the files.
"""

from __future__ import annotations

import subprocess
import sys
import tarfile
import tempfile
from dataclasses import dataclass
from pathlib import Path

from .render import STATIC

VENDOR = STATIC / "vendor"


@dataclass(frozen=True)
class Asset:
    package: str
    version: str
    folder: str
    files: tuple[str, ...]
    """Paths inside the package tarball (`package/...`), copied by their file name."""


ASSETS = (
    Asset("htmx.org", "2.0.11", "htmx", ("dist/htmx.min.js", "LICENSE")),
    Asset(
        "lightweight-charts",
        "4.2.3",
        "lightweight-charts",
        ("dist/lightweight-charts.standalone.production.js", "LICENSE"),
    ),
    Asset(
        "swagger-ui-dist",
        "5.36.0",
        "swagger-ui",
        ("swagger-ui-bundle.js", "swagger-ui.css", "favicon-32x32.png", "LICENSE", "NOTICE"),
    ),
    Asset(
        "@asyncapi/react-component",
        "3.2.1",
        "asyncapi-react",
        (
            "browser/standalone/index.js",
            "browser/standalone/index.js.LICENSE.txt",
            "styles/default.min.css",
            "LICENSE",
        ),
    ),
)


def refresh(asset: Asset) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run(
            ["npm", "pack", f"{asset.package}@{asset.version}", "--pack-destination", tmp],
            check=True,
            capture_output=True,
        )
        (tarball,) = Path(tmp).glob("*.tgz")
        target = VENDOR / asset.folder
        target.mkdir(parents=True, exist_ok=True)
        with tarfile.open(tarball) as archive:
            for name in asset.files:
                member = archive.extractfile(f"package/{name}")
                assert member is not None, name
                (target / Path(name).name).write_bytes(member.read())
        (target / "VERSION").write_text(f"{asset.package}@{asset.version}\n")


def main() -> None:
    for asset in ASSETS:
        refresh(asset)
        print(f"{asset.package}@{asset.version} → {VENDOR / asset.folder}", file=sys.stderr)


if __name__ == "__main__":
    main()
