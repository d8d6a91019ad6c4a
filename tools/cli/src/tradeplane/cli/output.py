"""Interleaved child output on one console, each line prefixed with a fixed-width coloured name."""

from __future__ import annotations

import threading
from collections.abc import Iterable

from rich.console import Console
from rich.text import Text

from .processes import LineSink

_COLOURS = ("cyan", "magenta", "green", "yellow", "blue", "bright_red", "bright_cyan", "bright_magenta")


class PrefixedOutput:
    """Hands out one sink per name; lines are printed as they are (never parsed as markup)."""

    def __init__(self, console: Console, names: Iterable[str]) -> None:
        self.console = console
        self.width = max((len(name) for name in names), default=8)
        self._lock = threading.Lock()
        self._styles: dict[str, str] = {}

    def sink(self, name: str) -> LineSink:
        style = self._styles.setdefault(name, _COLOURS[len(self._styles) % len(_COLOURS)])
        prefix = f"{name:<{self.width}} | "

        def write(line: str) -> None:
            text = Text.assemble((prefix, style), line)
            with self._lock:
                self.console.print(text, soft_wrap=True, highlight=False, markup=False, emoji=False)

        return write
