"""Pre-trade checks: whether one order request may reach an executor, and if not, why."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta, tzinfo
from decimal import Decimal
from uuid import UUID

from tradeplane.contracts import RejectCode, Side, TradingState

from .caps import breaches, usd
from .lifecycle import roll_day
from .limits import RiskLimits
from .periods import require_aware
from .state import RiskState

RATE_WINDOW = timedelta(minutes=1)


@dataclass(frozen=True)
class ProposedOrder:
    """What risk needs of an order request (built from `OrderRequested`, so the domain needs no messages).

    `price` is the limit price, None for market orders; notional then uses the reference price
    given to `check_order`.
    """

    user_id: UUID
    account_id: UUID
    symbol: str
    side: Side
    quantity: Decimal
    price: Decimal | None = None

    def __post_init__(self) -> None:
        if not self.quantity > 0:
            raise ValueError("quantity must be greater than zero")
        if self.price is not None and not self.price > 0:
            raise ValueError("price must be greater than zero")

    @property
    def signed_quantity(self) -> Decimal:
        return self.quantity if self.side is Side.BUY else -self.quantity


@dataclass(frozen=True)
class Approved:
    """The order may go to the executor; `reduces_position` says whether it only shrinks one."""

    reduces_position: bool = False


@dataclass(frozen=True)
class Rejected:
    code: RejectCode
    message: str


Decision = Approved | Rejected


@dataclass(frozen=True)
class _Context:
    intent: ProposedOrder
    limits: RiskLimits
    state: RiskState
    kill_switch: str | None
    price: Decimal
    equity: Decimal | None
    now: datetime
    tz: tzinfo
    position: Decimal

    @property
    def reduces(self) -> bool:
        """Opposite side and no larger than the position: it shrinks it without flipping it."""
        opposite = self.position * self.intent.signed_quantity < 0
        return opposite and self.intent.quantity <= abs(self.position)

    @property
    def notional(self) -> Decimal:
        return self.intent.quantity * self.price


def check_order(
    intent: ProposedOrder,
    limits: RiskLimits,
    state: RiskState,
    *,
    halted_global: bool,
    halted_user: bool,
    price: Decimal,
    equity: Decimal | None,
    now: datetime,
    tz: tzinfo,
) -> Decision:
    """Run the pre-trade checks in order; the first that fails decides.

    `price` is the reference (market) price, used for market orders; `equity` the user's current
    equity, None while it is unknown (an order that needs it is refused, never judged against 0).
    The state is viewed as of `now` (day rolled, expired halts ended); the caller should
    still `roll_day` and store the result so those transitions get reported. Orders that reduce a
    position skip the checks that guard against taking on risk, so a user can always get out;
    the kill switch, a disabled user and the rate limit stop every order.
    """
    if not price > 0:
        raise ValueError("reference price must be greater than zero")
    current, _ = roll_day(state, now, tz)
    context = _Context(
        intent=intent,
        limits=limits,
        state=current,
        kill_switch="global" if halted_global else "user" if halted_user else None,
        price=intent.price or price,
        equity=equity,
        now=require_aware(now),
        tz=tz,
        position=current.position(intent.account_id, intent.symbol),
    )
    reduces = context.reduces
    for check, stops_reducing_orders in _CHECKS:
        if reduces and not stops_reducing_orders:
            continue
        rejected = check(context)
        if rejected is not None:
            return rejected
    return Approved(reduces_position=reduces)


def record_order(state: RiskState, now: datetime) -> RiskState:
    """Remember an order sent at `now` for the per-minute rate limit, forgetting ones out of the window."""
    start = require_aware(now) - RATE_WINDOW
    recent = tuple(sent for sent in state.recent_orders if sent > start)
    return replace(state, recent_orders=(*recent, now))


def _kill_switch(c: _Context) -> Rejected | None:
    if c.kill_switch is None:
        return None
    return Rejected(RejectCode.KILL_SWITCH, f"trading is halted by the {c.kill_switch} kill switch")


def _user_disabled(c: _Context) -> Rejected | None:
    if not c.state.disabled:
        return None
    why = c.state.disabled_reason or "disabled"
    return Rejected(RejectCode.USER_DISABLED, f"user is disabled: {why}; an admin must re-enable them")


def _trading_halted(c: _Context) -> Rejected | None:
    return _while_in(c, TradingState.HALTED, RejectCode.TRADING_HALTED, "halted")


def _while_in(c: _Context, state: TradingState, code: RejectCode, default_reason: str) -> Rejected | None:
    """Refuses while the user's trading state is `state`, saying why it is (the stored halt reason)."""
    if c.state.trading_state is not state:
        return None
    return Rejected(code, _STATE_MESSAGES[code].format(why=c.state.halt_reason or default_reason))


