"""`tradeplane up` with the stand-in service for every service: the real code path, fake service bodies.

Usage: python up_with_fakes.py [EXECUTORS]; settings come from TP_* variables as for `tradeplane up`.
"""

from __future__ import annotations

import sys
from pathlib import Path

from rich.console import Console
from tradeplane.cli.settings import StackSettings
from tradeplane.cli.stack import run_up

FAKE_SERVICE = Path(__file__).with_name("fake_service.py")

if __name__ == "__main__":
    executors = int(sys.argv[1]) if len(sys.argv) > 1 else 1
    code = run_up(
        StackSettings(),
        Console(),
        executors=executors,
        command=lambda kind: [sys.executable, str(FAKE_SERVICE)],
    )
    sys.exit(code)
