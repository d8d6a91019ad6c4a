"""Indicators updated one closed candle at a time (no lookahead), in exact Decimal arithmetic."""

from __future__ import annotations

from collections import deque
from decimal import Decimal
from typing import Any


class Ema:
    """Exponential moving average; seeded with the simple average of the first `period` values."""

    def __init__(self, period: int) -> None:
        if period < 1:
            raise ValueError("period must be at least 1")
        self.period = period
        self.alpha = Decimal(2) / Decimal(period + 1)
        self.value: Decimal | None = None
        self._seed: list[Decimal] = []

    def update(self, x: Decimal) -> Decimal | None:
        """Feed one value; the average once `period` values were seen, else None."""
        if self.value is not None:
            self.value = self.value + self.alpha * (x - self.value)
        else:
            self._seed.append(x)
            if len(self._seed) == self.period:
                self.value = sum(self._seed, Decimal(0)) / self.period
                self._seed = []
        return self.value

    def state(self) -> dict[str, Any]:
        return {
            "value": None if self.value is None else str(self.value),
            "seed": [str(v) for v in self._seed],
        }

    def restore(self, state: dict[str, Any]) -> None:
        self.value = None if state["value"] is None else Decimal(state["value"])
        self._seed = [Decimal(v) for v in state["seed"]]


class Bollinger:
    """Bollinger bands over the last `period` values: middle ± `width` population standard deviations."""

    def __init__(self, period: int, width: Decimal) -> None:
        if period < 2:
            raise ValueError("period must be at least 2")
        self.period = period
        self.width = width
        self._window: deque[Decimal] = deque(maxlen=period)

    def update(self, x: Decimal) -> tuple[Decimal, Decimal, Decimal] | None:
        """Feed one value; (lower, middle, upper) once the window is full, else None."""
        self._window.append(x)
        if len(self._window) < self.period:
            return None
        mean = sum(self._window, Decimal(0)) / self.period
        variance = sum(((v - mean) ** 2 for v in self._window), Decimal(0)) / self.period
        spread = self.width * variance.sqrt()
        return mean - spread, mean, mean + spread

    def state(self) -> dict[str, Any]:
        return {"window": [str(v) for v in self._window]}

    def restore(self, state: dict[str, Any]) -> None:
        self._window = deque((Decimal(v) for v in state["window"]), maxlen=self.period)