_STATE_MESSAGES = {
    RejectCode.TRADING_HALTED: "trading is halted ({why}); only reducing orders pass",
    RejectCode.REDUCE_ONLY: "only orders that reduce a position pass ({why})",
}


def _symbol_allowed(c: _Context) -> Rejected | None:
    if c.limits.allows_symbol(c.intent.symbol):
        return None
    allowed = ", ".join((c.limits.allowed_symbols or ())[:10])
    return Rejected(
        RejectCode.SYMBOL_NOT_ALLOWED, f"{c.intent.symbol} is not among the allowed symbols ({allowed})"
    )


def _trading_hours(c: _Context) -> Rejected | None:
    hours = c.limits.trading_hours
    local = c.now.astimezone(c.tz)
    if hours is None or hours.contains(local.time()):
        return None
    return Rejected(
        RejectCode.OUTSIDE_TRADING_HOURS,
        f"{local:%H:%M %Z} is outside the trading hours {hours} (user's timezone)",
    )


def _rate_limit(c: _Context) -> Rejected | None:
    start = c.now - RATE_WINDOW
    sent = sum(1 for at in c.state.recent_orders if start < at <= c.now)
    cap = c.limits.max_orders_per_minute
    if sent < cap:
        return None
    return Rejected(RejectCode.RATE_LIMIT, f"{sent} orders in the last minute; the limit is {cap} a minute")


def _daily_trades(c: _Context) -> Rejected | None:
    cap = c.limits.max_daily_trades
    if c.state.trades_today < cap:
        return None
    return Rejected(
        RejectCode.MAX_DAILY_TRADES, f"{c.state.trades_today} trades today; the limit is {cap} a day"
    )


def _order_notional(c: _Context) -> Rejected | None:
    cap = c.limits.max_order_notional
    if c.notional <= cap:
        return None
    return Rejected(
        RejectCode.MAX_ORDER_NOTIONAL, f"order notional {usd(c.notional)} exceeds the cap of {usd(cap)}"
    )


def _loss_caps(c: _Context) -> Rejected | None:
    return _first_cap(c, drawdown=False)


def _drawdown_cap(c: _Context) -> Rejected | None:
    # Reducing users hear REDUCE_ONLY first; this catches a cap lowered below the current drawdown.
    return _first_cap(c, drawdown=True)


def _first_cap(c: _Context, *, drawdown: bool) -> Rejected | None:
    for breach in breaches(c.state, c.limits):
        if (breach.code is RejectCode.MAX_DRAWDOWN) == drawdown:
            return Rejected(breach.code, f"{breach.message}; only orders that reduce a position pass")
    return None


def _reduce_only(c: _Context) -> Rejected | None:
    return _while_in(c, TradingState.REDUCING, RejectCode.REDUCE_ONLY, "reduce-only")


def _max_position(c: _Context) -> Rejected | None:
    if c.equity is None:
        return Rejected(
            RejectCode.EQUITY_UNKNOWN,
            "the account's value is not known yet (its balances could not be read), so the position cap "
            "cannot be checked; retry in a few seconds",
        )
    cap = c.limits.max_position_notional(c.equity)
    resulting = abs(c.position + c.intent.signed_quantity) * c.price
    if resulting <= cap:
        return None
    limit = c.limits.max_position_pct
    return Rejected(
        RejectCode.MAX_POSITION,
        f"resulting {c.intent.symbol} position {usd(resulting)} exceeds {limit:f}% of equity {usd(c.equity)} "
        f"({usd(cap)})",
    )


_CHECKS: tuple[tuple[Callable[[_Context], Rejected | None], bool], ...] = (
    (_kill_switch, True),
    (_user_disabled, True),
    (_trading_halted, False),
    (_symbol_allowed, False),
    (_trading_hours, False),
    (_rate_limit, True),
    (_daily_trades, False),
    (_order_notional, False),
    (_loss_caps, False),
    (_reduce_only, False),
    (_drawdown_cap, False),
    (_max_position, False),
)
"""Each check and whether it also stops orders that reduce a position."""
