"""Which loss and drawdown caps a user's state has reached, with a message a person can read."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from tradeplane.contracts import RejectCode

from .limits import RiskLimits
from .state import RiskState

_CENT = Decimal("0.01")


@dataclass(frozen=True)
class Breach:
    """A cap that is reached; `code` is what an increasing order is rejected with."""

    code: RejectCode
    message: str


def usd(amount: Decimal) -> str:
    return f"{amount.quantize(_CENT):f} USD"


def pct(amount: Decimal) -> str:
    return f"{amount.quantize(_CENT).normalize():f}%"


def breaches(state: RiskState, limits: RiskLimits) -> list[Breach]:
    """Every cap `state` has reached, in the order pre-trade checks report them."""
    found = [
        _daily_loss(state, limits),
        _weekly_loss(state, limits),
        _circuit_breaker(state, limits),
        _drawdown(state, limits),
    ]
    return [breach for breach in found if breach is not None]


def _daily_loss(state: RiskState, limits: RiskLimits) -> Breach | None:
    cap = limits.daily_loss_cap(state.day_start_equity)
    if state.daily_loss < cap:
        return None
    return Breach(RejectCode.DAILY_LOSS, f"daily loss {usd(state.daily_loss)} reached the cap of {usd(cap)}")


def _weekly_loss(state: RiskState, limits: RiskLimits) -> Breach | None:
    cap = limits.max_weekly_loss_usd
    if state.weekly_loss < cap:
        return None
    return Breach(
        RejectCode.WEEKLY_LOSS, f"weekly loss {usd(state.weekly_loss)} reached the cap of {usd(cap)}"
    )


def _circuit_breaker(state: RiskState, limits: RiskLimits) -> Breach | None:
    trip = limits.circuit_breaker_loss(state.day_start_equity)
    if trip is None or state.daily_loss < trip:
        return None
    return Breach(
        RejectCode.CIRCUIT_BREAKER,
        f"circuit breaker: daily loss {usd(state.daily_loss)} reached "
        f"{pct(limits.circuit_breaker_daily_loss_pct)} of the day's starting equity ({usd(trip)})",
    )


def _drawdown(state: RiskState, limits: RiskLimits) -> Breach | None:
    if state.peak_equity is None or state.drawdown_pct < limits.max_drawdown_pct:
        return None
    return Breach(
        RejectCode.MAX_DRAWDOWN,
        f"drawdown {pct(state.drawdown_pct)} from peak equity {usd(state.peak_equity)} "
        f"reached the cap of {pct(limits.max_drawdown_pct)}",
    )


def drawdown_pct(peak: Decimal, equity: Decimal) -> Decimal:
    """How far `equity` is below `peak`, in percent (0 at or above the peak)."""
    if peak <= 0:
        return Decimal(0)
    return max((peak - equity) / peak * 100, Decimal(0)).quantize(Decimal("0.0001"))
