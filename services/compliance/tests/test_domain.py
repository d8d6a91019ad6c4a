"""The compliance rules: what raises an alert and a violation, when two orders cross, what a fill moves,
what a reconciliation finds, how a report scores, and which alerts go to webhooks."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from uuid import UUID, uuid4
from zoneinfo import ZoneInfo

import pytest
from tradeplane.compliance import domain
from tradeplane.compliance.domain import WatchedOrder
from tradeplane.compliance.queries import period_bounds
from tradeplane.compliance.reconcile import reported_totals
from tradeplane.compliance.store import DEFAULT_NOTIFICATIONS, goes_to_webhooks
from tradeplane.contracts import (
    Meta,
    OrderFilled,
    OrderRejected,
    RejectCode,
    RiskStateChanged,
    Side,
    TradingState,
)
from tradeplane.contracts.alerts import AlertCategory, AlertSeverity, AlertType, ViolationType
from tradeplane.runtime.testing import order_filled

USER = UUID("11111111-1111-1111-1111-111111111111")
ACCOUNT_A = UUID("22222222-2222-2222-2222-222222222222")
ACCOUNT_B = UUID("33333333-3333-3333-3333-333333333333")
BOT_A, BOT_B = UUID(int=1), UUID(int=2)
AT = datetime(2026, 12, 7, 21, 0, tzinfo=UTC)


def meta() -> Meta:
    return Meta(producer="test", occurred_at=AT)


def order(side: Side, price: str | None, account: UUID = ACCOUNT_A, bot: UUID | None = None) -> WatchedOrder:
    return WatchedOrder(uuid4(), account, bot, side, None if price is None else Decimal(price))


def halted(code: str) -> RiskStateChanged:
    return RiskStateChanged(
        meta=meta(),
        user_id=USER,
        previous=TradingState.ACTIVE,
        current=TradingState.HALTED,
        reason_code=code,
        reason="daily loss 12.5 USD beyond the cap of 5",
    )


def test_a_daily_loss_halt_is_a_high_trading_alert_and_a_risk_limit_violation() -> None:
    [found] = domain.risk_state(halted("DAILY_LOSS"))

    assert found.alert is not None and found.violation is not None
    alert = found.alert
    assert (alert.type, alert.category, alert.severity) == (
        AlertType.ERROR,
        AlertCategory.TRADING,
        AlertSeverity.HIGH,
    )
    assert alert.title == "Trading halted: daily loss cap"
    assert (found.violation.type, found.violation.severity) == (ViolationType.RISK_LIMIT, AlertSeverity.HIGH)


def test_the_circuit_breaker_is_critical() -> None:
    [found] = domain.risk_state(halted("CIRCUIT_BREAKER"))

    assert found.alert is not None and found.alert.severity is AlertSeverity.CRITICAL


def test_a_release_is_a_low_success_alert_without_a_violation() -> None:
    event = RiskStateChanged(
        meta=meta(),
        user_id=USER,
        previous=TradingState.HALTED,
        current=TradingState.ACTIVE,
        reason_code="RELEASED",
        reason="released by an admin",
    )

    [found] = domain.risk_state(event)

    assert found.violation is None
    assert found.alert is not None and (found.alert.type, found.alert.severity) == (
        AlertType.SUCCESS,
        AlertSeverity.LOW,
    )


def test_the_same_event_always_derives_the_same_ids() -> None:
    event = halted("DAILY_LOSS")

    [one], [two] = domain.risk_state(event), domain.risk_state(event)

    assert (one.alert_id, one.violation_id) == (two.alert_id, two.violation_id)
    assert one.alert_id != one.violation_id


@pytest.mark.parametrize(
    ("code", "kind"),
    [
        (RejectCode.MAX_POSITION, ViolationType.POSITION_LIMIT),
        (RejectCode.MAX_ORDER_NOTIONAL, ViolationType.POSITION_LIMIT),
        (RejectCode.MAX_DAILY_TRADES, ViolationType.RISK_LIMIT),
        (RejectCode.INSUFFICIENT_FUNDS, None),
        (RejectCode.TRADING_HALTED, None),
    ],
)
def test_cap_rejections_are_position_or_risk_limit_violations(
    code: RejectCode, kind: ViolationType | None
) -> None:
    event = OrderRejected(
        meta=meta(), order_id=uuid4(), user_id=USER, account_id=ACCOUNT_A, code=code, reason="refused"
    )

    found = domain.order_rejected(event)

    assert [f.violation.type for f in found if f.violation] == ([] if kind is None else [kind])


@pytest.mark.parametrize(
    ("buy", "sell", "crossing"),
    [
        ("101", "100", True),
        ("100", "100", True),
        ("99", "100", False),
        (None, "100", True),
        ("99", None, True),
    ],
)
def test_a_buy_and_a_sell_of_two_bots_cross_when_the_buy_pays_at_least_the_sell(
    buy: str | None, sell: str | None, crossing: bool
) -> None:
    a, b = order(Side.BUY, buy, bot=BOT_A), order(Side.SELL, sell, bot=BOT_B)

    assert domain.crosses(a, b) is crossing
    assert domain.crosses(b, a) is crossing


def test_orders_of_one_source_or_one_side_never_cross() -> None:
    same_bot = order(Side.BUY, "101", bot=BOT_A), order(Side.SELL, "100", bot=BOT_A)
    same_side = order(Side.BUY, "101", bot=BOT_A), order(Side.BUY, "100", bot=BOT_B)
    other_account = order(Side.BUY, "101"), order(Side.SELL, "100", account=ACCOUNT_B)

    assert not domain.crosses(*same_bot)
    assert not domain.crosses(*same_side)
    assert domain.crosses(*other_account)


def test_a_wash_trade_is_one_finding_per_pair_whichever_order_came_second() -> None:
    a, b = order(Side.BUY, None, bot=BOT_A), order(Side.SELL, None, bot=BOT_B)

    first, second = domain.wash_trade(USER, "BTC/USDT", a, b), domain.wash_trade(USER, "BTC/USDT", b, a)

    assert first.violation_id == second.violation_id
    assert first.violation is not None and first.violation.type is ViolationType.PATTERN_VIOLATION
    assert sorted(first.violation.metadata["botIds"]) == sorted([str(BOT_A), str(BOT_B)])


def fill(side: Side, quantity: str, price: str, fee: str, fee_currency: str = "USDT") -> OrderFilled:
    mine = {"meta": meta(), "user_id": USER, "account_id": ACCOUNT_A, "filled_at": AT}
    return order_filled(side, quantity, price, fee, fee_currency=fee_currency, **mine)


def test_a_fill_moves_base_and_quote_by_side_less_its_fee() -> None:
    assert domain.fill_deltas(fill(Side.BUY, "0.1", "65000", "6.5")) == {
        "BTC": Decimal("0.1"),
        "USDT": Decimal("-6506.5"),
    }
    assert domain.fill_deltas(fill(Side.SELL, "0.1", "65000", "0.0001", "BTC")) == {
        "BTC": Decimal("-0.1001"),
        "USDT": Decimal("6500"),
    }


def test_the_books_are_the_baseline_moved_by_every_fill() -> None:
    moves = [domain.fill_deltas(fill(Side.BUY, "0.1", "65000", "6.5"))]

    books = domain.booked({"USDT": Decimal("10000")}, moves)

    assert books == {"USDT": Decimal("3493.5"), "BTC": Decimal("0.1")}


def test_differences_list_each_asset_beyond_the_tolerance_with_missing_as_zero() -> None:
    expected = {"USDT": Decimal("10000"), "BTC": Decimal("0.1"), "ETH": Decimal("1")}
    actual = {"USDT": Decimal("9990.5"), "BTC": Decimal("0.100000001"), "SOL": Decimal("2")}

    found = domain.differences(expected, actual, Decimal("0.00000001"))

    assert [d.as_json() for d in found] == [
        {"asset": "ETH", "expected": "1", "actual": "0", "difference": "-1"},
        {"asset": "SOL", "expected": "0", "actual": "2", "difference": "2"},
        {"asset": "USDT", "expected": "10000", "actual": "9990.5", "difference": "-9.5"},
    ]


def test_reported_totals_read_the_total_of_each_currency() -> None:
    data = {"USDT": {"free": "9000", "used": "1000", "total": "10000"}, "BTC": {"total": "bad"}, "X": 3}

    assert reported_totals(data) == {"USDT": Decimal("10000"), "X": Decimal("3")}
    assert reported_totals(None) == {}


def test_the_risk_score_weighs_open_violations_by_severity_up_to_100() -> None:
    assert domain.risk_score({}) == 0
    assert domain.risk_score({"High": 2, "Low": 1}) == 11
    assert domain.risk_score({"Critical": 50}) == 100


def test_periods_are_the_callers_day_week_and_month() -> None:
    now = datetime(2026, 12, 7, 21, 30, tzinfo=UTC)  # a Monday
    kyiv = ZoneInfo("Europe/Kyiv")  # UTC+2: already Dec 7 23:30 there

    day = period_bounds("daily", now, kyiv)
    week = period_bounds("weekly", now, ZoneInfo("UTC"))
    month = period_bounds("monthly", now, ZoneInfo("UTC"))

    assert day == (datetime(2026, 12, 6, 22, tzinfo=UTC), datetime(2026, 12, 7, 22, tzinfo=UTC), "2026-12-07")
    assert week == (datetime(2026, 12, 7, tzinfo=UTC), datetime(2026, 12, 14, tzinfo=UTC), "2026-W50")
    assert month == (datetime(2026, 12, 1, tzinfo=UTC), datetime(2027, 1, 1, tzinfo=UTC), "2026-12")


def test_webhooks_get_the_chosen_categories_at_or_above_the_chosen_severity() -> None:
    def spec(category: AlertCategory, severity: AlertSeverity, user: UUID | None = USER) -> domain.AlertSpec:
        return domain.AlertSpec(user, AlertType.ERROR, category, severity, "t", "m")

    chosen = {"webhookCategories": ["Trading"], "webhookMinSeverity": "Medium"}

    assert goes_to_webhooks(chosen, spec(AlertCategory.TRADING, AlertSeverity.MEDIUM))
    assert not goes_to_webhooks(chosen, spec(AlertCategory.TRADING, AlertSeverity.LOW))
    assert not goes_to_webhooks(chosen, spec(AlertCategory.SECURITY, AlertSeverity.CRITICAL))
    assert goes_to_webhooks(DEFAULT_NOTIFICATIONS, spec(AlertCategory.SECURITY, AlertSeverity.HIGH))
    assert not goes_to_webhooks(DEFAULT_NOTIFICATIONS, spec(AlertCategory.SYSTEM, AlertSeverity.MEDIUM))
    assert not goes_to_webhooks(DEFAULT_NOTIFICATIONS, spec(AlertCategory.SYSTEM, AlertSeverity.HIGH, None))
