"""Pure rules: which platform events raise which alert and violation, when two orders cross, what a
reconciliation finds, how a report scores. No I/O here: the store and the handlers apply them."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import KW_ONLY, dataclass, field
from decimal import Decimal
from typing import Any
from uuid import UUID, uuid5

from tradeplane.contracts import (
    HaltEngaged,
    HaltReleased,
    OrderFilled,
    OrderRejected,
    RejectCode,
    RiskStateChanged,
    Side,
    TradingState,
    UserDisabled,
    VenueError,
)
from tradeplane.contracts.alerts import AlertCategory, AlertSeverity, AlertType, ViolationType
from tradeplane.contracts.bots import BotStatus, BotStatusChanged

# Fixed forever: alert and violation ids derive from the events that raised them, so a redelivered
# event raises nothing new.
_NAMESPACE = UUID("2f6a1d8e-7c1b-5e4f-9a0d-3b5c7e9f1a24")


def derived_id(*parts: object) -> UUID:
    return uuid5(_NAMESPACE, "/".join(str(p) for p in parts))


@dataclass(frozen=True, slots=True)
class _Context:
    """What an alert and a violation may say about where they arose (keyword-only, after their own fields)."""

    _: KW_ONLY
    venue: str | None = None
    bot_id: UUID | None = None
    metadata: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class AlertSpec(_Context):
    user_id: UUID | None
    type: AlertType
    category: AlertCategory
    severity: AlertSeverity
    title: str
    message: str


@dataclass(frozen=True, slots=True)
class ViolationSpec(_Context):
    user_id: UUID
    type: ViolationType
    severity: AlertSeverity
    description: str
    recommendation: str


@dataclass(frozen=True, slots=True)
class Finding:
    """What one event raises: an alert, a violation, both or neither, each with its own stable id."""

    key: str
    alert: AlertSpec | None = None
    violation: ViolationSpec | None = None

    @property
    def alert_id(self) -> UUID:
        return derived_id("alert", self.key)

    @property
    def violation_id(self) -> UUID:
        return derived_id("violation", self.key)


NOTHING: tuple[Finding, ...] = ()

_LOSS_CAPS = {
    "DAILY_LOSS": ("daily loss cap", AlertSeverity.HIGH),
    "WEEKLY_LOSS": ("weekly loss cap", AlertSeverity.HIGH),
    "CIRCUIT_BREAKER": ("circuit breaker", AlertSeverity.CRITICAL),
    "MAX_DRAWDOWN": ("drawdown cap", AlertSeverity.MEDIUM),
}
POSITION_CODES = frozenset({RejectCode.MAX_POSITION, RejectCode.MAX_ORDER_NOTIONAL})
RISK_LIMIT_CODES = frozenset(
    {
        RejectCode.DAILY_LOSS,
        RejectCode.WEEKLY_LOSS,
        RejectCode.MAX_DRAWDOWN,
        RejectCode.CIRCUIT_BREAKER,
        RejectCode.MAX_DAILY_TRADES,
        RejectCode.RATE_LIMIT,
    }
)


def risk_state(event: RiskStateChanged) -> tuple[Finding, ...]:
    """Halted or Reducing by a cap: a Trading alert and a Risk Limit violation; back to Active: a note."""
    key = f"risk-state/{event.meta.event_id}"
    meta = {"reasonCode": event.reason_code, "previous": event.previous.value, "current": event.current.value}
    if event.current is TradingState.ACTIVE:
        alert = AlertSpec(
            event.user_id,
            AlertType.SUCCESS,
            AlertCategory.TRADING,
            AlertSeverity.LOW,
            "Trading resumed",
            event.reason or "trading is active again",
            metadata=meta,
        )
        return (Finding(key, alert),)
    cap, severity = _LOSS_CAPS.get(event.reason_code, ("risk limit", AlertSeverity.HIGH))
    halted = event.current is TradingState.HALTED
    title = f"Trading halted: {cap}" if halted else f"Reducing only: {cap}"
    alert = AlertSpec(
        event.user_id,
        AlertType.ERROR if halted else AlertType.WARNING,
        AlertCategory.TRADING,
        severity,
        title,
        event.reason,
        metadata=meta,
    )
    violation = ViolationSpec(
        event.user_id,
        ViolationType.RISK_LIMIT,
        severity,
        f"{cap} breached: {event.reason}",
        "Review the losing positions and the strategy before trading resumes; lower the size or the "
        "caps if this repeats.",
        metadata=meta,
    )
    return (Finding(key, alert, violation),)


def order_rejected(event: OrderRejected) -> tuple[Finding, ...]:
    """A cap refused an order: Position Limit (position size, order notional) or Risk Limit."""
    if event.code in POSITION_CODES:
        kind, advice = ViolationType.POSITION_LIMIT, "Size orders within the position and notional caps."
    elif event.code in RISK_LIMIT_CODES:
        kind, advice = ViolationType.RISK_LIMIT, "Trade within the loss, trade-count and rate caps."
    else:
        return NOTHING
    meta = {"orderId": str(event.order_id), "code": event.code.value, "accountId": str(event.account_id)}
    alert = AlertSpec(
        event.user_id,
        AlertType.WARNING,
        AlertCategory.TRADING,
        AlertSeverity.MEDIUM,
        f"Order rejected: {event.code.value}",
        event.reason,
        metadata=meta,
    )
    violation = ViolationSpec(
        event.user_id,
        kind,
        AlertSeverity.MEDIUM,
        f"{event.code.value}: {event.reason}",
        advice,
        metadata=meta,
    )
    return (Finding(f"rejected/{event.order_id}", alert, violation),)


def halt(event: HaltEngaged | HaltReleased) -> tuple[Finding, ...]:
    engaged = isinstance(event, HaltEngaged)
    scope = "platform" if event.user_id is None else "your account"
    if engaged:
        kind, title = AlertType.ERROR, f"Kill switch engaged for {scope}"
        severity = AlertSeverity.CRITICAL if event.user_id is None else AlertSeverity.HIGH
    else:
        kind, title, severity = AlertType.INFO, f"Kill switch released for {scope}", AlertSeverity.LOW
    alert = AlertSpec(
        event.user_id,
        kind,
        AlertCategory.SYSTEM if event.user_id is None else AlertCategory.TRADING,
        severity,
        title,
        event.reason or title,
        metadata={"scope": event.scope.value},
    )
    return (Finding(f"halt/{event.meta.event_id}", alert),)


def user_disabled(event: UserDisabled) -> tuple[Finding, ...]:
    alert = AlertSpec(
        event.user_id,
        AlertType.ERROR,
        AlertCategory.TRADING,
        AlertSeverity.CRITICAL,
        "Trading disabled after repeated venue errors",
        event.reason,
        metadata={"errorCounts": dict(event.error_counts)},
    )
    return (Finding(f"disabled/{event.meta.event_id}", alert),)


def venue_error(event: VenueError) -> tuple[Finding, ...]:
    severity = AlertSeverity.HIGH if event.category.breaks_account else AlertSeverity.MEDIUM
    alert = AlertSpec(
        event.user_id,
        AlertType.ERROR,
        AlertCategory.SYSTEM,
        severity,
        f"{event.venue} error ({event.category.value})",
        event.message,
        venue=event.venue,
        metadata={"accountId": str(event.account_id), "orderId": str(event.order_id or "") or None},
    )
    return (Finding(f"venue-error/{event.meta.event_id}", alert),)


def bot_status(event: BotStatusChanged) -> tuple[Finding, ...]:
    if event.status is not BotStatus.ERROR:
        return NOTHING
    alert = AlertSpec(
        event.user_id,
        AlertType.ERROR,
        AlertCategory.TRADING,
        AlertSeverity.HIGH,
        "Bot stopped on an error",
        event.reason or "the bot's strategy failed",
        bot_id=event.bot_id,
        metadata={"accountId": str(event.account_id)},
    )
    return (Finding(f"bot-error/{event.meta.event_id}", alert),)


def login_locked(event_id: UUID, user_id: UUID, target: str) -> tuple[Finding, ...]:
    alert = AlertSpec(
        user_id,
        AlertType.WARNING,
        AlertCategory.SECURITY,
        AlertSeverity.HIGH,
        "Sign-in locked after failed attempts",
        f"Repeated failed sign-ins locked {target or 'your account'} for a while. If this was not you, "
        "change your password.",
    )
    return (Finding(f"login-locked/{event_id}", alert),)


def endpoint_disabled(event_id: UUID, user_id: UUID, reason: str) -> tuple[Finding, ...]:
    alert = AlertSpec(
        user_id,
        AlertType.WARNING,
        AlertCategory.SYSTEM,
        AlertSeverity.HIGH,
        "Webhook endpoint disabled",
        f"A webhook endpoint kept failing and was switched off ({reason}); fix it and enable it again.",
    )
    return (Finding(f"endpoint-disabled/{event_id}", alert),)


# --- crossing orders (wash trades) -----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class WatchedOrder:
    order_id: UUID
    account_id: UUID
    bot_id: UUID | None
    side: Side
    price: Decimal | None
    """None: a market order."""

    @property
    def source(self) -> tuple[UUID, UUID | None]:
        return (self.account_id, self.bot_id)


def crosses(a: WatchedOrder, b: WatchedOrder) -> bool:
    """A buy and a sell that would trade against each other: opposite sides, prices crossing (a market
    order crosses any price), from different accounts or bots of the user."""
    if a.side is b.side or a.source == b.source:
        return False
    buy, sell = (a, b) if a.side is Side.BUY else (b, a)
    if buy.price is None or sell.price is None:
        return True
    return buy.price >= sell.price


def wash_trade(user_id: UUID, symbol: str, new: WatchedOrder, other: WatchedOrder) -> Finding:
    first, second = sorted((new.order_id, other.order_id), key=str)
    bots = [str(o.bot_id) for o in (new, other) if o.bot_id is not None]
    meta = {
        "symbol": symbol,
        "orderIds": [str(first), str(second)],
        "accountIds": sorted({str(new.account_id), str(other.account_id)}),
        "botIds": bots,
    }
    description = (
        f"Possible wash trade on {symbol}: a {new.side.value.lower()} "
        f"({_priced(new)}) crosses a {other.side.value.lower()} ({_priced(other)}) of the same user "
        "from another account or bot."
    )
    violation = ViolationSpec(
        user_id,
        ViolationType.PATTERN_VIOLATION,
        AlertSeverity.HIGH,
        description,
        "Make sure your bots and accounts do not trade the same symbol against each other.",
        bot_id=new.bot_id or other.bot_id,
        metadata=meta,
    )
    alert = AlertSpec(
        user_id,
        AlertType.WARNING,
        AlertCategory.COMPLIANCE,
        AlertSeverity.HIGH,
        f"Possible wash trade on {symbol}",
        description,
        bot_id=new.bot_id or other.bot_id,
        metadata=meta,
    )
    return Finding(f"wash/{first}/{second}", alert, violation)


def _priced(order: WatchedOrder) -> str:
    return "market" if order.price is None else f"limit {format(order.price, 'f')}"


def cancel_burst(user_id: UUID, count: int, window_seconds: float, bucket: int) -> Finding:
    description = f"{count} orders cancelled within {window_seconds:g} s"
    violation = ViolationSpec(
        user_id,
        ViolationType.PATTERN_VIOLATION,
        AlertSeverity.MEDIUM,
        f"Cancel burst: {description}",
        "Placing and cancelling orders in bursts can look like spoofing; slow the bot's order churn.",
        metadata={"cancels": count, "windowSeconds": window_seconds},
    )
    alert = AlertSpec(
        user_id,
        AlertType.WARNING,
        AlertCategory.COMPLIANCE,
        AlertSeverity.MEDIUM,
        "Burst of cancelled orders",
        description,
    )
    return Finding(f"cancel-burst/{user_id}/{bucket}", alert, violation)


# --- reconciliation ---------------------------------------------------------------------------------


def fill_deltas(fill: OrderFilled) -> dict[str, Decimal]:
    """What one fill moved on its account: base and quote by side, less the fee in its currency."""
    base, quote = fill.symbol.split("/")
    notional = fill.quantity * fill.price
    sign = 1 if fill.side is Side.BUY else -1
    deltas = {base: sign * fill.quantity, quote: -sign * notional}
    deltas[fill.fee_currency] = deltas.get(fill.fee_currency, Decimal(0)) - fill.fee
    return deltas


def booked(baseline: Mapping[str, Decimal], moves: Iterable[Mapping[str, Decimal]]) -> dict[str, Decimal]:
    books = dict(baseline)
    for move in moves:
        for asset, amount in move.items():
            books[asset] = books.get(asset, Decimal(0)) + amount
    return books


@dataclass(frozen=True, slots=True)
class Difference:
    asset: str
    expected: Decimal
    actual: Decimal

    def as_json(self) -> dict[str, str]:
        return {
            "asset": self.asset,
            "expected": plain(self.expected),
            "actual": plain(self.actual),
            "difference": plain(self.actual - self.expected),
        }


def plain(amount: Decimal) -> str:
    """`10000.0` → `"10000"`: the same amount reads the same whatever its scale."""
    return format(amount.normalize(), "f")


def differences(
    expected: Mapping[str, Decimal], actual: Mapping[str, Decimal], tolerance: Decimal
) -> list[Difference]:
    """Every asset whose booked and reported amounts differ by more than `tolerance` (missing is 0)."""
    found = []
    for asset in sorted(set(expected) | set(actual)):
        want, got = expected.get(asset, Decimal(0)), actual.get(asset, Decimal(0))
        if abs(want - got) > tolerance:
            found.append(Difference(asset, want, got))
    return found


def mismatch(user_id: UUID, account_id: UUID, venue: str, found: list[Difference], run_id: UUID) -> Finding:
    listed = ", ".join(f"{d.asset} booked {d.expected} venue {d.actual}" for d in found)
    meta = {"accountId": str(account_id), "differences": [d.as_json() for d in found]}
    alert = AlertSpec(
        user_id,
        AlertType.ERROR,
        AlertCategory.COMPLIANCE,
        AlertSeverity.HIGH,
        f"Reconciliation mismatch on {venue}",
        f"The venue's balances differ from the books: {listed}",
        venue=venue,
        metadata=meta,
    )
    violation = ViolationSpec(
        user_id,
        ViolationType.REGULATORY,
        AlertSeverity.HIGH,
        f"T+0 reconciliation mismatch on {venue}: {listed}",
        "Check the venue's account history for transfers or trades the platform did not book.",
        venue=venue,
        metadata=meta,
    )
    return Finding(f"reconciliation/{run_id}", alert, violation)


# --- reports -----------------------------------------------------------------------------------------

SEVERITY_WEIGHTS = {"Critical": 10, "High": 5, "Medium": 2, "Low": 1}


def risk_score(open_by_severity: Mapping[str, int]) -> int:
    """0 (nothing open) to 100: each unresolved violation weighs by its severity."""
    return min(100, sum(SEVERITY_WEIGHTS.get(s, 1) * n for s, n in open_by_severity.items()))


RECOMMENDATIONS = {
    ViolationType.POSITION_LIMIT.value: "Orders hit the position or notional caps: size them smaller.",
    ViolationType.RISK_LIMIT.value: "Loss or activity caps tripped: review strategies and caps.",
    ViolationType.PATTERN_VIOLATION.value: "Accounts or bots traded against each other or churned "
    "cancels: separate their symbols and slow their order flow.",
    ViolationType.REGULATORY.value: "Books and venues disagreed: investigate before trading on.",
}
